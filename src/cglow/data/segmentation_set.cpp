#include "cglow/data/segmentation_set.h"

#include "cglow/data/image_io.h"

namespace cglow {

void SegmentationSetBuilder::add(const torch::Tensor& image, const torch::Tensor& labels, const std::string& name) {
  images_.push_back(resize_image(image, size_, size_));
  labels_.push_back(resize_labels(labels, classes_, size_, size_));
  if (detail_ > 1) {
    detail_images_.push_back(resize_image(image, detail_ * size_, detail_ * size_));
    detail_labels_.push_back(resize_labels(labels, classes_, detail_ * size_, detail_ * size_));
  }
  names_.push_back(name);
}

SegmentationSet SegmentationSetBuilder::build() const {
  SegmentationSet set;
  set.images = torch::stack(images_);
  set.labels = torch::stack(labels_);
  set.names = names_;
  set.classes = classes_;
  if (detail_ > 1) {
    set.detail_images = torch::stack(detail_images_);
    set.detail_labels = torch::stack(detail_labels_);
  }
  return set;
}

}  // namespace cglow
