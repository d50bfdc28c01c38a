#include "cglow/cond/coupling_cond_net.h"

#include "cglow/cond/downscale.h"
#include "cglow/flops.h"

namespace cglow {

CouplingCondNetImpl::CouplingCondNetImpl(Shape x, int64_t hidden, int64_t out_channels, int64_t out_h,
                                         int64_t out_w) {
  using torch::nn::Conv2d;
  using torch::nn::Conv2dOptions;
  Conv2d first(Conv2dOptions(x.channels, hidden, 3).padding(1));
  const auto down = downscale_conv(hidden, out_channels, x.height, x.width, out_h, out_w);
  Conv2d last(Conv2dOptions(out_channels, out_channels, 3).padding(1));
  flops_ = conv_flops(first, x.height, x.width) + conv_flops(down, out_h, out_w) + conv_flops(last, out_h, out_w);
  // No ReLU after the last layer (the authors' code has one): with as few channels as y1 has, all of
  // them can start negative for every x, and then the whole network never receives a gradient.
  net_ = torch::nn::Sequential(first, torch::nn::ReLU(), down, torch::nn::ReLU(), last);
  register_module("net", net_);
}

torch::Tensor CouplingCondNetImpl::forward(const torch::Tensor& x) { return net_->forward(x); }

}  // namespace cglow
