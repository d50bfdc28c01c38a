#include "cglow/tasks/denoising_task.h"

#include <stdexcept>

#include "cglow/metrics/psnr.h"

namespace cglow {

DenoisingTask::DenoisingTask(std::string name, torch::Tensor train_images, torch::Tensor test_images, double sigma,
                             bool flips)
    : name_(std::move(name)),
      train_(std::move(train_images)),
      test_(std::move(test_images)),
      sigma_(sigma / 255.0),
      flips_(flips) {
  if (train_.size(0) == 0 || test_.size(0) == 0)
    throw std::invalid_argument(name_ + ": an empty training or test split");
  if (!train_.sizes().slice(1).equals(test_.sizes().slice(1)))
    throw std::invalid_argument(name_ + ": training and test images differ in size");
}

Shape DenoisingTask::x_shape() const { return {train_.size(1), train_.size(2), train_.size(3)}; }

// The residual is real-valued noise (not quantised), centred already.
OutputCoding DenoisingTask::coding() const { return OutputCoding::continuous(train_.size(1)); }

Examples DenoisingTask::examples(DataSplit split, const torch::Tensor& indices, torch::Generator* generator) const {
  auto clean = images(split).index_select(0, indices);
  if (generator && flips_) clean = flip_where(clean, torch::rand({clean.size(0)}, *generator) < 0.5);
  const auto noise =
      (generator ? torch::randn(clean.sizes(), *generator) : evaluation_noise(indices, clean.sizes().slice(1))) *
      sigma_;
  return {clean + noise, noise};
}

std::map<std::string, double> DenoisingTask::metrics(const torch::Tensor& predicted, const torch::Tensor& truth) const {
  // x_hat - predicted vs x_hat - truth differ by truth - predicted: the PSNR of the residuals.
  return {{"psnr_denoised", psnr_per_image(predicted, truth).mean().item<double>()}};
}

torch::Tensor DenoisingTask::picture_of_target(const torch::Tensor& target) const {
  return residual_picture(target, sigma_);
}

}  // namespace cglow
