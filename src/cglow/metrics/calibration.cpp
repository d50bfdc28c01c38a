#include "cglow/metrics/calibration.h"

#include <stdexcept>
#include <string>

namespace cglow {

void Calibration::add(const torch::Tensor& samples, const torch::Tensor& truth) {
  if (samples.dim() < 2 || samples.size(1) < 2)
    throw std::invalid_argument("calibration needs at least two samples per example");
  if (samples.size(0) != truth.size(0) || !samples.sizes().slice(2).equals(truth.sizes().slice(1)))
    throw std::invalid_argument("calibration: samples and truth differ in shape");
  const double m = static_cast<double>(samples.size(1));
  const auto values = samples.to(torch::kFloat64), target = truth.to(torch::kFloat64);
  squared_error_ += (values.mean(1) - target).pow(2).sum().item<double>();
  // var() is the unbiased estimate, over the m samples.
  expected_squared_error_ += values.var(1).sum().item<double>() * (1 + 1 / m);
}

}  // namespace cglow
