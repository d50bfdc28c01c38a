// The configuration of a c-Glow model: everything needed to rebuild it, saved with its weights.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace cglow {

// Channels, height, width of one image-like tensor (without the batch dimension).
struct Shape {
  int64_t channels = 0;
  int64_t height = 0;
  int64_t width = 0;

  int64_t numel() const { return channels * height * width; }
  bool operator==(const Shape& o) const {
    return channels == o.channels && height == o.height && width == o.width;
  }
  bool operator!=(const Shape& o) const { return !(*this == o); }
};

// Names follow section 5.1 of the paper: L levels of K steps; nc and nw are the channels and width of the
// actnorm / 1x1 conditioning networks (of the 1x1 ones only, with actnorm_per_pixel); the coupling layers
// have their own conditioning network (coupling_cond_channels, 16 in the paper) and a three-layer NN of
// coupling_width channels (256).
struct GlowConfig {
  Shape x{3, 64, 64};  // the input image the model conditions on
  Shape y{3, 64, 64};  // the structured output it models
  int64_t levels = 3;                  // L
  int64_t steps = 8;                   // K
  int64_t cond_channels = 64;          // nc
  int64_t cond_width = 128;            // nw
  int64_t cond_grid = 8;               // the actnorm / 1x1 CNs downscale x to at most this many pixels a side
  int64_t coupling_cond_channels = 16;
  int64_t coupling_width = 256;
  bool split_prior_conditioned = false;  // the split priors also see x (an option beyond the paper)
  // > 0: beyond the paper, a U-Net of this width encodes x once per image, and the coupling layers and
  // split priors read its features at their level's resolution instead of x (cond/unet.h), through
  // networks with coupling_cond_channels hidden channels. 0: the paper.
  int64_t encoder_width = 0;
  // With an encoder, beyond the paper: the actnorm networks read its features instead of x (networks like
  // the couplings', coupling_cond_channels hidden) and give a scale and bias per pixel instead of per
  // channel, so x can move every output value directly (still the same actnorm, per-pixel parameters).
  bool actnorm_per_pixel = false;
  // With an encoder, beyond the paper: the networks that read its features read x itself beside them,
  // space-to-depth to their resolution, so each value of y is conditioned on the pixels of x under it
  // through two convolutions, as shallow a path as the paper's coupling networks give (docs/results/denoising.md:
  // through the encoder alone, denoising learns slowly).
  bool x_beside_features = false;
  // With an encoder, beyond the paper: the networks that read its features at a level's resolution also
  // read its features one stage finer, space-to-depth to that resolution, so that each value of y is
  // conditioned on features at the resolution of the output pixels it covers (as the feed-forward U-Net
  // predicts each pixel from its full-resolution features).
  bool finer_features = false;
  // With an encoder, beyond the paper: halvings of x below the coarsest level's resolution, so the
  // features every level reads come back up through a deeper, wider-seeing U-Net (the feed-forward
  // baseline's --depth; at 128x128 one more halving lifted it from 0.812 to 0.843 foreground IoU).
  int64_t encoder_extra_depth = 0;
  // With an encoder, beyond the paper: the flow's first layer subtracts a prediction of y made from the
  // encoder's full-resolution features by a 1x1 convolution (the feed-forward baseline's head; with
  // --encoder-from, the baseline's own), so the rest of the flow models what that prediction misses
  // (flow/cond_shift.h). The shift has a unit Jacobian: the likelihood stays exact.
  bool shift_by_prediction = false;
  // How the shift's head turns its outputs into a prediction of y: "identity" for real values; for labels,
  // the value of y expected under the class probabilities the head gives, "sigmoid" for a binary mask (a
  // score per tile) and "softmax" for multi-class labels, so that a segmentation baseline's scores can
  // start it (cond/prediction_head.h). `cglow train` sets it from the task's outputs.
  std::string prediction_link = "identity";

  // Throws std::invalid_argument naming the offending value when the shapes do not fit the multi-scale
  // architecture (every level halves y; every level's resolution must divide x's; with an encoder, by
  // a power of two).
  void validate() const;

  // With an encoder: the stage of the encoder (x's resolution halved that many times) that has level
  // `level`'s resolution (level 0 is the first), and the encoder's depth.
  int64_t encoder_stage(int64_t level) const;
  int64_t encoder_depth() const { return encoder_stage(levels - 1) + encoder_extra_depth; }
};

void to_json(nlohmann::json& j, const Shape& s);
void from_json(const nlohmann::json& j, Shape& s);
void to_json(nlohmann::json& j, const GlowConfig& c);
// Missing keys keep their defaults; unknown keys are an error (a typo must not silently change a model).
void from_json(const nlohmann::json& j, GlowConfig& c);

// The differences between two configurations as "key: a vs b" joined by "; ", empty when equal.
std::string describe_differences(const GlowConfig& a, const GlowConfig& b);

}  // namespace cglow
