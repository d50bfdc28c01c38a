#include "cglow/flow/squeeze.h"

namespace cglow {

FlowOutput SqueezeImpl::forward(const torch::Tensor& y, const Condition&) {
  const int64_t b = y.size(0), c = y.size(1), h = y.size(2), w = y.size(3);
  const auto z = y.reshape({b, c, h / 2, 2, w / 2, 2}).permute({0, 1, 3, 5, 2, 4}).reshape({b, c * 4, h / 2, w / 2});
  return {z, torch::zeros({b}, y.options())};
}

torch::Tensor SqueezeImpl::inverse(const torch::Tensor& z, const Condition&) {
  const int64_t b = z.size(0), c = z.size(1) / 4, h = z.size(2), w = z.size(3);
  return z.reshape({b, c, 2, 2, h, w}).permute({0, 1, 4, 2, 5, 3}).reshape({b, c, h * 2, w * 2});
}

}  // namespace cglow
