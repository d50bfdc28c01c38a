#include "cglow/flow/split.h"

#include "cglow/flops.h"

namespace cglow {
namespace {

// Bound on the prior's log-std: std in e^-3 .. e^3.
constexpr double kLogStdBound = 3.0;

}  // namespace

SplitImpl::SplitImpl(const GlowConfig& config, Shape in, const NetworkSlot& slot)
    : kept_(in.channels / 2), factored_(in.channels - in.channels / 2) {
  int64_t prior_inputs = kept_;
  if (config.split_prior_conditioned) {
    use_network(slot, [&] {
      return CouplingCondNet(config.x, config.coupling_cond_channels, kept_, in.height, in.width).ptr();
    });
    prior_inputs += kept_;
  }
  prior_ =
      register_module("prior", torch::nn::Conv2d(torch::nn::Conv2dOptions(prior_inputs, 2 * factored_, 3).padding(1)));
  flops_ = conv_flops(prior_, in.height, in.width);
  // Zero output: the prior starts as N(0, 1), as in Glow.
  torch::NoGradGuard no_grad;
  prior_->weight.zero_();
  prior_->bias.zero_();
}

Condition SplitImpl::condition_from(const torch::Tensor& network_output) { return {network_output}; }

std::pair<torch::Tensor, torch::Tensor> SplitImpl::prior(const torch::Tensor& y1, const Condition& c) {
  const auto out = prior_->forward(c.empty() ? y1 : torch::cat({y1, c[0]}, 1));
  return {soft_clamp(out.narrow(1, factored_, factored_), kLogStdBound), out.narrow(1, 0, factored_)};
}

FlowOutput SplitImpl::forward(const torch::Tensor& y, const Condition& c) {
  const auto y1 = y.narrow(1, 0, kept_), z2 = y.narrow(1, kept_, factored_);
  const auto [log_std, mean] = prior(y1, c);
  return {torch::cat({y1, (z2 - mean) * (-log_std).exp()}, 1), -log_std.flatten(1).sum(1)};
}

torch::Tensor SplitImpl::inverse(const torch::Tensor& z, const Condition& c) {
  const auto y1 = z.narrow(1, 0, kept_), eps = z.narrow(1, kept_, factored_);
  const auto [log_std, mean] = prior(y1, c);
  return torch::cat({y1, eps * log_std.exp() + mean}, 1);
}

}  // namespace cglow
