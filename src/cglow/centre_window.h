// The window of an image's last two dimensions centred in it: inpainting hides it, the baseline and the
// prediction shift's head read their outputs for it there, and image folders crop their squares so. One
// function, so that what is hidden and what is predicted cannot drift apart by a pixel.
#pragma once

#include <torch/torch.h>

namespace cglow {

// A view of `image` ([..., H, W]) of height x width at its centre, rounding the offsets down.
inline torch::Tensor centre_window(const torch::Tensor& image, int64_t height, int64_t width) {
  return image.narrow(-2, (image.size(-2) - height) / 2, height).narrow(-1, (image.size(-1) - width) / 2, width);
}

}  // namespace cglow
