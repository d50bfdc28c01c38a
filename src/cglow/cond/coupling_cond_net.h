// The conditioning network of the conditional affine coupling (section 5.1): a 3x3 convolution, a
// downscaling convolution to the layer's resolution and a 3x3 convolution, giving features of x that are
// concatenated with y1. The split priors use the same network when they are conditioned on x.
#pragma once

#include "cglow/cond/conditioning_network.h"
#include "cglow/config.h"

namespace cglow {

class CouplingCondNetImpl : public ConditioningNetworkImpl {
 public:
  // `networks` independent networks, each x of shape `x` -> [out_channels, out_h, out_w], with `hidden`
  // channels (16 in the paper) in between.
  CouplingCondNetImpl(Shape x, int64_t hidden, int64_t out_channels, int64_t out_h, int64_t out_w,
                      int64_t networks = 1);

  torch::Tensor forward(const torch::Tensor& x) override;  // [B, networks, out_channels, out_h, out_w]
  int64_t networks() const override { return networks_; }
  double flops() const override { return flops_; }

 private:
  int64_t networks_;
  torch::nn::Sequential net_{nullptr};
  double flops_ = 0;
};
TORCH_MODULE(CouplingCondNet);

}  // namespace cglow
