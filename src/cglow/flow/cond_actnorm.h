// Conditional actnorm (section 4.1): s, b = CN(x), u = s * v + b per channel, or (GlowConfig::
// actnorm_per_pixel) per channel and pixel.
#pragma once

#include "cglow/cond/conditioning_net.h"
#include "cglow/config.h"
#include "cglow/flow/conditioned_layer.h"

namespace cglow {

class CondActNormImpl : public ConditionedLayerImpl {
 public:
  // `in` is the shape of the layer's input y. The network has 2C outputs (a ConditioningNet) or 2C
  // output maps of y's height and width.
  CondActNormImpl(const GlowConfig& config, Shape in, const NetworkSlot& slot = {});

  // {log_scale, bias}, each [B, C, 1, 1] or [B, C, H, W].
  Condition condition_from(const torch::Tensor& network_output) override;
  size_t condition_size() const override { return 2; }
  FlowOutput forward(const torch::Tensor& y, const Condition& c) override;
  torch::Tensor inverse(const torch::Tensor& z, const Condition& c) override;
  double flops() const override { return 0; }  // element-wise only

  // Sets the base so that this layer's output for input y has zero mean and unit variance per channel
  // while x's offsets are near zero (CGlowImpl::initialize_actnorms); with fewer than 16 values per
  // channel in y (batch size times pixels) it keeps its identity start instead.
  void initialize(const torch::Tensor& y);

 private:
  int64_t channels_;
  int64_t pixels_;
  // Learned per-channel base that the conditioning network's output moves around; zero is the identity.
  torch::Tensor base_log_scale_, base_bias_;
};
TORCH_MODULE(CondActNorm);

}  // namespace cglow
