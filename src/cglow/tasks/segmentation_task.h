// Binary segmentation (section 5.2) and multi-class segmentation (section 5.3): x is the image, the
// target its label map; binary masks are tiled to 3 channels of y (the paper's choice, or as many as asked),
// multi-class labels one channel each.
#pragma once

#include "cglow/data/segmentation_set.h"
#include "cglow/tasks/task.h"

namespace cglow {

class SegmentationTask : public Task {
 public:
  // Training examples are flipped left-right with probability 1/2 when `flips` is set, and with `zoom`
  // below 1 are random crops keeping a fraction in [zoom, 1] of each side, resized back to the full size
  // (the image bilinearly, the labels by nearest neighbour; or, where the training set has detail images,
  // cut from those and area-averaged down): with few training images (such as 180 horses) a flow that
  // sees the same masks for long becomes over-confident on unseen ones. With `jitter`
  // above 0 each training image's brightness, contrast and saturation are scaled by independent random
  // factors in [1 - jitter, 1 + jitter], so that a model cannot lean on the colours of the few horses it sees.
  // Binary masks become `mask_tiles` channels of y, each dequantised with its own noise.
  SegmentationTask(std::string name, SegmentationSet train, SegmentationSet test, bool flips = true, double zoom = 1,
                   double jitter = 0, int64_t mask_tiles = kPaperMaskTiles);

  std::string name() const override { return name_; }
  Shape x_shape() const override;
  Shape y_shape() const override;
  OutputCoding coding() const override;
  int64_t size(DataSplit split) const override { return set(split).images.size(0); }
  Examples examples(DataSplit split, const torch::Tensor& indices, torch::Generator* generator) const override;
  // Binary: foreground IoU and mean IoU over both classes, pooled over the split; foreground IoU averaged
  // per image; pixel accuracy. Multi-class: pixel accuracy and mean IoU. Both: super-pixel accuracy
  // averaged over images when the test set has super-pixel maps and `predicted` is the whole split.
  std::map<std::string, double> metrics(const torch::Tensor& predicted, const torch::Tensor& truth) const override;
  // Binary: white foreground; multi-class: class c in the colour of the LFW labels (background blue,
  // skin green, hair red) for the first three classes.
  torch::Tensor picture_of_target(const torch::Tensor& target) const override;

  const SegmentationSet& set(DataSplit split) const { return split == DataSplit::train ? train_ : test_; }

 private:
  std::string name_;
  SegmentationSet train_, test_;
  bool flips_;
  double zoom_;
  double jitter_;
  int64_t mask_tiles_;
};

}  // namespace cglow
