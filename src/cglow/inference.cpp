#include "cglow/inference.h"

#include <stdexcept>

namespace cglow {

torch::Tensor sample(CGlow& model, const torch::Tensor& x, int64_t m, double temperature) {
  if (m < 1) throw std::invalid_argument("the number of samples must be >= 1, got " + std::to_string(m));
  torch::NoGradGuard no_grad;
  const auto& y = model->config().y;
  const int64_t batch = x.size(0);
  const auto condition = repeat_each(model->condition(x), m);
  const auto z = torch::randn({batch * m, y.numel()}, x.options()) * temperature;
  return model->inverse(z, condition).view({batch, m, y.channels, y.height, y.width});
}

namespace {

Prediction summarise(torch::Tensor samples) {
  // The unbiased estimate is undefined for a single sample: report zero uncertainty there.
  auto stddev = samples.size(1) > 1 ? samples.std(1) : torch::zeros_like(samples.select(1, 0));
  return {samples.mean(1), stddev, samples};
}

}  // namespace

Prediction predict(CGlow& model, const torch::Tensor& x, int64_t m, double temperature) {
  return summarise(sample(model, x, m, temperature));
}

Prediction predict_mirrored(CGlow& model, const torch::Tensor& x, int64_t m, double temperature) {
  if (m < 2) throw std::invalid_argument("a mirrored prediction needs >= 2 samples, got " + std::to_string(m));
  const auto upright = sample(model, x, (m + 1) / 2, temperature);
  // Samples are [B, m, C, H, W]: width is their last dimension, as it is x's.
  const auto mirrored = sample(model, x.flip({3}), m / 2, temperature).flip({4});
  return summarise(torch::cat({upright, mirrored}, 1));
}

torch::Tensor map_estimate(CGlow& model, const torch::Tensor& x, const torch::Tensor& init, int64_t steps,
                           double lr) {
  Condition condition;
  {
    torch::NoGradGuard no_grad;
    condition = model->condition(x);
  }
  auto y = init.detach().clone().requires_grad_(true);
  torch::optim::Adam optimizer({y}, torch::optim::AdamOptions(lr));
  for (int64_t i = 0; i < steps; ++i) {
    const auto loss = -model->log_prob(y, condition).sum();
    // autograd::grad, not backward: only y's gradient is wanted, the parameters' stay as they were.
    y.mutable_grad() = torch::autograd::grad({loss}, {y})[0];
    optimizer.step();
  }
  return y.detach();
}

}  // namespace cglow
