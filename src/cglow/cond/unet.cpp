#include "cglow/cond/unet.h"

#include "cglow/channels_last.h"
#include "cglow/cond/conditioning_network.h"
#include "cglow/flops.h"

namespace cglow {
namespace {

using torch::nn::Conv2d;
using torch::nn::Conv2dOptions;

// Two 3x3 convolutions with activations; the first one strided by `stride`.
torch::nn::Sequential block(int64_t in, int64_t out, int64_t stride) {
  return torch::nn::Sequential(Conv2d(Conv2dOptions(in, out, 3).padding(1).stride(stride)), conditioning_activation(),
                               Conv2d(Conv2dOptions(out, out, 3).padding(1)), conditioning_activation());
}

}  // namespace

UNetImpl::UNetImpl(int64_t in_channels, int64_t width, int64_t depth, int64_t finest) : finest_(finest) {
  for (int64_t j = 0; j <= depth; ++j) channels_.push_back(std::min(width << j, 8 * width));
  for (int64_t j = 0; j <= depth; ++j) {
    const auto name = std::to_string(j);
    down_.push_back(
        register_module("down" + name, block(j == 0 ? in_channels : channels_[j - 1], channels_[j], j == 0 ? 1 : 2)));
    // The decoder's stage j reads the upsampled stage j+1 and the encoder's stage j.
    if (j >= finest && j < depth)
      up_.push_back(register_module("up" + name, block(channels_[j + 1] + channels_[j], channels_[j], 1)));
  }
}

std::vector<torch::Tensor> UNetImpl::forward(const torch::Tensor& x) {
  const int64_t d = depth();
  std::vector<torch::Tensor> encoded;
  auto h = channels_last(x);
  for (int64_t j = 0; j <= d; ++j) encoded.push_back(h = down_[j]->forward(h));
  std::vector<torch::Tensor> decoded(static_cast<size_t>(d + 1));
  decoded[d] = encoded[d];
  for (int64_t j = d - 1; j >= finest_; --j) {
    namespace F = torch::nn::functional;
    const auto up = F::interpolate(decoded[j + 1], F::InterpolateFuncOptions()
                                                       .size(std::vector<int64_t>{encoded[j].size(2),
                                                                                  encoded[j].size(3)})
                                                       .mode(torch::kNearest));
    decoded[j] = up_[j - finest_]->forward(torch::cat({up, encoded[j]}, 1));
  }
  return decoded;
}

double UNetImpl::flops(int64_t height, int64_t width) const {
  double total = 0;
  auto add_block = [&](const torch::nn::Sequential& b, int64_t h, int64_t w) {
    for (const auto& child : b->children())
      if (auto conv = std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(child)) total += conv_flops(Conv2d(conv), h, w);
  };
  for (int64_t j = 0; j <= depth(); ++j) {
    add_block(down_[j], height >> j, width >> j);
    if (j >= finest_ && j < depth()) add_block(up_[j - finest_], height >> j, width >> j);
  }
  return total;
}

}  // namespace cglow
