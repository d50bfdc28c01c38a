// Conditional invertible 1x1 convolution (section 4.1): W = CN(x), u = W v at every pixel.
//
// W must be invertible for every x, not just likely to be. We build it as W(x) = P L(x) U(x) (the LU
// form of Glow, section 3.2 of Kingma & Dhariwal): P a fixed permutation, L unit lower triangular, U upper
// triangular with diagonal sign * exp(log_diag). Then det W = +-exp(sum log_diag) can never reach zero,
// log|det W| is a sum instead of a slogdet, and the inverse is two triangular solves. Each entry is a
// learned base plus a bounded offset from the conditioning network, so no x can push W far from a
// matrix the optimiser has seen. W^-1 is formed per input, once, from the two triangular factors: the
// samples drawn for an input then each cost one matrix product, as in the forward direction.
#pragma once

#include "cglow/cond/conditioning_net.h"
#include "cglow/config.h"
#include "cglow/flow/conditioned_layer.h"

namespace cglow {

class CondInvConv1x1Impl : public ConditionedLayerImpl {
 public:
  // The network has C*C outputs (a ConditioningNet).
  CondInvConv1x1Impl(const GlowConfig& config, Shape in, const NetworkSlot& slot = {});

  // {W [B, C, C], W^-1 [B, C, C], log|det W| [B]}
  Condition condition_from(const torch::Tensor& network_output) override;
  size_t condition_size() const override { return 3; }
  FlowOutput forward(const torch::Tensor& y, const Condition& c) override;
  torch::Tensor inverse(const torch::Tensor& z, const Condition& c) override;
  double condition_flops() const override;
  double flops() const override;

 private:
  int64_t channels_;
  int64_t height_, width_;
  torch::Tensor permutation_, sign_;                         // buffers
  torch::Tensor base_lower_, base_upper_, base_log_diag_;    // parameters
  torch::Tensor lower_mask_, upper_mask_;                    // buffers: strictly lower / upper triangles
};
TORCH_MODULE(CondInvConv1x1);

}  // namespace cglow
