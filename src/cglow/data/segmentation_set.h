// Images with per-pixel labels, loaded and resized to the model's size.
#pragma once

#include <string>
#include <vector>

#include <torch/torch.h>

namespace cglow {

struct SegmentationSet {
  torch::Tensor images;            // [N, 3, S, S] floats in [0, 1]
  torch::Tensor labels;            // [N, S, S] int64 class indices
  std::vector<std::string> names;  // one per example, for output files
  int64_t classes = 2;
  torch::Tensor regions;           // optional [N, S, S] int64 super-pixel ids, for super-pixel accuracy
  // Optional: the same examples resized to D times the size ([N, 3, DS, DS] and [N, DS, DS]), so that
  // zoomed training crops can be cut with the detail the model's size has lost (SegmentationTask).
  torch::Tensor detail_images, detail_labels;
};

// What every reader does with the examples it has read at their own size: resizes each to the model's
// size (and, with detail above 1, to detail times it) and stacks them into a SegmentationSet.
class SegmentationSetBuilder {
 public:
  SegmentationSetBuilder(int64_t size, int64_t classes, int64_t detail)
      : size_(size), classes_(classes), detail_(detail) {}
  // image: [3, H, W] floats in [0, 1]; labels: [H, W] class indices.
  void add(const torch::Tensor& image, const torch::Tensor& labels, const std::string& name);
  bool empty() const { return names_.empty(); }
  SegmentationSet build() const;

 private:
  int64_t size_, classes_, detail_;
  std::vector<torch::Tensor> images_, labels_, detail_images_, detail_labels_;
  std::vector<std::string> names_;
};

}  // namespace cglow
