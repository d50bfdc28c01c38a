// The paper's downscaling convolution (section 5.1): stride Hi/Ho, kernel 2*padding + stride.
#pragma once

#include <torch/torch.h>

namespace cglow {

// A convolution from in_h x in_w to out_h x out_w. Padding is 0 when it downscales (kernel = stride, the
// patches tile the input exactly) and 1 when it keeps the size (a 3x3 convolution). `groups` > 1 runs
// that many independent convolutions side by side. Throws std::invalid_argument when the sizes are not
// whole multiples.
torch::nn::Conv2d downscale_conv(int64_t in_channels, int64_t out_channels, int64_t in_h, int64_t in_w,
                                 int64_t out_h, int64_t out_w, int64_t groups = 1);

}  // namespace cglow
