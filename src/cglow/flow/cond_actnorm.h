// Conditional actnorm (section 4.1): s, b = CN(x), u = s * v + b per channel.
#pragma once

#include "cglow/cond/conditioning_net.h"
#include "cglow/config.h"
#include "cglow/flow/conditioned_layer.h"

namespace cglow {

class CondActNormImpl : public ConditionedLayerImpl {
 public:
  // `in` is the shape of the layer's input y. The network has 2C outputs (a ConditioningNet).
  CondActNormImpl(const GlowConfig& config, Shape in, const NetworkSlot& slot = {});

  Condition condition_from(const torch::Tensor& network_output) override;  // {log_scale [B, C], bias [B, C]}
  size_t condition_size() const override { return 2; }
  FlowOutput forward(const torch::Tensor& y, const Condition& c) override;
  torch::Tensor inverse(const torch::Tensor& z, const Condition& c) override;
  double flops() const override { return 0; }  // element-wise only

 private:
  int64_t channels_;
  int64_t pixels_;
  // Learned per-channel base that the conditioning network's output moves around; zero is the identity.
  torch::Tensor base_log_scale_, base_bias_;
};
TORCH_MODULE(CondActNorm);

}  // namespace cglow
