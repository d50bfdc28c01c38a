// A copy of a module's weights at one iteration, to go back to. The baseline keeps one of its last
// steady weights in memory (it writes no checkpoints), so that a run that diverges is scored on the
// weights it had before, not on the diverged ones.
#pragma once

#include <cstdint>
#include <vector>

#include <torch/torch.h>

namespace cglow {

class WeightsSnapshot {
 public:
  // Copies `module`'s parameters and buffers as they are after `iteration` steps.
  WeightsSnapshot(const torch::nn::Module& module, int64_t iteration);

  // Writes the copy back into `module`, which must be the module it was taken of.
  void restore(torch::nn::Module& module) const;
  int64_t iteration() const { return iteration_; }

 private:
  int64_t iteration_;
  std::vector<torch::Tensor> tensors_;  // the parameters, then the buffers
};

}  // namespace cglow
