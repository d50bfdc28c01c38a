// Depth maps in the 7-Scenes layout (Shotton et al. 2013), the data of the paper's depth refinement
// (section 5.5): SCENE/seq-NN/frame-NNNNNN.depth.png, 16-bit depth in millimetres, where 0 and 65535
// (what the distributed files use) mean "no measurement".
#pragma once

#include <string>
#include <vector>

#include <torch/torch.h>

namespace cglow {

struct DepthFrames {
  torch::Tensor depth;  // [N, 1, H, W] metres, every pixel defined (see read_depth_frames)
  torch::Tensor valid;  // [N, 1, H, W] bool: the pixels the camera measured
  std::vector<std::string> names;
};

// The frame-*.depth.png files under `folder` (searched recursively, in path order); with `count` > 0,
// that many of them, evenly spaced. A flow needs its target defined everywhere, so each missing pixel
// takes the mean of its nearest measured neighbours; `valid` keeps which were measured, for scoring.
// DataError naming the folder or file: no frames, an unreadable or 8-bit file, frames of different
// sizes, a frame without any measurement.
DepthFrames read_depth_frames(const std::string& folder, int64_t count = 0);

// Fills the pixels of `depth` [1, H, W] where `valid` is false by growing the measured region one
// pixel at a time, each new pixel the mean of its measured 3x3 neighbours. `valid` must mark one pixel.
torch::Tensor fill_missing_depth(const torch::Tensor& depth, const torch::Tensor& valid);

}  // namespace cglow
