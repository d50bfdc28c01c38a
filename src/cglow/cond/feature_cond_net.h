// The conditioning networks of the coupling layers and split priors (and, with actnorm_per_pixel, the
// actnorms) when the flow has a shared encoder (GlowConfig::encoder_width): they read the encoder's
// features at their level's resolution instead of x (with GlowConfig::x_beside_features, x too, space-to-
// depth to that resolution), so each is a 3x3 convolution, an activation and a 3x3 convolution to the
// layer's channels.
#pragma once

#include "cglow/cond/conditioning_network.h"

namespace cglow {

class FeatureCondNetImpl : public ConditioningNetworkImpl {
 public:
  // `networks` independent networks, each reading stage `stage` of the encoder ([features, h, w]) and
  // giving [out_channels, h, w], with `hidden` channels in between. `output_init_scale` < 1 starts the
  // last convolution's weights that much smaller and its bias at zero, for outputs that are a layer's
  // parameters (kParameterOutputInitScale) rather than features.
  FeatureCondNetImpl(int64_t stage, int64_t features, int64_t hidden, int64_t out_channels, int64_t height,
                     int64_t width, int64_t networks = 1, double output_init_scale = 1.0);

  torch::Tensor forward(const torch::Tensor& features) override;  // [B, networks, out_channels, h, w]
  int64_t networks() const override { return networks_; }
  double flops() const override { return flops_; }
  int64_t input_stage() const override { return stage_; }

 private:
  int64_t stage_, networks_;
  torch::nn::Sequential net_{nullptr};
  double flops_ = 0;
};
TORCH_MODULE(FeatureCondNet);

}  // namespace cglow
