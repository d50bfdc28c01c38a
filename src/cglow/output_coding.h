// How a task's outputs become the continuous y that the flow models, and how y becomes outputs again.
//
// Discrete outputs are dequantised (section 4.2): a label k becomes the centre of a bin of width 1 plus
// uniform noise over the bin, so that training on the continuous density maximises a lower bound on the
// discrete likelihood, log q(k|x) >= E_u[log p(k + u|x)] + d log(bin width). Binary masks are tiled to
// several channels, as the paper does; multi-class labels become one channel per class.
#pragma once

#include <string>

#include <torch/torch.h>

namespace cglow {

// Section 5.2 tiles each binary mask to three channels of y: "This transformation can improve the model
// performance". One tile trained faster but scored no better on horses (docs/results/horse.md).
constexpr int64_t kPaperMaskTiles = 3;

// Discrete labels sit at k - 0.5 in y, so that a binary mask spans [-1, 1) once dequantised: centred, as
// Glow centres its inputs.
constexpr double kLabelOffset = 0.5;

class OutputCoding {
 public:
  enum class Kind { continuous, binary, multiclass };

  // Real-valued outputs with `channels` channels. A positive bin_width says the values are quantised
  // (for example 1/255 for 8-bit images) and are dequantised over bins of that width. y = value - offset:
  // images in [0, 1] are centred with offset 0.5, as Glow centres its inputs.
  static OutputCoding continuous(int64_t channels, double bin_width = 0.0, double offset = 0.0);
  // Masks with values {0, 1}, tiled to `tiles` channels.
  static OutputCoding binary(int64_t tiles = kPaperMaskTiles);
  // Labels 0 .. classes-1, one channel per class.
  static OutputCoding multiclass(int64_t classes);

  Kind kind() const { return kind_; }
  int64_t channels() const { return channels_; }

  // Targets -> bin centres of y. Discrete targets are integer labels [B, H, W]; continuous ones are
  // [B, C, H, W]. Throws std::invalid_argument naming the value when a label is out of range.
  torch::Tensor encode(const torch::Tensor& target) const;
  // y plus independent uniform noise over each value's bin; y itself for truly continuous outputs.
  torch::Tensor dequantize(const torch::Tensor& y, c10::optional<torch::Generator> generator = c10::nullopt) const;
  // y -> targets: the bin a value falls in (binary: the mean over the tiles; multi-class: arg-max).
  torch::Tensor decode(const torch::Tensor& y) const;
  // log of the bin width, added per dimension to turn a density into a probability of the bin.
  double log_bin_width() const;

 private:
  OutputCoding(Kind kind, int64_t channels, double bin_width, double offset = 0.0)
      : kind_(kind), channels_(channels), bin_width_(bin_width), offset_(offset) {}

  Kind kind_;
  int64_t channels_;
  double bin_width_;  // 0 for truly continuous outputs
  double offset_;     // continuous outputs: y = value - offset
};

// -log p in bits per dimension of y, from log p(y|x) in nats per sample over `dims` dimensions, with the
// coding's bin width so that discrete outputs are scored as probabilities of their bins.
torch::Tensor bits_per_dim(const torch::Tensor& log_prob, int64_t dims, const OutputCoding& coding);

}  // namespace cglow
