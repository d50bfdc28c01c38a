// Split with a learned prior (Glow's multi-scale architecture): the second half z2 of the channels is
// factored out with a Gaussian prior whose mean and log-std come from the first half y1 (and, as an
// option beyond the paper, from features of x).
//
// Written as a bijection, [y1, z2] -> [y1, eps] with eps = (z2 - mean) / std, so that the split is one more
// invertible layer with log|det| = -sum log std, and every latent of the flow is standard normal. The flow
// then sets eps aside; sampling with temperature T draws eps ~ N(0, T^2), as Glow's split prior does.
#pragma once

#include "cglow/cond/coupling_cond_net.h"
#include "cglow/config.h"
#include "cglow/flow/conditioned_layer.h"

namespace cglow {

class SplitImpl : public ConditionedLayerImpl {
 public:
  // Conditioned on x when config.split_prior_conditioned: by the network of `slot`, or when it is
  // empty by a CouplingCondNet of C1 channels of its own.
  SplitImpl(const GlowConfig& config, Shape in, const NetworkSlot& slot = {});

  Condition condition_from(const torch::Tensor& network_output) override;  // {features of x}
  size_t condition_size() const override { return network() ? 1 : 0; }
  FlowOutput forward(const torch::Tensor& y, const Condition& c) override;
  torch::Tensor inverse(const torch::Tensor& z, const Condition& c) override;
  double flops() const override { return flops_; }

  int64_t kept_channels() const { return kept_; }

 private:
  std::pair<torch::Tensor, torch::Tensor> prior(const torch::Tensor& y1, const Condition& c);  // log-std, mean

  int64_t kept_, factored_;
  torch::nn::Conv2d prior_{nullptr};
  double flops_ = 0;
};
TORCH_MODULE(Split);

}  // namespace cglow
