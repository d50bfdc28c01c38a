#include "cglow/tasks/depth_task.h"

#include <stdexcept>

#include "cglow/metrics/psnr.h"

namespace cglow {

DepthTask::DepthTask(std::string name, DepthFrames train, DepthFrames test, double sigma, double max_depth,
                     int64_t crop_height, int64_t crop_width)
    : name_(std::move(name)),
      train_(std::move(train)),
      test_(std::move(test)),
      sigma_(sigma / 255.0),
      max_depth_(max_depth),
      crop_height_(crop_height),
      crop_width_(crop_width) {
  for (const auto* set : {&train_, &test_}) {
    if (set->depth.size(0) == 0) throw std::invalid_argument(name_ + ": an empty training or test split");
    if (set->depth.size(2) < crop_height_ || set->depth.size(3) < crop_width_)
      throw std::invalid_argument(name_ + ": depth frames of " + std::to_string(set->depth.size(3)) + "x" +
                                  std::to_string(set->depth.size(2)) + " are smaller than the " +
                                  std::to_string(crop_width_) + "x" + std::to_string(crop_height_) + " crops");
  }
}

torch::Tensor DepthTask::crops(const torch::Tensor& images, const torch::Tensor& indices, const torch::Tensor& top,
                               const torch::Tensor& left) const {
  std::vector<torch::Tensor> out;
  for (int64_t i = 0; i < indices.size(0); ++i)
    out.push_back(images[indices[i].item<int64_t>()]
                      .narrow(1, top[i].item<int64_t>(), crop_height_)
                      .narrow(2, left[i].item<int64_t>(), crop_width_));
  return torch::stack(out);
}

Examples DepthTask::examples(DataSplit split, const torch::Tensor& indices, torch::Generator* generator) const {
  const auto& set = frames(split);
  const int64_t b = indices.size(0), free_rows = set.depth.size(2) - crop_height_,
                free_columns = set.depth.size(3) - crop_width_;
  const auto top = generator ? torch::randint(free_rows + 1, {b}, *generator, torch::kLong)
                             : torch::full({b}, free_rows / 2, torch::kLong);
  const auto left = generator ? torch::randint(free_columns + 1, {b}, *generator, torch::kLong)
                              : torch::full({b}, free_columns / 2, torch::kLong);
  const auto clean = crops(set.depth, indices, top, left) / max_depth_;
  const auto noise =
      (generator ? torch::randn(clean.sizes(), *generator) : evaluation_noise(indices, clean.sizes().slice(1))) *
      sigma_;
  return {clean + noise, noise};
}

std::map<std::string, double> DepthTask::metrics(const torch::Tensor& predicted, const torch::Tensor& truth) const {
  const int64_t n = test_.depth.size(0);
  if (predicted.size(0) != n) throw std::invalid_argument(name_ + ": metrics need the whole test split");
  const auto all = torch::arange(n);
  const auto measured = crops(test_.valid, all, torch::full({n}, (test_.depth.size(2) - crop_height_) / 2),
                              torch::full({n}, (test_.depth.size(3) - crop_width_) / 2));
  // The refined depth x - predicted against x - truth = clean: the PSNR of the residuals.
  return {{"psnr_refined", psnr_per_image(predicted, truth, 1.0, measured).nanmean().item<double>()}};
}

torch::Tensor DepthTask::picture_of_target(const torch::Tensor& target) const {
  return residual_picture(target, sigma_);
}

}  // namespace cglow
