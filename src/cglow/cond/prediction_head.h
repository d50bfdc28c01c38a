// The conditioning network of the prediction shift (flow/cond_shift.h, GlowConfig::shift_by_prediction): a
// 1x1 convolution from the shared encoder's full-resolution features to y's channels, the feed-forward
// baseline's head (baseline/feed_forward.h), so that `cglow train --encoder-from` can start it at the
// baseline's own prediction, and a link (GlowConfig::prediction_link) from its outputs to a prediction of
// y: for labels, the y expected under the class probabilities it gives, as y codes labels
// (output_coding.h): a binary mask's tiles sigmoid(score) - 0.5, multi-class labels softmax(scores) - 0.5.
#pragma once

#include <string>

#include "cglow/cond/conditioning_network.h"
#include "cglow/config.h"
#include "cglow/output_coding.h"

namespace cglow {

// The GlowConfig::prediction_link for outputs coded by `coding`.
std::string prediction_link_for(const OutputCoding& coding);

class PredictionHeadImpl : public ConditioningNetworkImpl {
 public:
  // Reads stage 0 of the encoder ([features, x's height, x's width]) and gives [y's channels, height,
  // width]: the window at x's centre where y is smaller (the hidden block of inpainting), as the baseline
  // crops its output. Its convolution starts near zero (kParameterOutputInitScale), so that a fresh flow
  // starts unshifted (with "softmax", shifted by the same 1/classes - 0.5 everywhere).
  PredictionHeadImpl(int64_t features, Shape x, Shape y, const std::string& link);

  torch::Tensor forward(const torch::Tensor& features) override;  // [B, 1, Cy, Hy, Wy]
  int64_t networks() const override { return 1; }
  double flops() const override { return flops_; }
  int64_t input_stage() const override { return 0; }

  // The 1x1 convolution, named as the baseline names its head, whose weights it may take.
  torch::nn::Conv2d head() const { return head_; }

 private:
  enum class Link { identity, sigmoid, softmax };  // GlowConfig::prediction_link, read once

  Shape y_;
  Link link_;
  torch::nn::Conv2d head_{nullptr};
  double flops_ = 0;
};
TORCH_MODULE(PredictionHead);

}  // namespace cglow
