#include "cglow/metrics/segmentation.h"

#include <limits>
#include <stdexcept>

namespace cglow {
namespace {

void check_same_shape(const torch::Tensor& a, const torch::Tensor& b) {
  if (!a.sizes().equals(b.sizes()))
    throw std::invalid_argument("predicted and true label maps differ in shape");
}

void check_labels(const torch::Tensor& labels, int64_t classes) {
  if (labels.numel() > 0 && (labels.min().item<int64_t>() < 0 || labels.max().item<int64_t>() >= classes))
    throw std::invalid_argument("label outside 0.." + std::to_string(classes - 1));
}

// The majority label of each super-pixel: [superpixels] from per-pixel labels (CPU, int64).
torch::Tensor majority(const torch::Tensor& labels, const torch::Tensor& ids, int64_t regions, int64_t classes) {
  check_labels(labels, classes);
  auto votes = torch::zeros({regions * classes}, torch::kLong);
  votes.index_add_(0, ids * classes + labels, torch::ones_like(ids));
  return votes.view({regions, classes}).argmax(1);
}

}  // namespace

ConfusionMatrix::ConfusionMatrix(int64_t classes) : counts_(torch::zeros({classes, classes}, torch::kLong)) {
  if (classes < 2) throw std::invalid_argument("a confusion matrix needs at least 2 classes");
}

void ConfusionMatrix::add(const torch::Tensor& predicted, const torch::Tensor& truth) {
  check_same_shape(predicted, truth);
  const auto p = predicted.flatten().to(torch::kCPU, torch::kLong), t = truth.flatten().to(torch::kCPU, torch::kLong);
  const int64_t k = classes();
  check_labels(p, k);
  check_labels(t, k);
  counts_ += torch::bincount(t * k + p, {}, k * k).view({k, k});
}

double ConfusionMatrix::pixel_accuracy() const {
  const auto total = counts_.sum().item<int64_t>();
  return total == 0 ? std::numeric_limits<double>::quiet_NaN()
                    : static_cast<double>(counts_.diagonal().sum().item<int64_t>()) / total;
}

torch::Tensor ConfusionMatrix::iou_per_class() const {
  const auto c = counts_.to(torch::kFloat64);
  const auto intersection = c.diagonal();
  const auto uni = c.sum(0) + c.sum(1) - intersection;
  return intersection / uni;  // 0/0 = NaN for a class that is nowhere
}

double ConfusionMatrix::mean_iou() const { return torch::nanmean(iou_per_class()).item<double>(); }

torch::Tensor foreground_iou_per_image(const torch::Tensor& predicted, const torch::Tensor& truth) {
  check_same_shape(predicted, truth);
  const auto p = predicted.flatten(1).ne(0), t = truth.flatten(1).ne(0);
  const auto intersection = (p & t).sum(1).to(torch::kFloat64), uni = (p | t).sum(1).to(torch::kFloat64);
  return torch::where(uni > 0, intersection / uni.clamp_min(1), torch::ones_like(uni));
}

double superpixel_accuracy(const torch::Tensor& predicted, const torch::Tensor& truth,
                           const torch::Tensor& superpixels, int64_t classes) {
  check_same_shape(predicted, truth);
  check_same_shape(predicted, superpixels);
  const auto ids = superpixels.flatten().to(torch::kCPU, torch::kLong);
  if (ids.numel() == 0 || ids.min().item<int64_t>() < 0)
    throw std::invalid_argument("super-pixel ids must be non-negative");
  // Ids need not be contiguous: renumber them 0 .. n-1.
  const auto [unique, dense] = torch::_unique(ids, /*sorted=*/true, /*return_inverse=*/true);
  const int64_t regions = unique.numel();
  const auto p = majority(predicted.flatten().to(torch::kCPU, torch::kLong), dense, regions, classes);
  const auto t = majority(truth.flatten().to(torch::kCPU, torch::kLong), dense, regions, classes);
  return p.eq(t).to(torch::kFloat64).mean().item<double>();
}

}  // namespace cglow
