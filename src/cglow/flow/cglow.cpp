#include "cglow/flow/cglow.h"

#include <cmath>
#include <unordered_map>

#include "cglow/channels_last.h"
#include "cglow/cond/conditioning_net.h"
#include "cglow/cond/coupling_cond_net.h"
#include "cglow/cond/feature_cond_net.h"
#include "cglow/cond/prediction_head.h"
#include "cglow/cuda_precision.h"
#include "cglow/flow/cond_actnorm.h"
#include "cglow/flow/cond_affine_coupling.h"
#include "cglow/flow/cond_inv_conv1x1.h"
#include "cglow/flow/cond_shift.h"
#include "cglow/flow/split.h"
#include "cglow/flow/squeeze.h"

namespace cglow {

CGlowImpl::CGlowImpl(GlowConfig config) : config_(std::move(config)) {
  config_.validate();
  // The decoder goes up to the finest stage a network reads: the prediction's full resolution, or one
  // stage finer than the first level's with finer_features.
  const int64_t finest =
      config_.shift_by_prediction ? 0 : config_.encoder_stage(0) - (config_.finer_features ? 1 : 0);
  if (config_.encoder_width > 0)
    encoder_ = register_module("encoder",
                               UNet(config_.x.channels, config_.encoder_width, config_.encoder_depth(), finest));
  // The conditioning networks of the coupling layers and split priors (and per-pixel actnorms): the
  // paper's, reading x, or with the shared encoder, networks reading its features at the level's
  // resolution.
  auto spatial_cns = [&](int64_t level, int64_t out_channels, Shape at, int64_t networks,
                         double output_init_scale = 1.0) -> std::shared_ptr<ConditioningNetworkImpl> {
    if (!encoder_)
      return CouplingCondNet(config_.x, config_.coupling_cond_channels, out_channels, at.height, at.width, networks)
          .ptr();
    const int64_t stage = config_.encoder_stage(level);
    return FeatureCondNet(stage, feature_channels(stage), config_.coupling_cond_channels, out_channels, at.height,
                          at.width, networks, output_init_scale)
        .ptr();
  };
  Shape shape = config_.y;
  auto add = [&](const std::string& name, std::shared_ptr<FlowLayerImpl> layer, Shape factored = {}) {
    stages_.push_back({register_module(name, layer), factored});
  };
  if (config_.shift_by_prediction) {
    prediction_head_ = register_module("prediction_head", PredictionHead(encoder_->channels(0), config_.x, shape,
                                                                          config_.prediction_link));
    add("shift", std::make_shared<CondShiftImpl>(config_, shape, NetworkSlot{prediction_head_.ptr(), 0}));
  }
  for (int64_t level = 0; level < config_.levels; ++level) {
    const std::string prefix = "level" + std::to_string(level) + "_";
    add(prefix + "squeeze", std::make_shared<SqueezeImpl>());
    shape = {shape.channels * 4, shape.height / 2, shape.width / 2};
    // The K networks of each kind in a level have the same shapes: one group each (see
    // cond/conditioning_network.h), step k's layer using network k.
    const int64_t c = shape.channels, k_steps = config_.steps;
    const auto& x = config_.x;
    auto actnorm_cns = register_module(prefix + "actnorm_cns",
        config_.actnorm_per_pixel
            ? spatial_cns(level, 2 * c, shape, k_steps, kParameterOutputInitScale)
            : ConditioningNet(x, config_.cond_channels, config_.cond_width, config_.cond_grid, 2 * c, k_steps).ptr());
    auto conv_cns = register_module(prefix + "inv_conv1x1_cns",
        ConditioningNet(x, config_.cond_channels, config_.cond_width, config_.cond_grid, c * c, k_steps).ptr());
    auto coupling_cns = register_module(prefix + "coupling_cns", spatial_cns(level, c / 2, shape, k_steps));
    for (int64_t k = 0; k < k_steps; ++k) {
      const std::string step = prefix + "step" + std::to_string(k) + "_";
      add(step + "actnorm", std::make_shared<CondActNormImpl>(config_, shape, NetworkSlot{actnorm_cns, k}));
      add(step + "inv_conv1x1", std::make_shared<CondInvConv1x1Impl>(config_, shape, NetworkSlot{conv_cns, k}));
      add(step + "coupling", std::make_shared<CondAffineCouplingImpl>(config_, shape, NetworkSlot{coupling_cns, k}));
    }
    if (level + 1 < config_.levels) {
      NetworkSlot prior_cn;
      if (encoder_ && config_.split_prior_conditioned)
        prior_cn.group = register_module(prefix + "split_cn", spatial_cns(level, c / 2, shape, 1));
      auto split = std::make_shared<SplitImpl>(config_, shape, prior_cn);
      const int64_t kept = split->kept_channels();
      add(prefix + "split", split, {shape.channels - kept, shape.height, shape.width});
      shape.channels = kept;
    }
  }
  top_ = shape;
  store_convolutions_channels_last(*this);
}

std::vector<std::shared_ptr<FlowLayerImpl>> CGlowImpl::layers() const {
  std::vector<std::shared_ptr<FlowLayerImpl>> out;
  for (const auto& stage : stages_) out.push_back(stage.layer);
  return out;
}

// The same as the layer's condition(x), but every group of conditioning networks runs once (optionally
// under bf16 autocast) and each layer takes its slice; `outputs` keeps the groups' outputs.
Condition CGlowImpl::stage_condition(const Stage& stage, const torch::Tensor& x, NetworkOutputs& outputs) {
  auto* conditioned = dynamic_cast<ConditionedLayerImpl*>(stage.layer.get());
  if (!conditioned || !conditioned->network()) return stage.layer->condition(x);
  auto& out = outputs.groups[conditioned->network().get()];
  if (!out.defined()) {
    {
      CudaAutocastAs autocast(bf16_conditioning_ && x.is_cuda() ? CudaAutocastState{true, at::kBFloat16}
                                                                : cuda_autocast_state());
      const int64_t input = conditioned->network()->input_stage();
      if (input >= 0 && outputs.features.empty()) outputs.features = encode(x);
      out = conditioned->network()->forward(input < 0 ? x : outputs.features[input]);
    }
    out = out.to(x.scalar_type());
  }
  return conditioned->condition_from(out.select(1, conditioned->network_index()));
}

int64_t CGlowImpl::feature_channels(int64_t stage) const {
  return encoder_->channels(stage) + (config_.finer_features ? 4 * encoder_->channels(stage - 1) : 0) +
         (config_.x_beside_features ? config_.x.channels << (2 * stage) : 0);
}

std::vector<torch::Tensor> CGlowImpl::encode(const torch::Tensor& x) {
  const auto decoded = encoder_->forward(x);
  std::vector<torch::Tensor> features(decoded.size());
  if (config_.shift_by_prediction) features[0] = decoded[0];  // the prediction head's
  const auto coarsest = static_cast<size_t>(config_.encoder_stage(config_.levels - 1));
  for (auto stage = static_cast<size_t>(config_.encoder_stage(0)); stage <= coarsest; ++stage) {
    std::vector<torch::Tensor> parts{decoded[stage]};
    if (config_.finer_features) parts.push_back(torch::pixel_unshuffle(decoded[stage - 1], 2));
    if (config_.x_beside_features) parts.push_back(torch::pixel_unshuffle(x, int64_t{1} << stage));
    features[stage] = parts.size() == 1 ? parts[0] : torch::cat(parts, 1);
  }
  return features;
}

Condition CGlowImpl::condition(const torch::Tensor& x) {
  Condition all;
  all.reserve(condition_size());
  NetworkOutputs outputs;
  for (const auto& stage : stages_) {
    auto c = stage_condition(stage, x, outputs);
    all.insert(all.end(), std::make_move_iterator(c.begin()), std::make_move_iterator(c.end()));
  }
  return all;
}

void CGlowImpl::initialize_actnorms(const torch::Tensor& y, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  NetworkOutputs outputs;
  auto h = y;
  for (const auto& stage : stages_) {
    // Before its condition is taken: the condition includes the base.
    if (auto* actnorm = dynamic_cast<CondActNormImpl*>(stage.layer.get())) actnorm->initialize(h);
    h = stage.layer->forward(h, stage_condition(stage, x, outputs)).z;
    if (stage.factored.channels > 0) h = h.narrow(1, 0, h.size(1) - stage.factored.channels);
  }
}

size_t CGlowImpl::condition_size() const {
  size_t n = 0;
  for (const auto& stage : stages_) n += stage.layer->condition_size();
  return n;
}

double CGlowImpl::condition_flops() const {
  double total = encoder_ ? encoder_->flops(config_.x.height, config_.x.width) : 0.0;
  for (const auto& stage : stages_) total += stage.layer->condition_flops();
  return total;
}

double CGlowImpl::flops() const {
  double total = 0;
  for (const auto& stage : stages_) total += stage.layer->flops();
  return total;
}

FlowOutput CGlowImpl::forward(const torch::Tensor& y, const Condition& c) {
  TORCH_CHECK(c.size() == condition_size(), "c-Glow forward: condition has ", c.size(), " tensors, expected ",
              condition_size());
  std::vector<torch::Tensor> latents;
  auto h = y;
  auto logdet = torch::zeros({y.size(0)}, y.options());
  auto next = c.begin();
  for (auto& stage : stages_) {
    const auto n = static_cast<std::ptrdiff_t>(stage.layer->condition_size());
    const Condition mine(next, next + n);
    next += n;
    auto out = stage.layer->forward(h, mine);
    logdet = logdet + out.logdet;
    h = out.z;
    if (const int64_t out_channels = stage.factored.channels; out_channels > 0) {
      const int64_t kept = h.size(1) - out_channels;
      latents.push_back(h.narrow(1, kept, out_channels).flatten(1));
      h = h.narrow(1, 0, kept);
    }
  }
  latents.push_back(h.flatten(1));
  return {torch::cat(latents, 1), logdet};
}

torch::Tensor CGlowImpl::inverse(const torch::Tensor& z, const Condition& c) {
  TORCH_CHECK(c.size() == condition_size(), "c-Glow inverse: condition has ", c.size(), " tensors, expected ",
              condition_size());
  const int64_t batch = z.size(0);
  auto unflatten = [&](int64_t offset, const Shape& s) {
    return z.narrow(1, offset, s.numel()).reshape({batch, s.channels, s.height, s.width});
  };
  int64_t offset = z.size(1) - top_.numel();
  auto h = unflatten(offset, top_);
  auto next = c.end();
  for (auto stage = stages_.rbegin(); stage != stages_.rend(); ++stage) {
    if (stage->factored.channels > 0) {
      offset -= stage->factored.numel();
      h = torch::cat({h, unflatten(offset, stage->factored)}, 1);
    }
    const auto n = static_cast<std::ptrdiff_t>(stage->layer->condition_size());
    const Condition mine(next - n, next);
    next -= n;
    h = stage->layer->inverse(h, mine);
  }
  return h;
}

torch::Tensor CGlowImpl::log_prob(const torch::Tensor& y, const Condition& c) {
  const auto out = forward(y, c);
  return standard_normal_log_prob(out.z) + out.logdet;
}

torch::Tensor standard_normal_log_prob(const torch::Tensor& z) {
  const double log_2pi = std::log(2.0 * M_PI);
  return -0.5 * (z.pow(2) + log_2pi).flatten(1).sum(1);
}

}  // namespace cglow
