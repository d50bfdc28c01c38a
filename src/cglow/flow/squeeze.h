// Squeeze (Dinh et al. 2016): each 2x2 block of pixels becomes 4 channels, [C, H, W] -> [4C, H/2, W/2],
// new channel = c*4 + dy*2 + dx. A permutation: log|det| = 0.
#pragma once

#include "cglow/flow/flow_layer.h"

namespace cglow {

class SqueezeImpl : public FlowLayerImpl {
 public:
  Condition condition(const torch::Tensor&) override { return {}; }
  size_t condition_size() const override { return 0; }
  FlowOutput forward(const torch::Tensor& y, const Condition& c) override;
  torch::Tensor inverse(const torch::Tensor& z, const Condition& c) override;
  double condition_flops() const override { return 0; }
  double flops() const override { return 0; }
};
TORCH_MODULE(Squeeze);

}  // namespace cglow
