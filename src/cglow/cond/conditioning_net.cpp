#include "cglow/cond/conditioning_net.h"

#include <array>
#include <cmath>

#include "cglow/channels_last.h"
#include "cglow/cond/downscale.h"
#include "cglow/cond/recompute.h"
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

}  // namespace

ConditioningNetImpl::ConditioningNetImpl(Shape x, int64_t nc, int64_t nw, int64_t grid, int64_t out_features,
                                         int64_t networks)
    : networks_(networks) {
  const auto hs = sides(x.height, grid), ws = sides(x.width, grid);
  convs_ = torch::nn::Sequential();
  for (int i = 0; i < kConvs; ++i) {
    // The first convolution of every network reads the same x: one convolution with networks * nc
    // outputs. The later ones read their own network's channels: grouped convolutions.
    const int64_t in = i == 0 ? x.channels : networks * nc;
    auto conv = downscale_conv(in, networks * nc, hs[i], ws[i], hs[i + 1], ws[i + 1], i == 0 ? 1 : networks);
    flops_ += conv_flops(conv, hs[i + 1], ws[i + 1]);
    convs_->push_back(conv);
    convs_->push_back(conditioning_activation());
  }
  register_module("convs", convs_);
  const int64_t flat = nc * hs[kConvs] * ws[kConvs];
  dense_ = {dense("fc0", flat, nw, 1.0), dense("fc1", nw, nw, 1.0),
            dense("fc2", nw, out_features, kParameterOutputInitScale)};
  flops_ += 2.0 * networks * (flat * nw + nw * nw + nw * out_features);
}

ConditioningNetImpl::Dense ConditioningNetImpl::dense(const std::string& name, int64_t in, int64_t out,
                                                      double init_scale) {
  // torch::nn::Linear's initialisation, U(-1/sqrt(in), 1/sqrt(in)) for weights and biases, per network.
  const double bound = 1.0 / std::sqrt(static_cast<double>(in));
  auto weight = torch::empty({networks_, in, out}).uniform_(-bound * init_scale, bound * init_scale);
  auto bias = init_scale == 1.0 ? torch::empty({networks_, 1, out}).uniform_(-bound, bound)
                                : torch::zeros({networks_, 1, out});
  return {register_parameter(name + "_weight", weight), register_parameter(name + "_bias", bias)};
}

torch::Tensor ConditioningNetImpl::forward(const torch::Tensor& x) {
  const int64_t batch = x.size(0);
  // [B, networks * nc, h, w] -> [networks, B, nc * h * w]: each network's features, batched.
  auto h = forward_recomputed(convs_, channels_last(x)).contiguous().view({batch, networks_, -1}).transpose(0, 1);
  for (size_t i = 0; i < dense_.size(); ++i) {
    h = torch::baddbmm(dense_[i].bias, h, dense_[i].weight);
    if (i + 1 < dense_.size()) h = torch::leaky_relu_(h, kConditioningSlope);
  }
  return h.transpose(0, 1);
}

}  // namespace cglow
