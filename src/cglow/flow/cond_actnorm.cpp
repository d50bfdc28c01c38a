#include "cglow/flow/cond_actnorm.h"

namespace cglow {
namespace {

// How far (in log-scale) x may move a channel's scale away from the learned base: e^-2 .. e^2.
constexpr double kLogScaleBound = 2.0;

torch::Tensor per_channel(const torch::Tensor& t) { return t.unsqueeze(-1).unsqueeze(-1); }

}  // namespace

CondActNormImpl::CondActNormImpl(const GlowConfig& config, Shape in, const NetworkSlot& slot)
    : channels_(in.channels), pixels_(in.height * in.width) {
  use_network(slot, [&] {
    return ConditioningNet(config.x, config.cond_channels, config.cond_width, config.cond_grid, 2 * channels_).ptr();
  });
  base_log_scale_ = register_parameter("base_log_scale", torch::zeros({channels_}));
  base_bias_ = register_parameter("base_bias", torch::zeros({channels_}));
}

Condition CondActNormImpl::condition_from(const torch::Tensor& out) {
  return {base_log_scale_ + soft_clamp(out.narrow(1, 0, channels_), kLogScaleBound),
          base_bias_ + out.narrow(1, channels_, channels_)};
}

FlowOutput CondActNormImpl::forward(const torch::Tensor& y, const Condition& c) {
  const auto& log_scale = c[0];
  return {(y + per_channel(c[1])) * per_channel(log_scale.exp()), log_scale.sum(1) * pixels_};
}

torch::Tensor CondActNormImpl::inverse(const torch::Tensor& z, const Condition& c) {
  return z * per_channel((-c[0]).exp()) - per_channel(c[1]);
}

}  // namespace cglow
