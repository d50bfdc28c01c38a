#include "cglow/tasks/segmentation_task.h"

#include <stdexcept>

#include "cglow/metrics/segmentation.h"

namespace cglow {

SegmentationTask::SegmentationTask(std::string name, SegmentationSet train, SegmentationSet test, bool flips,
                                   double zoom, double jitter)
    : name_(std::move(name)),
      train_(std::move(train)),
      test_(std::move(test)),
      flips_(flips),
      zoom_(zoom),
      jitter_(jitter) {
  if (!(zoom_ > 0 && zoom_ <= 1)) throw std::invalid_argument(name_ + ": zoom must be in (0, 1], got " + std::to_string(zoom_));
  if (!(jitter_ >= 0 && jitter_ < 1))
    throw std::invalid_argument(name_ + ": jitter must be in [0, 1), got " + std::to_string(jitter_));
  if (train_.images.size(0) == 0 || test_.images.size(0) == 0)
    throw std::invalid_argument(name_ + ": an empty training or test split");
  if (train_.classes != test_.classes || !train_.images.sizes().slice(1).equals(test_.images.sizes().slice(1)))
    throw std::invalid_argument(name_ + ": training and test splits differ in classes or image size");
}

Shape SegmentationTask::x_shape() const {
  const auto s = train_.images.sizes();
  return {s[1], s[2], s[3]};
}

Shape SegmentationTask::y_shape() const {
  const auto s = train_.images.sizes();
  return {coding().channels(), s[2], s[3]};
}

OutputCoding SegmentationTask::coding() const {
  // Binary masks tiled to three channels, as the paper does.
  return train_.classes == 2 ? OutputCoding::binary(3) : OutputCoding::multiclass(train_.classes);
}

Examples SegmentationTask::examples(Split split, const torch::Tensor& indices, torch::Generator* generator) const {
  const auto& s = set(split);
  auto x = s.images.index_select(0, indices), target = s.labels.index_select(0, indices);
  if (generator && flips_) {
    const auto flip = torch::rand({indices.size(0)}, *generator) < 0.5;
    x = torch::where(flip.view({-1, 1, 1, 1}), x.flip({3}), x);
    target = torch::where(flip.view({-1, 1, 1}), target.flip({2}), target);
  }
  if (generator && zoom_ < 1) {
    namespace F = torch::nn::functional;
    // A crop of side `scale` (in units of the image side) at a random place, as an affine map of the
    // output grid's [-1, 1] coordinates into the input's.
    const int64_t n = indices.size(0);
    const auto scale = zoom_ + (1 - zoom_) * torch::rand({n}, *generator);
    const auto shift = (1 - scale).unsqueeze(1) * (2 * torch::rand({n, 2}, *generator) - 1);
    const auto zero = torch::zeros({n});
    const auto theta = torch::stack({torch::stack({scale, zero, shift.select(1, 0)}, 1),
                                     torch::stack({zero, scale, shift.select(1, 1)}, 1)}, 1);
    const auto grid = F::affine_grid(theta, x.sizes(), /*align_corners=*/false);
    x = F::grid_sample(x, grid, F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kBorder).align_corners(false));
    target = F::grid_sample(target.unsqueeze(1).to(torch::kFloat), grid,
                            F::GridSampleFuncOptions().mode(torch::kNearest).padding_mode(torch::kBorder).align_corners(false))
                 .squeeze(1)
                 .round()
                 .to(target.scalar_type());
  }
  if (generator && jitter_ > 0) {
    const int64_t n = indices.size(0);
    const auto factor = [&] { return (1 - jitter_ + 2 * jitter_ * torch::rand({n, 1, 1, 1}, *generator)); };
    x = x * factor();
    const auto mean = x.mean({1, 2, 3}, /*keepdim=*/true);
    x = mean + (x - mean) * factor();
    const auto grey = x.mean(1, /*keepdim=*/true);
    x = (grey + (x - grey) * factor()).clamp(0, 1);
  }
  return {x, target};
}

std::map<std::string, double> SegmentationTask::metrics(const torch::Tensor& predicted, const torch::Tensor& truth) const {
  ConfusionMatrix confusion(train_.classes);
  confusion.add(predicted, truth);
  std::map<std::string, double> out{{"pixel_accuracy", confusion.pixel_accuracy()}, {"mean_iou", confusion.mean_iou()}};
  if (test_.regions.defined() && predicted.size(0) == test_.regions.size(0)) {
    double agreeing = 0;
    for (int64_t i = 0; i < predicted.size(0); ++i)
      agreeing += superpixel_accuracy(predicted[i], truth[i], test_.regions[i], train_.classes);
    out["superpixel_accuracy"] = agreeing / static_cast<double>(predicted.size(0));
  }
  if (train_.classes == 2) {
    out["foreground_iou"] = confusion.iou_per_class()[1].item<double>();
    out["foreground_iou_per_image"] = foreground_iou_per_image(predicted, truth).mean().item<double>();
  }
  return out;
}

torch::Tensor SegmentationTask::picture_of_target(const torch::Tensor& target) const {
  if (train_.classes == 2) return target.to(torch::kFloat32).unsqueeze(0);
  // Blue, green, red for classes 0, 1, 2; grey levels beyond.
  auto palette = torch::tensor({0.0f, 0.0f, 1.0f, 0.0f, 1.0f, 0.0f, 1.0f, 0.0f, 0.0f}).view({3, 3});
  if (train_.classes > 3) {
    const auto grey = torch::linspace(0.2, 0.8, train_.classes - 3).unsqueeze(1).expand({-1, 3});
    palette = torch::cat({palette, grey}, 0);
  }
  return palette.index_select(0, target.flatten().to(torch::kLong)).t().reshape({3, target.size(0), target.size(1)});
}

}  // namespace cglow
