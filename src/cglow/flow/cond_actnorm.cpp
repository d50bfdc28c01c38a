#include "cglow/flow/cond_actnorm.h"

namespace cglow {
namespace {

// How far (in log-scale) x may move a channel's scale away from the learned base: e^-2 .. e^2.
constexpr double kLogScaleBound = 2.0;

torch::Tensor per_channel(const torch::Tensor& t) { return t.unsqueeze(-1).unsqueeze(-1); }

// Glow's initial scale for a channel whose values in the batch are all equal would be infinite.
constexpr double kMinInitialStd = 1e-3;
// Fewer values per channel than this (a small first batch at a level of few pixels) give an estimate
// that fits the first batch and wrecks the next: a toy run at 8x8, three levels (the last at 1x1) and
// batches of 2 went from -1.6 bits/dim on its first batch to 1e15 on the next; at lr 0, later batches
// scored 3.3 and 1.8 bits/dim with 8 and 12 values, 1.0 with 16, 1.56 without the initialisation.
constexpr int64_t kMinInitialValues = 16;

// Network outputs [B, 2C] as [B, 2C, 1, 1]; per-pixel ones [B, 2C, H, W] stay as they are.
torch::Tensor as_maps(const torch::Tensor& t) { return t.dim() == 2 ? per_channel(t) : t; }

}  // namespace

CondActNormImpl::CondActNormImpl(const GlowConfig& config, Shape in, const NetworkSlot& slot)
    : channels_(in.channels), pixels_(in.height * in.width) {
  use_network(slot, [&] {
    return ConditioningNet(config.x, config.cond_channels, config.cond_width, config.cond_grid, 2 * channels_).ptr();
  });
  base_log_scale_ = register_parameter("base_log_scale", torch::zeros({channels_}));
  base_bias_ = register_parameter("base_bias", torch::zeros({channels_}));
}

Condition CondActNormImpl::condition_from(const torch::Tensor& network_output) {
  const auto out = as_maps(network_output);
  return {per_channel(base_log_scale_) + soft_clamp(out.narrow(1, 0, channels_), kLogScaleBound),
          per_channel(base_bias_) + out.narrow(1, channels_, channels_)};
}

void CondActNormImpl::initialize(const torch::Tensor& y) {
  torch::NoGradGuard no_grad;
  const auto values = y.transpose(0, 1).reshape({channels_, -1});
  if (values.size(1) < kMinInitialValues) return;  // keeps the identity start
  const auto mean = values.mean(1);
  // The population standard deviation: defined for a single value too (a batch of one at 1x1).
  const auto std = (values - mean.unsqueeze(1)).pow(2).mean(1).sqrt();
  base_bias_.copy_(-mean);
  base_log_scale_.copy_(-std.clamp_min(kMinInitialStd).log());
}

FlowOutput CondActNormImpl::forward(const torch::Tensor& y, const Condition& c) {
  const auto& log_scale = c[0];
  TORCH_CHECK(log_scale.dim() == 4 && ((log_scale.size(2) == 1 && log_scale.size(3) == 1) ||
                                       (log_scale.size(2) == y.size(2) && log_scale.size(3) == y.size(3))),
              "conditional actnorm: parameters of shape ", log_scale.sizes(), " for an input of shape ", y.sizes());
  // A per-channel log-scale counts once for every pixel it scales.
  const int64_t repeats = pixels_ / (log_scale.size(2) * log_scale.size(3));
  return {(y + c[1]) * log_scale.exp(), log_scale.flatten(1).sum(1) * repeats};
}

torch::Tensor CondActNormImpl::inverse(const torch::Tensor& z, const Condition& c) {
  return z * (-c[0]).exp() - c[1];
}

}  // namespace cglow
