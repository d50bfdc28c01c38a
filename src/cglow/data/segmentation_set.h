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

}  // namespace cglow
