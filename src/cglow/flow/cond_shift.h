// The prediction shift (GlowConfig::shift_by_prediction, beyond the paper): u = y - m(x), where m(x) is a
// prediction of y by a conditioning network, the flow's first layer. It is a conditional actnorm with a
// unit scale and a per-pixel bias (section 4.1 allows any differentiable conditioning network), so its
// log-determinant is zero and the likelihood stays exact. Why: a feed-forward network trained on squared
// error predicts y well in minutes, and the likelihood alone teaches the flow's own networks to carry that
// prediction slowly; with the shift, the rest of the flow models only the residual y - m(x) and its
// uncertainty, and trains m further by maximum likelihood (docs/results/denoising.md, inpainting.md, one
// run each: from 0.34 dB below its U-Net to 0.06 below on denoising at temperature 0, from 0.34 below to
// 0.09 above on inpainting at temperature 1).
#pragma once

#include "cglow/config.h"
#include "cglow/flow/conditioned_layer.h"

namespace cglow {

class CondShiftImpl : public ConditionedLayerImpl {
 public:
  // `in` is y's shape. The prediction comes from the network of `slot` (in c-Glow, the PredictionHead on
  // the shared encoder) or, when it is empty, from a CouplingCondNet on x of its own.
  CondShiftImpl(const GlowConfig& config, Shape in, const NetworkSlot& slot = {});

  Condition condition_from(const torch::Tensor& network_output) override { return {network_output}; }  // {m(x)}
  size_t condition_size() const override { return 1; }
  FlowOutput forward(const torch::Tensor& y, const Condition& c) override;
  torch::Tensor inverse(const torch::Tensor& z, const Condition& c) override;
  double flops() const override { return 0; }  // element-wise only
};
TORCH_MODULE(CondShift);

}  // namespace cglow
