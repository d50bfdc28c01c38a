// The memory layout of the convolutions: channels-last (N, H, W, C in memory). On a CPU, oneDNN runs the
// larger of this model's convolution stacks (16x16 and 32x32), forward and backward, about twice as fast
// as on NCHW tensors, which it reorders on every call; the 4x4 and 8x8 ones gain little or nothing
// (docs/speed-log.md section 9). So the convolutions' weights are stored channels-last, and
// the conditioning networks and coupling networks take their input so and hand NCHW back to the flow,
// whose views assume NCHW. (A convolution with a channels-last weight answers channels-last even to an NCHW
// input: the split priors, the shared encoder and the baseline do, and what reads their outputs does not
// care about layout.) On a GPU, where cuDNN also runs channels-last convolutions, this has not been measured.
#pragma once

#include <torch/torch.h>

namespace cglow {

inline torch::Tensor channels_last(const torch::Tensor& t) { return t.contiguous(at::MemoryFormat::ChannelsLast); }

// Stores the weights of every convolution in `module` channels-last: after building a model, and again
// after loading weights, which take the layout they were saved in.
inline void store_convolutions_channels_last(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (const auto& m : module.modules(/*include_self=*/false))
    if (auto* conv = dynamic_cast<torch::nn::Conv2dImpl*>(m.get())) conv->weight.set_data(channels_last(conv->weight));
}

}  // namespace cglow
