// Conditional Glow: the multi-scale flow of L levels, each a squeeze, K steps of (conditional actnorm,
// conditional 1x1 convolution, conditional affine coupling) and, but on the last level, a split
// (figure 1b of the paper), after an optional prediction shift (flow/cond_shift.h). It is itself an
// invertible layer from y to the flat vector z of all latents.
#pragma once

#include <memory>
#include <unordered_map>
#include <vector>

#include "cglow/cond/conditioning_network.h"
#include "cglow/cond/prediction_head.h"
#include "cglow/cond/unet.h"
#include "cglow/config.h"
#include "cglow/flow/flow_layer.h"

namespace cglow {

class CGlowImpl : public FlowLayerImpl {
 public:
  explicit CGlowImpl(GlowConfig config);

  const GlowConfig& config() const { return config_; }
  // The shared encoder (config.encoder_width > 0), null without one.
  UNet encoder() const { return encoder_; }
  // The network of the prediction shift (config.shift_by_prediction), null without one.
  PredictionHead prediction_head() const { return prediction_head_; }

  // Runs the conditioning networks under bf16 autocast when x is on a CUDA device; their outputs, and
  // everything the flow computes from them, stay in x's precision.
  void set_bf16_conditioning(bool enabled) { bf16_conditioning_ = enabled; }

  // All layers' conditions, in layer order, in one flat list.
  Condition condition(const torch::Tensor& x) override;
  size_t condition_size() const override;
  // y [B, Cy, Hy, Wy] -> z [B, Cy*Hy*Wy]: the latents factored out by each split, then the top latent,
  // each flattened. Every latent is standard normal under the model.
  FlowOutput forward(const torch::Tensor& y, const Condition& c) override;
  torch::Tensor inverse(const torch::Tensor& z, const Condition& c) override;
  double condition_flops() const override;
  double flops() const override;

  // log p(y|x) in nats per sample (equation 1): log N(z; 0, I) + sum of log|det| over the layers.
  torch::Tensor log_prob(const torch::Tensor& y, const Condition& c);
  torch::Tensor log_prob(const torch::Tensor& y, const torch::Tensor& x) { return log_prob(y, condition(x)); }

  // Glow's data-dependent initialisation: sets each actnorm's base so that its output on this batch has
  // zero mean and unit variance per channel (with x's offsets still near zero, as they start). Without
  // it, a flow whose outputs are far from unit scale (a residual of sigma 0.1) spends its first steps
  // learning the scale, and its conditioning networks learn to read x only much later. y and x must be
  // finite (the trainer checks).
  void initialize_actnorms(const torch::Tensor& y, const torch::Tensor& x);

  // Every layer of the flow, in forward order.
  std::vector<std::shared_ptr<FlowLayerImpl>> layers() const;

 private:
  // A layer of the flow, and the latent that leaves the flow after it (after a split: its last channels).
  struct Stage {
    std::shared_ptr<FlowLayerImpl> layer;
    Shape factored;  // zero channels: nothing leaves
  };

  // The outputs of the conditioning network groups for one x, each computed once.
  struct NetworkOutputs {
    std::unordered_map<const ConditioningNetworkImpl*, torch::Tensor> groups;
    std::vector<torch::Tensor> features;  // of the shared encoder, when a network needs them
  };
  Condition stage_condition(const Stage& stage, const torch::Tensor& x, NetworkOutputs& outputs);
  // The shared encoder's features of x at every stage a level reads (with finer_features, those of the
  // next finer stage beside them; with x_beside_features, x) and, with shift_by_prediction, at stage 0
  // (the decoder's own), undefined at the others (the rest of those finer than the first level's and,
  // with encoder_extra_depth, those below the last level's).
  std::vector<torch::Tensor> encode(const torch::Tensor& x);
  int64_t feature_channels(int64_t stage) const;  // of encode(x)[stage]

  GlowConfig config_;
  std::vector<Stage> stages_;
  Shape top_;  // the latent left after the last level
  UNet encoder_{nullptr};  // with config.encoder_width > 0
  PredictionHead prediction_head_{nullptr};  // with config.shift_by_prediction
  bool bf16_conditioning_ = false;
};
TORCH_MODULE(CGlow);

// log N(z; 0, I) per sample, summed over all but the first dimension.
torch::Tensor standard_normal_log_prob(const torch::Tensor& z);

}  // namespace cglow
