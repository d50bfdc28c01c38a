#include "cglow/tasks/segmentation_task.h"

#include <stdexcept>
#include <vector>

#include <c10/util/StringUtil.h>

#include "cglow/metrics/segmentation.h"

namespace cglow {

SegmentationTask::SegmentationTask(std::string name, SegmentationSet train, SegmentationSet test, bool flips,
                                   double zoom, double jitter, int64_t mask_tiles)
    : name_(std::move(name)),
      train_(std::move(train)),
      test_(std::move(test)),
      flips_(flips),
      zoom_(zoom),
      jitter_(jitter),
      mask_tiles_(mask_tiles) {
  // Crops are cut from training examples only: a reader that kept detail views of the test split (it
  // reads both from one folder) need not keep them alive for the run.
  test_.detail_images = test_.detail_labels = torch::Tensor();
  if (!(zoom_ > 0 && zoom_ <= 1))
    throw std::invalid_argument(c10::str(name_, ": zoom must be in (0, 1], got ", zoom_));
  if (!(jitter_ >= 0 && jitter_ < 1))
    throw std::invalid_argument(c10::str(name_, ": jitter must be in [0, 1), got ", jitter_));
  if (mask_tiles_ < 1)
    throw std::invalid_argument(c10::str(name_, ": mask_tiles must be 1 or more, got ", mask_tiles_));
  if (train_.images.size(0) == 0 || test_.images.size(0) == 0)
    throw std::invalid_argument(name_ + ": an empty training or test split");
  if (train_.classes != test_.classes || !train_.images.sizes().slice(1).equals(test_.images.sizes().slice(1)))
    throw std::invalid_argument(name_ + ": training and test splits differ in classes or image size");
  const auto &detail_images = train_.detail_images, &detail_labels = train_.detail_labels;
  if (detail_images.defined() || detail_labels.defined()) {
    const auto size = train_.images.sizes();
    const bool whole_multiple =
        detail_images.defined() && detail_labels.defined() && detail_images.dim() == 4 &&
        detail_images.sizes().slice(0, 2).equals(size.slice(0, 2)) && detail_images.size(2) % size[2] == 0 &&
        detail_images.size(3) % size[3] == 0 && detail_images.size(2) / size[2] == detail_images.size(3) / size[3] &&
        detail_labels.scalar_type() == torch::kLong &&
        detail_labels.sizes().equals({size[0], detail_images.size(2), detail_images.size(3)});
    if (!whole_multiple)
      throw std::invalid_argument(
          name_ + ": detail images or labels are not the training examples at a whole multiple of their size");
  }
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
  return train_.classes == 2 ? OutputCoding::binary(mask_tiles_) : OutputCoding::multiclass(train_.classes);
}

Examples SegmentationTask::examples(DataSplit split, const torch::Tensor& indices, torch::Generator* generator) const {
  namespace F = torch::nn::functional;
  const auto& s = set(split);
  const int64_t n = indices.size(0);
  torch::Tensor flip;  // [n] bools, drawn before the crops as they always were, so that old runs repeat
  if (generator && flips_) flip = torch::rand({n}, *generator) < 0.5;
  const auto flipped = [&](const torch::Tensor& t) { return flip.defined() ? flip_where(t, flip) : t; };
  // Where zoomed: each crop as an affine map ([n, 2, 3]) of the output grid's [-1, 1] coordinates into the input's.
  torch::Tensor theta;
  if (generator && zoom_ < 1) {
    // A crop of side `scale` (in units of the image side) at a random place.
    const auto scale = zoom_ + (1 - zoom_) * torch::rand({n}, *generator);
    const auto shift = (1 - scale).unsqueeze(1) * (2 * torch::rand({n, 2}, *generator) - 1);
    const auto zero = torch::zeros({n});
    theta = torch::stack({torch::stack({scale, zero, shift.select(1, 0)}, 1),
                          torch::stack({zero, scale, shift.select(1, 1)}, 1)}, 1);
  }
  const auto bilinear =
      F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kBorder).align_corners(false);
  torch::Tensor x, target;
  if (theta.defined() && s.detail_images.defined()) {  // only the training split keeps detail images
    // Cut at D times the size and area-averaged down by D, as the readers shrink images and let label
    // planes vote: a crop is as sharp as an uncropped image, and its mask keeps smooth boundaries.
    const int64_t detail = s.detail_images.size(3) / s.images.size(3);
    const auto grid =
        F::affine_grid(theta, {n, 1, s.detail_images.size(2), s.detail_images.size(3)}, /*align_corners=*/false);
    const auto cut = [&](const torch::Tensor& fine) {
      return F::avg_pool2d(F::grid_sample(flipped(fine).to(torch::kFloat32), grid, bilinear),
                           F::AvgPool2dFuncOptions(detail));
    };
    x = cut(s.detail_images.index_select(0, indices));
    target = cut(torch::one_hot(s.detail_labels.index_select(0, indices), s.classes).permute({0, 3, 1, 2})).argmax(1);
  } else {
    x = flipped(s.images.index_select(0, indices));
    target = flipped(s.labels.index_select(0, indices));
    if (theta.defined()) {
      // Resized back up from the model's size: the image bilinearly, the labels by nearest neighbour.
      const auto grid = F::affine_grid(theta, x.sizes(), /*align_corners=*/false);
      x = F::grid_sample(x, grid, bilinear);
      target = F::grid_sample(target.unsqueeze(1).to(torch::kFloat), grid,
                              F::GridSampleFuncOptions()
                                  .mode(torch::kNearest)
                                  .padding_mode(torch::kBorder)
                                  .align_corners(false))
                   .squeeze(1)
                   .round()
                   .to(target.scalar_type());
    }
  }
  if (generator && jitter_ > 0) {
    const auto factor = [&] { return (1 - jitter_ + 2 * jitter_ * torch::rand({n, 1, 1, 1}, *generator)); };
    x = x * factor();
    const auto mean = x.mean({1, 2, 3}, /*keepdim=*/true);
    x = mean + (x - mean) * factor();
    const auto grey = x.mean(1, /*keepdim=*/true);
    x = (grey + (x - grey) * factor()).clamp(0, 1);
  }
  return {x, target};
}

std::map<std::string, double> SegmentationTask::metrics(const torch::Tensor& predicted,
                                                        const torch::Tensor& truth) const {
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
