// Floating-point operations of the layers that dominate c-Glow's cost, counted from their shapes (two
// per multiply-add; element-wise operations are not counted). The benchmark divides them by time.
#pragma once

#include <torch/torch.h>

namespace cglow {

// A convolution producing out_h x out_w pixels, for one sample.
inline double conv_flops(const torch::nn::Conv2d& conv, int64_t out_h, int64_t out_w) {
  const auto& o = conv->options;
  const double per_output = static_cast<double>(o.in_channels() / o.groups()) * (*o.kernel_size())[0] *
                            (*o.kernel_size())[1];
  return 2.0 * per_output * static_cast<double>(o.out_channels() * out_h * out_w);
}

}  // namespace cglow
