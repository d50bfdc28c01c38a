// The conditioning network of the conditional actnorm and 1x1 convolution (section 5.1): three
// downscaling convolutions, then three fully connected layers.
#pragma once

#include "cglow/cond/conditioning_network.h"
#include "cglow/config.h"

namespace cglow {

class ConditioningNetImpl : public ConditioningNetworkImpl {
 public:
  // `networks` independent networks mapping x of shape `x` to `out_features` numbers per input each. The
  // convolutions bring x down to at most `grid` pixels a side (halving while the side is even and larger
  // than grid, the halvings spread over the three convolutions), with nc channels; the fully connected
  // layers have width nw.
  ConditioningNetImpl(Shape x, int64_t nc, int64_t nw, int64_t grid, int64_t out_features, int64_t networks = 1);

  torch::Tensor forward(const torch::Tensor& x) override;  // [B, networks, out_features]
  int64_t networks() const override { return networks_; }
  double flops() const override { return flops_; }

 private:
  // A fully connected layer of each network: weight [networks, in, out], bias [networks, 1, out].
  struct Dense {
    torch::Tensor weight, bias;
  };
  Dense dense(const std::string& name, int64_t in, int64_t out, double init_scale);

  int64_t networks_;
  torch::nn::Sequential convs_{nullptr};
  std::vector<Dense> dense_;
  double flops_ = 0;
};
TORCH_MODULE(ConditioningNet);

}  // namespace cglow
