// A layer whose per-input parameters are computed by a conditioning network: conditional actnorm, 1x1
// convolution and coupling, and the split prior when it is conditioned on x.
#pragma once

#include <memory>

#include "cglow/cond/conditioning_network.h"
#include "cglow/flow/flow_layer.h"

namespace cglow {

// Which network computes a layer's parameters: network `index` of a group that someone else owns (the
// flow evaluates the K networks of a kind within a level together), or, when `group` is empty, a network
// that the layer makes and owns itself.
struct NetworkSlot {
  std::shared_ptr<ConditioningNetworkImpl> group;
  int64_t index = 0;
};

class ConditionedLayerImpl : public FlowLayerImpl {
 public:
  // condition_from() of this layer's slice of its network group's output; {} when it has no network.
  Condition condition(const torch::Tensor& x) override;
  double condition_flops() const override;

  // The layer's parameters from its network's output for a batch (the group output's slice
  // [:, network_index()]). A group's owner evaluates the group once and hands each layer its slice.
  virtual Condition condition_from(const torch::Tensor& network_output) = 0;

  const std::shared_ptr<ConditioningNetworkImpl>& network() const { return network_; }
  int64_t network_index() const { return index_; }

 protected:
  // Takes the slot's network, or registers `make_own()` as this layer's "cn" when the slot is empty.
  template <typename Make>
  void use_network(const NetworkSlot& slot, Make make_own) {
    if (slot.group) {
      network_ = slot.group;
      index_ = slot.index;
    } else {
      network_ = register_module("cn", std::shared_ptr<ConditioningNetworkImpl>(make_own()));
    }
  }

 private:
  std::shared_ptr<ConditioningNetworkImpl> network_;  // registered by its owner, not necessarily here
  int64_t index_ = 0;
};

}  // namespace cglow
