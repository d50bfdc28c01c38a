// PNG grids of images, for people who would rather look than read: one row per example, one column per
// kind of picture (input, truth, samples, mean, uncertainty).
#pragma once

#include <string>
#include <vector>

#include <torch/torch.h>

namespace cglow {

// Each cell is [C, H, W] with C = 1 (grey) or 3 (RGB), values in [0, 1] (clamped). Cells of a grid may
// differ in size: each is scaled (nearest neighbour) to the largest height and width, times the smallest
// whole factor that makes cells at least `min_cell` pixels high, so that 32x32 outputs can be seen.
// Throws DataError (a std::runtime_error) naming the file when it cannot be written.
void write_image_grid(const std::string& path, const std::vector<std::vector<torch::Tensor>>& rows,
                      int min_cell = 1);

}  // namespace cglow
