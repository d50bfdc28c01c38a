// Runs the convolutions of a conditioning network without keeping their activations for the backward
// pass, which runs them again instead (gradient checkpointing). The conditioning networks read x at
// full resolution through wide convolutions, so their activations are the largest a training step keeps
// (about 50 MiB of the paper's horse model at 64x64, batch 2), while the convolutions are a small part
// of its time. Their fully connected layers are not recomputed: re-reading their weights would cost more.
#pragma once

#include <torch/torch.h>

namespace cglow {

// layers->forward(x), differentiable with respect to x and the layers' parameters. The recomputation
// runs under the same CUDA bf16 autocast state as the forward pass.
torch::Tensor forward_recomputed(torch::nn::Sequential& layers, const torch::Tensor& x);

}  // namespace cglow
