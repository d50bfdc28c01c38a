#include "cglow/flow/cond_inv_conv1x1.h"

namespace cglow {
namespace {

// Bound on the conditioning network's offset to each entry of L, U and log_diag.
constexpr double kOffsetBound = 1.0;

}  // namespace

CondInvConv1x1Impl::CondInvConv1x1Impl(const GlowConfig& config, Shape in, const NetworkSlot& slot)
    : channels_(in.channels), height_(in.height), width_(in.width) {
  const int64_t c = channels_;
  use_network(slot, [&] {
    return ConditioningNet(config.x, config.cond_channels, config.cond_width, config.cond_grid, c * c).ptr();
  });
  // Start from a random rotation, as Glow does: it mixes channels and has log|det| = 0.
  const auto rotation = std::get<0>(torch::linalg_qr(torch::randn({c, c}, torch::kFloat64)));
  auto [p, l, u] = torch::linalg_lu(rotation);
  const auto diag = u.diagonal();
  // Row i of P A is row permutation[i] of A. Stored as floats because Module::to(dtype) converts
  // integer buffers too.
  permutation_ = register_buffer("permutation", p.argmax(1).to(torch::kFloat32));
  sign_ = register_buffer("sign", diag.sign().to(torch::kFloat32));
  base_lower_ = register_parameter("base_lower", l.tril(-1).to(torch::kFloat32));
  base_upper_ = register_parameter("base_upper", u.triu(1).to(torch::kFloat32));
  base_log_diag_ = register_parameter("base_log_diag", diag.abs().log().to(torch::kFloat32));
  const auto ones = torch::ones({c, c});
  lower_mask_ = register_buffer("lower_mask", ones.tril(-1));
  upper_mask_ = register_buffer("upper_mask", ones.triu(1));
}

Condition CondInvConv1x1Impl::condition_from(const torch::Tensor& network_output) {
  const int64_t c = channels_;
  const auto offset = soft_clamp(network_output.view({-1, c, c}), kOffsetBound);
  const auto log_diag = base_log_diag_ + offset.diagonal(0, 1, 2);
  const auto eye = torch::eye(c, offset.options());
  const auto lower = (base_lower_ + offset) * lower_mask_ + eye;
  const auto upper = (base_upper_ + offset) * upper_mask_ + torch::diag_embed(sign_ * log_diag.exp());
  const auto permutation = permutation_.to(torch::kLong);
  // Dimension 1 of the batched [B, C, C] products is their rows.
  const auto weight = torch::matmul(lower, upper).index_select(1, permutation);
  // W^-1 = U^-1 L^-1 P^T, by two triangular solves against P^T (P's columns picked as rows).
  const auto unpermute = eye.index_select(1, permutation).expand_as(lower);
  const auto inverse = torch::linalg_solve_triangular(
      upper, torch::linalg_solve_triangular(lower, unpermute, /*upper=*/false, /*left=*/true, /*unitriangular=*/true),
      /*upper=*/true);
  return {weight, inverse, log_diag.sum(1) * (height_ * width_)};
}

double CondInvConv1x1Impl::condition_flops() const {
  return ConditionedLayerImpl::condition_flops() + 4.0 * channels_ * channels_ * channels_;  // W = L U, W^-1
}

double CondInvConv1x1Impl::flops() const { return 2.0 * channels_ * channels_ * height_ * width_; }

FlowOutput CondInvConv1x1Impl::forward(const torch::Tensor& y, const Condition& c) {
  const auto flat = y.flatten(2);  // [B, C, H*W]: the same W at every pixel is one batched product
  return {torch::matmul(c[0], flat).view_as(y), c[2]};
}

torch::Tensor CondInvConv1x1Impl::inverse(const torch::Tensor& z, const Condition& c) {
  return torch::matmul(c[1], z.flatten(2)).view_as(z);
}

}  // namespace cglow
