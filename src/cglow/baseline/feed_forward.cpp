#include "cglow/baseline/feed_forward.h"

#include <stdexcept>

#include "cglow/centre_window.h"
#include "cglow/channels_last.h"

namespace cglow {

int64_t baseline_outputs(const OutputCoding& coding, int64_t channels) {
  return coding.kind() == OutputCoding::Kind::binary       ? 2
         : coding.kind() == OutputCoding::Kind::multiclass ? coding.channels()
                                                           : channels;
}

FeedForwardImpl::FeedForwardImpl(Shape x, Shape out, const OutputCoding& coding, int64_t width, int64_t depth)
    : labels_(coding.kind() != OutputCoding::Kind::continuous), out_(out) {
  if (out.height > x.height || out.width > x.width || (x.height - out.height) % 2 || (x.width - out.width) % 2)
    throw std::invalid_argument("the baseline's output must be x's size or a window centred in x");
  if (depth < 1) throw std::invalid_argument("the baseline's depth must be >= 1, got " + std::to_string(depth));
  while (depth > 0 && (x.height % (int64_t{1} << depth) != 0 || x.width % (int64_t{1} << depth) != 0)) --depth;
  unet_ = register_module("unet", UNet(x.channels, width, depth));
  const int64_t outputs = baseline_outputs(coding, out.channels);
  head_ = register_module("head", torch::nn::Conv2d(torch::nn::Conv2dOptions(unet_->channels(0), outputs, 1)));
  store_convolutions_channels_last(*this);
}

torch::Tensor FeedForwardImpl::forward(const torch::Tensor& x) {
  const auto full = head_->forward(unet_->forward(x)[0]);
  return centre_window(full, out_.height, out_.width);
}

torch::Tensor FeedForwardImpl::loss(const torch::Tensor& x, const torch::Tensor& target) {
  const auto out = forward(x);
  return labels_ ? torch::nn::functional::cross_entropy(out, target) : (out - target).pow(2).mean();
}

torch::Tensor FeedForwardImpl::predict(const torch::Tensor& x, bool mirrored) {
  torch::NoGradGuard no_grad;
  if (!mirrored) {
    const auto out = forward(x);
    return labels_ ? out.argmax(1) : out;
  }
  // Probabilities, not logits, are averaged: the mean of two distributions over the classes.
  auto view = [&](const torch::Tensor& input) { return labels_ ? forward(input).softmax(1) : forward(input); };
  const auto mean = (view(x) + view(x.flip({3})).flip({3})) / 2;
  return labels_ ? mean.argmax(1) : mean;
}

}  // namespace cglow
