#include "cglow/baseline/feed_forward.h"

#include <stdexcept>

namespace cglow {

FeedForwardImpl::FeedForwardImpl(Shape x, Shape out, const OutputCoding& coding, int64_t width)
    : labels_(coding.kind() != OutputCoding::Kind::continuous), stage_(0) {
  while ((x.height >> stage_) > out.height) ++stage_;
  if ((x.height >> stage_) != out.height || (x.width >> stage_) != out.width)
    throw std::invalid_argument("the baseline needs the output's resolution to be the input's halved a whole number of times");
  // Three stages below the output's resolution, as far as the input divides.
  int64_t depth = stage_ + 3;
  while (depth > stage_ && (x.height % (int64_t{1} << depth) != 0 || x.width % (int64_t{1} << depth) != 0)) --depth;
  unet_ = register_module("unet", UNet(x.channels, width, depth, stage_));
  const int64_t outputs = coding.kind() == OutputCoding::Kind::binary ? 2 : coding.kind() == OutputCoding::Kind::multiclass ? coding.channels() : out.channels;
  head_ = register_module("head", torch::nn::Conv2d(torch::nn::Conv2dOptions(unet_->channels(stage_), outputs, 1)));
}

torch::Tensor FeedForwardImpl::forward(const torch::Tensor& x) { return head_->forward(unet_->forward(x)[stage_]); }

torch::Tensor FeedForwardImpl::loss(const torch::Tensor& x, const torch::Tensor& target) {
  const auto out = forward(x);
  return labels_ ? torch::nn::functional::cross_entropy(out, target) : (out - target).pow(2).mean();
}

torch::Tensor FeedForwardImpl::predict(const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  const auto out = forward(x);
  return labels_ ? out.argmax(1) : out;
}

}  // namespace cglow
