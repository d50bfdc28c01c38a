#include "cglow/cond/conditioning_net.h"

#include <array>

#include "cglow/cond/downscale.h"
#include "cglow/flops.h"

namespace cglow {
namespace {

constexpr int kConvs = 3;

// The side lengths after each of the three convolutions: halve while even and above `grid`, taking the
// larger strides first.
std::array<int64_t, kConvs + 1> sides(int64_t side, int64_t grid) {
  int halvings = 0;
  for (int64_t s = side; s % 2 == 0 && s > grid; s /= 2) ++halvings;
  std::array<int64_t, kConvs + 1> out{side};
  for (int i = 0; i < kConvs; ++i) {
    const int here = (halvings + (kConvs - i) - 1) / (kConvs - i);  // ceil(remaining / convs left)
    halvings -= here;
    out[i + 1] = out[i] >> here;
  }
  return out;
}

// The last layer's outputs set the layer's parameters as offsets from their unconditional base. Small
// (not zero) weights keep the flow at its base at the start while every weight before them receives a
// gradient from the first step: the authors' code zeroed two layers before a ReLU, and its actnorm and
// 1x1 conditioning networks never learned.
constexpr double kOutputInitScale = 1e-2;

}  // namespace

ConditioningNetImpl::ConditioningNetImpl(Shape x, int64_t nc, int64_t nw, int64_t grid, int64_t out_features) {
  const auto hs = sides(x.height, grid), ws = sides(x.width, grid);
  convs_ = torch::nn::Sequential();
  int64_t channels = x.channels;
  for (int i = 0; i < kConvs; ++i) {
    const auto conv = downscale_conv(channels, nc, hs[i], ws[i], hs[i + 1], ws[i + 1]);
    flops_ += conv_flops(conv, hs[i + 1], ws[i + 1]);
    convs_->push_back(conv);
    convs_->push_back(torch::nn::ReLU());
    channels = nc;
  }
  torch::nn::Linear last(nw, out_features);
  {
    torch::NoGradGuard no_grad;
    last->weight.mul_(kOutputInitScale);
    last->bias.zero_();
  }
  torch::nn::Linear first(nc * hs[kConvs] * ws[kConvs], nw), middle(nw, nw);
  flops_ += linear_flops(first) + linear_flops(middle) + linear_flops(last);
  fcs_ = torch::nn::Sequential(first, torch::nn::ReLU(), middle, torch::nn::ReLU(), last);
  register_module("convs", convs_);
  register_module("fcs", fcs_);
}

torch::Tensor ConditioningNetImpl::forward(const torch::Tensor& x) {
  return fcs_->forward(convs_->forward(x).flatten(1));
}

}  // namespace cglow
