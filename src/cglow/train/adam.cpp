#include "cglow/train/adam.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <initializer_list>
#include <stdexcept>

namespace cglow {
namespace {

// Elements per task of the parallel loop: large enough to amortise the scheduling.
constexpr int64_t kGrain = 1 << 16;

struct Coefficients {
  float beta1, beta2, step_size, inv_sqrt_bias2, eps;
};

// The one-pass loop walks memory, not indices: element i of each tensor must be the same entry. Strides of
// dimensions of size 1 are never used, and differ in practice: a 1x1 convolution's weight [O, I, 1, 1] is
// both NCHW and channels-last, and its gradient comes back with other strides on the last three.
bool laid_out_alike(std::initializer_list<torch::Tensor> tensors) {
  const auto& first = *tensors.begin();
  for (const auto& t : tensors) {
    if (!t.is_non_overlapping_and_dense() || t.sizes() != first.sizes()) return false;
    for (int64_t d = 0; d < t.dim(); ++d)
      if (t.size(d) != 1 && t.stride(d) != first.stride(d)) return false;
  }
  return true;
}

void update_in_one_pass(torch::Tensor& p, const torch::Tensor& g, torch::Tensor& m, torch::Tensor& v,
                        const Coefficients& k) {
  float* pp = p.data_ptr<float>();
  const float* gp = g.data_ptr<float>();
  float* mp = m.data_ptr<float>();
  float* vp = v.data_ptr<float>();
  at::parallel_for(0, p.numel(), kGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const float grad = gp[i];
      const float m1 = k.beta1 * mp[i] + (1.0f - k.beta1) * grad;
      const float v1 = k.beta2 * vp[i] + (1.0f - k.beta2) * grad * grad;
      mp[i] = m1;
      vp[i] = v1;
      pp[i] -= k.step_size * m1 / (std::sqrt(v1) * k.inv_sqrt_bias2 + k.eps);
    }
  });
  // Writes through raw pointers are invisible to autograd: count them, as an in-place operation would,
  // so that a graph that saved one of these tensors fails loudly instead of using the new values.
  for (auto* t : {&p, &m, &v}) t->unsafeGetTensorImpl()->bump_version();
}

void update_with_tensor_ops(torch::Tensor& p, const torch::Tensor& g, torch::Tensor& m, torch::Tensor& v,
                            const Coefficients& k) {
  m.mul_(k.beta1).add_(g, 1.0 - k.beta1);
  v.mul_(k.beta2).addcmul_(g, g, 1.0 - k.beta2);
  p.addcdiv_(m, v.sqrt().mul_(k.inv_sqrt_bias2).add_(k.eps), -k.step_size);
}

}  // namespace

Adam::Adam(std::vector<torch::Tensor> parameters, AdamOptions options)
    : parameters_(std::move(parameters)), parameter_steps_(parameters_.size(), 0), options_(options) {
  for (const auto& p : parameters_) {
    exp_avg_.push_back(torch::zeros_like(p));  // laid out as p (convolutions' weights: channels-last)
    exp_avg_sq_.push_back(torch::zeros_like(p));
  }
}

void Adam::zero_grad() {
  for (auto& p : parameters_) p.mutable_grad().reset();
}

void Adam::step() { step(options_.lr); }

void Adam::step(double lr) {
  torch::NoGradGuard no_grad;
  ++steps_;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    auto& p = parameters_[i];
    if (!p.grad().defined()) continue;
    const auto step = static_cast<double>(++parameter_steps_[i]);
    const double bias1 = 1.0 - std::pow(options_.beta1, step);
    const double bias2 = 1.0 - std::pow(options_.beta2, step);
    const Coefficients k{static_cast<float>(options_.beta1), static_cast<float>(options_.beta2),
                         static_cast<float>(lr / bias1), static_cast<float>(1.0 / std::sqrt(bias2)),
                         static_cast<float>(options_.eps)};
    const auto g = p.grad();
    const bool one_pass = p.device().is_cpu() && p.scalar_type() == torch::kFloat32 &&
                          g.scalar_type() == torch::kFloat32 && laid_out_alike({p, g, exp_avg_[i], exp_avg_sq_[i]});
    if (one_pass)
      update_in_one_pass(p, g, exp_avg_[i], exp_avg_sq_[i], k);
    else
      update_with_tensor_ops(p, g, exp_avg_[i], exp_avg_sq_[i], k);
  }
}

void Adam::save(torch::serialize::OutputArchive& archive) const {
  archive.write("steps", torch::tensor(steps_));
  archive.write("parameter_steps", torch::tensor(parameter_steps_));
  for (size_t i = 0; i < parameters_.size(); ++i) {
    archive.write("exp_avg_" + std::to_string(i), exp_avg_[i], /*is_buffer=*/true);
    archive.write("exp_avg_sq_" + std::to_string(i), exp_avg_sq_[i], /*is_buffer=*/true);
  }
}

void Adam::load(torch::serialize::InputArchive& archive) {
  torch::Tensor steps;
  archive.read("steps", steps);
  steps_ = steps.item<int64_t>();
  torch::Tensor parameter_steps;
  archive.read("parameter_steps", parameter_steps);
  if (parameter_steps.numel() != static_cast<int64_t>(parameters_.size()))
    throw std::runtime_error("optimiser state is for " + std::to_string(parameter_steps.numel()) +
                             " parameters, the model has " + std::to_string(parameters_.size()));
  for (size_t i = 0; i < parameters_.size(); ++i) parameter_steps_[i] = parameter_steps[i].item<int64_t>();
  for (size_t i = 0; i < parameters_.size(); ++i) {
    torch::Tensor m, v;
    archive.read("exp_avg_" + std::to_string(i), m, /*is_buffer=*/true);
    archive.read("exp_avg_sq_" + std::to_string(i), v, /*is_buffer=*/true);
    if (!m.sizes().equals(exp_avg_[i].sizes()) || !v.sizes().equals(exp_avg_sq_[i].sizes()))
      throw std::runtime_error("optimiser state " + std::to_string(i) + " does not match the model's parameters");
    exp_avg_[i].copy_(m);
    exp_avg_sq_[i].copy_(v);
  }
}

}  // namespace cglow
