#include "cglow/cond/downscale.h"

#include <stdexcept>
#include <string>

namespace cglow {
namespace {

struct Axis {
  int64_t stride, kernel, padding;
};

Axis axis(int64_t in, int64_t out) {
  if (out <= 0 || in % out != 0)
    throw std::invalid_argument("cannot downscale " + std::to_string(in) + " pixels to " + std::to_string(out) +
                                " with an integer stride");
  const int64_t stride = in / out;
  const int64_t padding = stride == 1 ? 1 : 0;
  return {stride, 2 * padding + stride, padding};
}

}  // namespace

torch::nn::Conv2d downscale_conv(int64_t in_channels, int64_t out_channels, int64_t in_h, int64_t in_w,
                                 int64_t out_h, int64_t out_w, int64_t groups) {
  const Axis h = axis(in_h, out_h), w = axis(in_w, out_w);
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, out_channels, {h.kernel, w.kernel})
                               .stride({h.stride, w.stride})
                               .padding({h.padding, w.padding})
                               .groups(groups));
}

}  // namespace cglow
