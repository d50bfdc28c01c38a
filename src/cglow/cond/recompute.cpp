#include "cglow/cond/recompute.h"

#include <cstdint>

#include "cglow/cuda_precision.h"

namespace cglow {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The layers are held by raw pointer: a graph is used (backward) while the module that built it lives.
struct Recomputed : torch::autograd::Function<Recomputed> {
  // The parameters are inputs so that autograd routes their gradients through backward().
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, torch::nn::SequentialImpl* layers,
                               torch::TensorList /*parameters*/) {
    ctx->save_for_backward({x});
    ctx->saved_data["layers"] = static_cast<int64_t>(reinterpret_cast<std::intptr_t>(layers));
    const auto autocast = cuda_autocast_state();
    ctx->saved_data["autocast"] = autocast.enabled;
    ctx->saved_data["autocast_dtype"] = static_cast<int64_t>(autocast.dtype);
    return layers->forward(x);  // apply() runs this without recording a graph
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_output) {
    auto* layers =
        reinterpret_cast<torch::nn::SequentialImpl*>(static_cast<std::intptr_t>(ctx->saved_data["layers"].toInt()));
    const auto saved = ctx->get_saved_variables()[0];
    const auto x = saved.detach().requires_grad_(ctx->needs_input_grad(0));
    const auto parameters = layers->parameters();
    // Only what needs a gradient is differentiated (a frozen parameter would make grad() fail).
    variable_list wanted;
    std::vector<size_t> slots;  // where each wanted gradient goes in the result
    variable_list result(2 + parameters.size());  // x, the layers (none), each parameter
    if (x.requires_grad()) wanted.push_back(x), slots.push_back(0);
    // needs_input_grad counts tensor inputs only (x, then the parameters); the result also has a slot for
    // the layers argument.
    for (size_t i = 0; i < parameters.size(); ++i)
      if (ctx->needs_input_grad(1 + i)) wanted.push_back(parameters[i]), slots.push_back(2 + i);
    if (wanted.empty()) return result;
    torch::Tensor output;
    {
      torch::AutoGradMode grad_mode(true);
      CudaAutocastAs autocast({ctx->saved_data["autocast"].toBool(),
                               static_cast<at::ScalarType>(ctx->saved_data["autocast_dtype"].toInt())});
      output = layers->forward(x);
    }
    const auto grads = torch::autograd::grad({output}, wanted, {grad_output[0]}, /*retain_graph=*/false,
                                             /*create_graph=*/false, /*allow_unused=*/true);
    for (size_t i = 0; i < grads.size(); ++i) result[slots[i]] = grads[i];
    return result;
  }
};

}  // namespace

torch::Tensor forward_recomputed(torch::nn::Sequential& layers, const torch::Tensor& x) {
  if (!torch::GradMode::is_enabled()) return layers->forward(x);
  const auto parameters = layers->parameters();
  return Recomputed::apply(x, layers.get(), torch::TensorList(parameters));
}

}  // namespace cglow
