#include "cglow/flow/conditioned_layer.h"

namespace cglow {

Condition ConditionedLayerImpl::condition(const torch::Tensor& x) {
  if (!network_) return {};
  TORCH_CHECK(network_->input_stage() < 0,
              "this layer's conditioning network reads the flow's shared encoder: condition it through its CGlow");
  return condition_from(network_->forward(x).select(1, index_));
}

double ConditionedLayerImpl::condition_flops() const {
  // Every network of a group costs the same; the group's first convolution is shared only in storage.
  return network_ ? network_->flops() / static_cast<double>(network_->networks()) : 0.0;
}

}  // namespace cglow
