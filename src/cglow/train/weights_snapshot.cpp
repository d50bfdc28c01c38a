#include "cglow/train/weights_snapshot.h"

namespace cglow {
namespace {

std::vector<torch::Tensor> weights_of(const torch::nn::Module& module) {
  auto tensors = module.parameters();
  for (const auto& buffer : module.buffers()) tensors.push_back(buffer);
  return tensors;
}

}  // namespace

WeightsSnapshot::WeightsSnapshot(const torch::nn::Module& module, int64_t iteration) : iteration_(iteration) {
  for (const auto& tensor : weights_of(module)) tensors_.push_back(tensor.detach().clone());
}

void WeightsSnapshot::restore(torch::nn::Module& module) const {
  torch::NoGradGuard no_grad;
  const auto tensors = weights_of(module);
  TORCH_CHECK(tensors.size() == tensors_.size(), "a snapshot restored into another module");
  for (size_t i = 0; i < tensors.size(); ++i) {
    // copy_ would broadcast a tensor of another shape without a word.
    TORCH_CHECK(tensors[i].sizes() == tensors_[i].sizes() && tensors[i].dtype() == tensors_[i].dtype(),
                "a snapshot restored into another module");
    tensors[i].copy_(tensors_[i]);
  }
}

}  // namespace cglow
