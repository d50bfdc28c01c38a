#include "cglow/flow/flow_layer.h"

namespace cglow {

Condition repeat_each(const Condition& c, int64_t m) {
  Condition out;
  out.reserve(c.size());
  for (const auto& t : c) out.push_back(m == 1 ? t : t.repeat_interleave(m, 0));
  return out;
}

torch::Tensor soft_clamp(const torch::Tensor& v, double alpha) { return alpha * torch::tanh(v / alpha); }

}  // namespace cglow
