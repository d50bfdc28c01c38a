// Peak signal-to-noise ratio (sections 5.4-5.6), in dB.
#pragma once

#include <torch/torch.h>

namespace cglow {

// 10 log10(peak^2 / MSE) of each image of a batch [B, ...]; `peak` is the largest value an image can
// take (1 for images in [0, 1]). Infinity for a perfect match. With a `mask` (bool, the images' shape),
// the MSE is over the pixels it marks only (depth maps have pixels with no measurement).
torch::Tensor psnr_per_image(const torch::Tensor& estimate, const torch::Tensor& truth, double peak = 1.0,
                             const torch::Tensor& mask = {});

}  // namespace cglow
