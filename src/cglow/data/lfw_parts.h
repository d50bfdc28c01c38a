// Multi-class segmentation data (section 5.3): LFW Part Labels (Kae et al. 2013). Images are
// lfw_funneled/NAME/NAME_NNNN.jpg; labels are colour images, pure red = hair, pure green = skin, pure
// blue = background, as labels/NAME_NNNN.png or as the distributed parts_lfw_funneled_gt_images/
// NAME_NNNN.ppm; a split file lists "NAME N" per line.
#pragma once

#include "cglow/data/segmentation_set.h"

namespace cglow {

// Class indices of the LFW labels.
enum LfwClass : int64_t { kLfwBackground = 0, kLfwSkin = 1, kLfwHair = 2 };

// The examples of `split_file` (a path, or a name relative to root) at size x size. With a
// `superpixels` folder, each example's super-pixel map NAME_NNNN.{png,ppm,pgm} (as read_region_ids
// reads it) is read into `regions`, resized by nearest neighbour. DataError for a missing or empty
// split, a line that is not "NAME N", a missing image, label or super-pixel file, a label colour
// outside the three, or a label or super-pixel map of another size than its image. With `detail` above 1
// the examples are also kept at detail x size (SegmentationSet::detail_images, detail_labels).
SegmentationSet read_lfw_parts(const std::string& root, const std::string& split_file, int64_t size,
                               const std::string& superpixels = "", int64_t detail = 1);

// A colour label image [H, W, 3] (uint8 RGB) -> class indices [H, W]; DataError naming `path` and the
// first pixel whose colour is not pure red, green or blue.
torch::Tensor lfw_labels_from_colours(const torch::Tensor& rgb, const std::string& path);

}  // namespace cglow
