#include "cglow/flow/cond_affine_coupling.h"

#include "cglow/channels_last.h"
#include "cglow/flops.h"

namespace cglow {
namespace {

// Bound on each log-scale: a coupling can scale v2 by e^-2 .. e^2, never to zero or infinity.
constexpr double kLogScaleBound = 2.0;

}  // namespace

CondAffineCouplingImpl::CondAffineCouplingImpl(const GlowConfig& config, Shape in, const NetworkSlot& slot)
    : kept_(in.channels / 2), transformed_(in.channels - in.channels / 2) {
  using torch::nn::Conv2d;
  using torch::nn::Conv2dOptions;
  // The features of x have as many channels as v1, as in the authors' code.
  use_network(slot, [&] {
    return CouplingCondNet(config.x, config.coupling_cond_channels, kept_, in.height, in.width).ptr();
  });
  const int64_t width = config.coupling_width;
  Conv2d last(Conv2dOptions(width, 2 * transformed_, 3).padding(1));
  {
    // Zero output: the coupling starts as the identity (shift 0, log-scale 0), as in Glow.
    torch::NoGradGuard no_grad;
    last->weight.zero_();
    last->bias.zero_();
  }
  Conv2d first(Conv2dOptions(2 * kept_, width, 3).padding(1)), middle(Conv2dOptions(width, width, 1));
  for (const auto& conv : {first, middle, last}) flops_ += conv_flops(conv, in.height, in.width);
  // In-place activations: a convolution's backward pass does not need its output, so it is not kept twice.
  const auto relu = [] { return torch::nn::ReLU(torch::nn::ReLUOptions().inplace(true)); };
  nn_ = register_module("nn", torch::nn::Sequential(first, relu(), middle, relu(), last));
}

Condition CondAffineCouplingImpl::condition_from(const torch::Tensor& network_output) { return {network_output}; }

std::pair<torch::Tensor, torch::Tensor> CondAffineCouplingImpl::scale_and_shift(const torch::Tensor& v1,
                                                                                  const torch::Tensor& xr) {
  const auto out = nn_->forward(channels_last(torch::cat({v1, xr}, 1))).contiguous();
  return {soft_clamp(out.narrow(1, transformed_, transformed_), kLogScaleBound), out.narrow(1, 0, transformed_)};
}

FlowOutput CondAffineCouplingImpl::forward(const torch::Tensor& y, const Condition& c) {
  const auto v1 = y.narrow(1, 0, kept_), v2 = y.narrow(1, kept_, transformed_);
  const auto [log_scale, shift] = scale_and_shift(v1, c[0]);
  const auto u2 = (v2 + shift) * log_scale.exp();
  return {torch::cat({v1, u2}, 1), log_scale.flatten(1).sum(1)};
}

torch::Tensor CondAffineCouplingImpl::inverse(const torch::Tensor& z, const Condition& c) {
  const auto u1 = z.narrow(1, 0, kept_), u2 = z.narrow(1, kept_, transformed_);
  const auto [log_scale, shift] = scale_and_shift(u1, c[0]);
  return torch::cat({u1, u2 * (-log_scale).exp() - shift}, 1);
}

}  // namespace cglow
