// Segmentation metrics (sections 5.2 and 5.3): intersection over union and pixel accuracy from a
// confusion matrix pooled over a whole test set, foreground IoU averaged per image (what DVN reports),
// and super-pixel accuracy (the label of a super-pixel is the majority of its pixels' labels).
#pragma once

#include <torch/torch.h>

namespace cglow {

class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(int64_t classes);

  // Adds label maps of the same shape (any number of dimensions) with values 0 .. classes-1.
  void add(const torch::Tensor& predicted, const torch::Tensor& truth);

  int64_t classes() const { return counts_.size(0); }
  const torch::Tensor& counts() const { return counts_; }  // [truth, predicted], int64
  double pixel_accuracy() const;
  // Intersection over union of each class, over everything added; NaN for a class absent from both.
  torch::Tensor iou_per_class() const;
  // The mean over classes of iou_per_class() (the paper's "mean IoU"), ignoring absent classes.
  double mean_iou() const;

 private:
  torch::Tensor counts_;
};

// Foreground (class 1) IoU of each image of a batch [B, H, W] of binary labels; an image whose truth and
// prediction are both empty counts as 1.
torch::Tensor foreground_iou_per_image(const torch::Tensor& predicted, const torch::Tensor& truth);

// Super-pixel accuracy of one image: each super-pixel (integer ids [H, W]) takes the majority label of
// the prediction and of the truth [H, W]; the fraction of super-pixels whose two labels agree.
double superpixel_accuracy(const torch::Tensor& predicted, const torch::Tensor& truth,
                           const torch::Tensor& superpixels, int64_t classes);

}  // namespace cglow
