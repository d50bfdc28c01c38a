// The contract every invertible layer of c-Glow keeps, and the whole flow keeps too.
#pragma once

#include <vector>

#include <torch/torch.h>

namespace cglow {

// What a layer's conditioning network computed from x: the per-input parameters of the layer (actnorm's
// scale and bias, the 1x1 convolution's W, the coupling's features of x). Computed once per input and
// reused for every sample drawn for it, so sampling M outputs costs one pass of the conditioning networks.
using Condition = std::vector<torch::Tensor>;

struct FlowOutput {
  torch::Tensor z;       // same number of elements per sample as the layer's input
  torch::Tensor logdet;  // log|det dz/dy| per sample, shape [batch]
};

// One invertible map y -> z parameterised by x (equation 1 sums the log-determinants of these).
class FlowLayerImpl : public torch::nn::Module {
 public:
  // The per-input parameters for a batch of inputs x [B, Cx, Hx, Wx]. Layers that ignore x return {}.
  virtual Condition condition(const torch::Tensor& x) = 0;
  // How many tensors condition() returns, so that a sequence of layers can share one flat Condition.
  virtual size_t condition_size() const = 0;
  virtual FlowOutput forward(const torch::Tensor& y, const Condition& c) = 0;
  virtual torch::Tensor inverse(const torch::Tensor& z, const Condition& c) = 0;

  // Floating-point operations for one sample (see cglow/flops.h): of condition(), and of forward() or
  // inverse() given the condition.
  virtual double condition_flops() const = 0;
  virtual double flops() const = 0;
};

// Each input's condition repeated m times in a row (input b becomes rows b*m .. b*m+m-1), to pair one
// computation of the conditioning networks with m samples.
Condition repeat_each(const Condition& c, int64_t m);

// alpha * tanh(v / alpha): the identity near zero, bounded by +-alpha. Used on every log-scale so that
// no scale can vanish or explode, whatever a conditioning network outputs.
torch::Tensor soft_clamp(const torch::Tensor& v, double alpha);

}  // namespace cglow
