// The conditioning network of the conditional actnorm and 1x1 convolution (section 5.1): three
// downscaling convolutions, then three fully connected layers.
#pragma once

#include <torch/torch.h>

#include "cglow/config.h"

namespace cglow {

class ConditioningNetImpl : public torch::nn::Module {
 public:
  // Maps x of shape `x` to `out_features` numbers per input. The convolutions bring x down to at most
  // `grid` pixels a side (halving while the side is even and larger than grid, the halvings spread over
  // the three convolutions), with nc channels; the fully connected layers have width nw.
  ConditioningNetImpl(Shape x, int64_t nc, int64_t nw, int64_t grid, int64_t out_features);

  torch::Tensor forward(const torch::Tensor& x);
  double flops() const { return flops_; }

 private:
  torch::nn::Sequential convs_{nullptr};
  torch::nn::Sequential fcs_{nullptr};
  double flops_ = 0;
};
TORCH_MODULE(ConditioningNet);

}  // namespace cglow
