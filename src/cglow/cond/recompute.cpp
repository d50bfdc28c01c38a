#include "cglow/cond/recompute.h"

#include <cstdint>

#include "cglow/cuda_precision.h"

namespace cglow {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct Recomputed : torch::autograd::Function<Recomputed> {
  // The parameters are inputs so that autograd routes their gradients through backward().
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, torch::nn::SequentialImpl* layers,
                               torch::TensorList /*parameters*/) {
    ctx->save_for_backward({x});
    ctx->saved_data["layers"] = static_cast<int64_t>(reinterpret_cast<std::intptr_t>(layers));
    ctx->saved_data["bf16"] = cuda_bf16_autocast_enabled();
    torch::NoGradGuard no_grad;
    return layers->forward(x);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_output) {
    auto* layers = reinterpret_cast<torch::nn::SequentialImpl*>(static_cast<std::intptr_t>(ctx->saved_data["layers"].toInt()));
    const auto saved = ctx->get_saved_variables()[0];
    const auto x = saved.detach().requires_grad_(saved.requires_grad());
    const auto parameters = layers->parameters();
    variable_list inputs = parameters;
    if (x.requires_grad()) inputs.push_back(x);
    torch::Tensor output;
    {
      torch::AutoGradMode grad_mode(true);
      CudaBf16Autocast autocast(ctx->saved_data["bf16"].toBool());
      output = layers->forward(x);
    }
    const auto grads = torch::autograd::grad({output}, inputs, {grad_output[0]}, /*retain_graph=*/false,
                                             /*create_graph=*/false, /*allow_unused=*/true);
    // One gradient per forward argument: x, the layers (none), then each parameter.
    variable_list result{x.requires_grad() ? grads.back() : torch::Tensor(), torch::Tensor()};
    result.insert(result.end(), grads.begin(), grads.begin() + static_cast<std::ptrdiff_t>(parameters.size()));
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
