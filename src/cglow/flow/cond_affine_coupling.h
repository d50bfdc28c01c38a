// Conditional affine coupling (section 4.1): v1, v2 = split(v); xr = CN(x); s2, b2 = NN(v1, xr);
// u2 = s2 * v2 + b2; u = concat(v1, u2).
#pragma once

#include "cglow/cond/coupling_cond_net.h"
#include "cglow/config.h"
#include "cglow/flow/conditioned_layer.h"

namespace cglow {

class CondAffineCouplingImpl : public ConditionedLayerImpl {
 public:
  // The network gives C1 feature maps at the layer's resolution (a CouplingCondNet).
  CondAffineCouplingImpl(const GlowConfig& config, Shape in, const NetworkSlot& slot = {});

  Condition condition_from(const torch::Tensor& network_output) override;  // {xr [B, C1, H, W]}
  size_t condition_size() const override { return 1; }
  FlowOutput forward(const torch::Tensor& y, const Condition& c) override;
  torch::Tensor inverse(const torch::Tensor& z, const Condition& c) override;
  double flops() const override { return flops_; }

 private:
  // log-scale and shift for v2 from v1 and the features of x.
  std::pair<torch::Tensor, torch::Tensor> scale_and_shift(const torch::Tensor& v1, const torch::Tensor& xr);

  int64_t kept_;         // C1: channels of v1, passed through unchanged
  int64_t transformed_;  // C2: channels of v2
  torch::nn::Sequential nn_{nullptr};
  double flops_ = 0;
};
TORCH_MODULE(CondAffineCoupling);

}  // namespace cglow
