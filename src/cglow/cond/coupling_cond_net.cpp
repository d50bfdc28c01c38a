#include "cglow/cond/coupling_cond_net.h"

#include "cglow/channels_last.h"
#include "cglow/cond/downscale.h"
#include "cglow/cond/recompute.h"
#include "cglow/flops.h"

namespace cglow {

CouplingCondNetImpl::CouplingCondNetImpl(Shape x, int64_t hidden, int64_t out_channels, int64_t out_h,
                                         int64_t out_w, int64_t networks)
    : networks_(networks) {
  using torch::nn::Conv2d;
  using torch::nn::Conv2dOptions;
  const int64_t g = networks;
  // The first convolution of every network reads the same x; the others only their own channels.
  Conv2d first(Conv2dOptions(x.channels, g * hidden, 3).padding(1));
  const auto down = downscale_conv(g * hidden, g * out_channels, x.height, x.width, out_h, out_w, g);
  Conv2d last(Conv2dOptions(g * out_channels, g * out_channels, 3).padding(1).groups(g));
  flops_ = conv_flops(first, x.height, x.width) + conv_flops(down, out_h, out_w) + conv_flops(last, out_h, out_w);
  // No activation after the last layer (the authors' code has a ReLU): with as few channels as y1 has,
  // all of them can start negative for every x, and then the whole network never receives a gradient.
  net_ = register_module("net", torch::nn::Sequential(first, conditioning_activation(), down,
                                                      conditioning_activation(), last));
}

torch::Tensor CouplingCondNetImpl::forward(const torch::Tensor& x) {
  const auto out = forward_recomputed(net_, channels_last(x)).contiguous();
  return out.view({out.size(0), networks_, -1, out.size(2), out.size(3)});
}

}  // namespace cglow
