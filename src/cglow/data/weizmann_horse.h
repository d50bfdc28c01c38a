// Binary segmentation data (section 5.2): the Weizmann Horse layout (rgb/horseNNN.jpg and
// figure_ground/horseNNN.jpg) and any pair of folders of images and masks with matching names.
#pragma once

#include "cglow/data/segmentation_set.h"

namespace cglow {

// Images and masks of `images_dir` and `masks_dir` matched by file name without extension, sorted by
// name, examples `first` .. first+count-1 of them (count < 0: all), at size x size. Each image is first
// resized to its mask's size (the horse images are often larger than their masks); masks are grey
// levels thresholded at 127 (JPEG masks carry compression noise). With `detail` above 1 the examples are
// also kept at detail x size (SegmentationSet::detail_images, detail_labels). DataError for a missing
// folder, an image without a mask or the other way round, an unreadable file, or an empty selection.
SegmentationSet read_mask_folders(const std::string& images_dir, const std::string& masks_dir, int64_t size,
                                  int64_t first = 0, int64_t count = -1, int64_t detail = 1);

// The paper's training split of the Weizmann Horse database: horses 1-200 (the remaining 128 are its test set).
constexpr int64_t kWeizmannTrainingHorses = 200;

// The Weizmann Horse database in `root` (rgb/, figure_ground/).
SegmentationSet read_weizmann_horse(const std::string& root, int64_t size, int64_t first = 0, int64_t count = -1,
                                    int64_t detail = 1);

}  // namespace cglow
