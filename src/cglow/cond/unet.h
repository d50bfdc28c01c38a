// A small U-Net (Ronneberger, Fischer and Brox 2015): an encoder that halves x's resolution `depth`
// times and a decoder that doubles it back, each decoder stage also reading the encoder's features of
// its resolution. It gives features of x at every resolution, each seeing the whole image.
//
// Two users: c-Glow's shared encoder (GlowConfig::encoder_width, beyond the paper, which allows any
// differentiable conditioning network, section 4.1): computed once per image, its features at each
// level's resolution feed that level's coupling layers and split prior (and, with actnorm_per_pixel, its
// actnorms); and the feed-forward baseline.
#pragma once

#include <vector>

#include <torch/torch.h>

namespace cglow {

class UNetImpl : public torch::nn::Module {
 public:
  // Stage j (resolution 1/2^j of x) has min(width * 2^j, 8 * width) channels. The decoder stops at
  // stage `finest`: its users need no finer features.
  UNetImpl(int64_t in_channels, int64_t width, int64_t depth, int64_t finest = 0);

  // x [B, C, H, W] (H and W divisible by 2^depth) -> the decoder's features of stages 0 (full
  // resolution) to `depth` (the bottom of the encoder): [B, channels(j), H / 2^j, W / 2^j], undefined
  // for the stages finer than `finest`.
  std::vector<torch::Tensor> forward(const torch::Tensor& x);

  int64_t depth() const { return static_cast<int64_t>(channels_.size()) - 1; }
  int64_t channels(int64_t stage) const { return channels_.at(static_cast<size_t>(stage)); }
  // Floating-point operations of forward() for one input of H x W.
  double flops(int64_t height, int64_t width) const;

 private:
  std::vector<int64_t> channels_;
  int64_t finest_;
  // down_[j] makes stage j of the encoder; up_[j - finest_] stage j of the decoder (finest_ <= j < depth).
  std::vector<torch::nn::Sequential> down_, up_;
};
TORCH_MODULE(UNet);

}  // namespace cglow
