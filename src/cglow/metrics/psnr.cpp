#include "cglow/metrics/psnr.h"

#include <stdexcept>

namespace cglow {

torch::Tensor psnr_per_image(const torch::Tensor& estimate, const torch::Tensor& truth, double peak,
                             const torch::Tensor& mask) {
  if (!estimate.sizes().equals(truth.sizes())) throw std::invalid_argument("PSNR of images of different shapes");
  const auto squared = (estimate.to(torch::kFloat64) - truth.to(torch::kFloat64)).pow(2).flatten(1);
  if (mask.defined() && !mask.sizes().equals(truth.sizes())) throw std::invalid_argument("PSNR mask of another shape");
  const auto mse = mask.defined() ? (squared * mask.flatten(1)).sum(1) / mask.flatten(1).sum(1) : squared.mean(1);
  return 10.0 * torch::log10(peak * peak / mse);
}

}  // namespace cglow
