#include "cglow/flow/cond_shift.h"

#include "cglow/cond/coupling_cond_net.h"

namespace cglow {

CondShiftImpl::CondShiftImpl(const GlowConfig& config, Shape in, const NetworkSlot& slot) {
  use_network(slot, [&] {
    return CouplingCondNet(config.x, config.coupling_cond_channels, in.channels, in.height, in.width).ptr();
  });
}

FlowOutput CondShiftImpl::forward(const torch::Tensor& y, const Condition& c) {
  TORCH_CHECK(c[0].sizes() == y.sizes(), "prediction shift: a prediction of shape ", c[0].sizes(),
              " for an output of shape ", y.sizes());
  return {y - c[0], torch::zeros({y.size(0)}, y.options())};
}

torch::Tensor CondShiftImpl::inverse(const torch::Tensor& z, const Condition& c) { return z + c[0]; }

}  // namespace cglow
