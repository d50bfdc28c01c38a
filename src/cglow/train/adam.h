// Adam (Kingma & Ba 2014), the optimiser of the paper, with each parameter's update in one pass.
//
// torch::optim::Adam updates a parameter with about seven tensor operations, each a pass over memory and
// some a temporary tensor. c-Glow has 36 M parameters, most of them in the conditioning networks' fully
// connected layers, so on a CPU that step took a third of a training iteration at 32x32. Here the moments
// and the parameter are updated element by element in one loop (at::parallel_for, which runs it on one
// thread here, as this file is not compiled with OpenMP: compiled so, it was no faster on two cores and
// twice as slow on one, docs/speed-log.md section 8; on CUDA, in-place tensor operations). The
// mathematics is torch::optim::Adam's, without weight decay or AMSGrad: each parameter counts its own
// steps for the bias correction, from the first step at which it had a gradient.
#pragma once

#include <vector>

#include <torch/torch.h>

namespace cglow {

struct AdamOptions {
  double lr = 2e-4;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
};

class Adam {
 public:
  Adam(std::vector<torch::Tensor> parameters, AdamOptions options);

  // Drops the gradients, so that the next backward pass writes them instead of adding to zeros.
  void zero_grad();
  // One update of every parameter that has a gradient, at the options' learning rate or at `lr`.
  void step();
  void step(double lr);

  // How many times step() ran.
  int64_t steps() const { return steps_; }

  // The moments and the step count, for checkpoints that resume exactly.
  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);

 private:
  std::vector<torch::Tensor> parameters_, exp_avg_, exp_avg_sq_;
  std::vector<int64_t> parameter_steps_;  // updates each parameter has had
  AdamOptions options_;
  int64_t steps_ = 0;
};

}  // namespace cglow
