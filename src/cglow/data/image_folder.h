// Plain folders of images (BSDS500's images/train and images/test, CelebA's img_align_celeba, LFW's
// one folder per person, any folder of photos), square-cropped at the centre and resized.
#pragma once

#include <string>
#include <vector>

#include <torch/torch.h>

namespace cglow {

// The images of `folders` and their subfolders (sorted by path within each), each cropped to a centred
// square of side `crop` (0: the largest square) and resized to size x size: [N, 3, size, size] in
// [0, 1]. DataError for a missing folder, no images, an unreadable image or one smaller than `crop`.
torch::Tensor read_image_folders(const std::vector<std::string>& folders, int64_t size, int64_t crop = 0);

}  // namespace cglow
