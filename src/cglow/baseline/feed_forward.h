// The feed-forward baseline that c-Glow is compared with (section 5 compares it with deterministic
// predictors): a network straight from x to the output, here a small U-Net (cond/unet.h) with a 1x1
// convolution at the output's resolution, trained with per-pixel cross-entropy (segmentation) or
// squared error (real-valued outputs) instead of a likelihood.
#pragma once

#include <torch/torch.h>

#include "cglow/cond/unet.h"
#include "cglow/config.h"
#include "cglow/output_coding.h"

namespace cglow {

// The channels of the baseline's output for outputs coded by `coding` with `channels` channels of values:
// two class scores for a binary mask (whatever its tiles), one score per class, or the values.
int64_t baseline_outputs(const OutputCoding& coding, int64_t channels);

class FeedForwardImpl : public torch::nn::Module {
 public:
  // x: the input's shape; out: the output's resolution and, for real values, channels; `coding` says
  // whether outputs are labels (binary or multi-class) or values. `width`: the U-Net's first width;
  // `depth`: how many times it halves the resolution, at most (as far as x's sides divide).
  // The network works at x's resolution; an output smaller than x is the window at x's centre (the
  // hidden block of inpainting).
  FeedForwardImpl(Shape x, Shape out, const OutputCoding& coding, int64_t width, int64_t depth = 3);

  // [B, classes or channels, H, W]: logits of every class, or the values.
  torch::Tensor forward(const torch::Tensor& x);
  // Mean per-pixel cross-entropy with integer labels [B, H, W], or squared error with values [B, C, H, W].
  torch::Tensor loss(const torch::Tensor& x, const torch::Tensor& target);
  // Labels [B, H, W] (the most likely class) or values [B, C, H, W], as the task's targets are. With
  // `mirrored`, from the average of the class probabilities or values given x and given x mirrored left
  // to right (mirrored back), as c-Glow's predict_mirrored averages its samples (inference.h).
  torch::Tensor predict(const torch::Tensor& x, bool mirrored = false);
  int64_t depth() const { return unet_->depth(); }

 private:
  bool labels_;
  Shape out_;
  UNet unet_{nullptr};
  torch::nn::Conv2d head_{nullptr};
};
TORCH_MODULE(FeedForward);

}  // namespace cglow
