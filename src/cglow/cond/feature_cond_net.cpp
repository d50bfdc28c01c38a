#include "cglow/cond/feature_cond_net.h"

#include "cglow/channels_last.h"
#include "cglow/flops.h"

namespace cglow {

FeatureCondNetImpl::FeatureCondNetImpl(int64_t stage, int64_t features, int64_t hidden, int64_t out_channels,
                                       int64_t height, int64_t width, int64_t networks, double output_init_scale)
    : stage_(stage), networks_(networks) {
  using torch::nn::Conv2d;
  using torch::nn::Conv2dOptions;
  const int64_t g = networks;
  Conv2d first(Conv2dOptions(features, g * hidden, 3).padding(1));
  Conv2d last(Conv2dOptions(g * hidden, g * out_channels, 3).padding(1).groups(g));
  if (output_init_scale != 1.0) {
    torch::NoGradGuard no_grad;
    last->weight.mul_(output_init_scale);
    last->bias.zero_();
  }
  flops_ = conv_flops(first, height, width) + conv_flops(last, height, width);
  // No activation at the end, as in CouplingCondNet.
  net_ = register_module("net", torch::nn::Sequential(first, conditioning_activation(), last));
}

torch::Tensor FeatureCondNetImpl::forward(const torch::Tensor& features) {
  const auto out = net_->forward(channels_last(features)).contiguous();
  return out.view({out.size(0), networks_, -1, out.size(2), out.size(3)});
}

}  // namespace cglow
