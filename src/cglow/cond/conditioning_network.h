// What the conditioning networks (the paper's CNs) have in common: one or several networks of the same
// shape reading the same x, evaluated as one computation.
//
// Every conditional layer of c-Glow has a network of its own (nothing is shared between layers), but the
// K networks of a kind within a level all have the same shapes and read the same x. Evaluating them as one
// wide convolution, grouped convolutions and batched matrix products gives the same mathematics in a few
// large operations instead of hundreds of small ones, which is what a CPU (and a GPU) runs fast.
#pragma once

#include <torch/torch.h>

namespace cglow {

class ConditioningNetworkImpl : public torch::nn::Module {
 public:
  // x [B, Cx, Hx, Wx] -> [B, networks(), ...]: the output of every network in the group.
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
  virtual int64_t networks() const = 0;
  // Floating-point operations of forward() for one input, all networks together.
  virtual double flops() const = 0;
  // What forward() reads: x itself (-1), or stage j of the flow's shared encoder of x (cond/unet.h).
  virtual int64_t input_stage() const { return -1; }
};

// For networks whose outputs set a layer's parameters as offsets from their unconditional base: the last
// layer's weights start this much smaller than usual and its bias at zero. Small (not zero) weights keep
// the flow at its base at the start while every weight before them receives a gradient from the first
// step: the authors' code zeroed two layers before a ReLU, and its actnorm and 1x1 conditioning networks
// never learned.
constexpr double kParameterOutputInitScale = 1e-2;

// A LeakyReLU rather than the authors' ReLU: a network whose units all stop firing for every x (it
// happens with the narrow networks of small models) would make its layer ignore x for good. In place:
// it follows layers whose backward pass does not need their output, so that output is not kept twice.
constexpr double kConditioningSlope = 0.1;
inline torch::nn::LeakyReLU conditioning_activation() {
  return torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(kConditioningSlope).inplace(true));
}

}  // namespace cglow
