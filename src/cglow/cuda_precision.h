// Reduced precision where it is safe on a GPU: TF32 for float32 convolutions and matrix products, and
// bf16 autocast for the conditioning networks (the flow's log-scales and log-determinants stay float32).
// LibTorch 1.13 and 2.x name the autocast API differently; this file hides that.
#pragma once

#include <ATen/ATen.h>

namespace cglow {

// Lets cuBLAS and cuDNN use TF32 for float32 work (a no-op without CUDA).
void allow_tf32();

// CUDA autocast's state: on or off, and in which precision.
struct CudaAutocastState {
  bool enabled = false;
  at::ScalarType dtype = at::kHalf;
};
CudaAutocastState cuda_autocast_state();

// While alive, CUDA autocast is in exactly `state`: {true, at::kBFloat16} runs what autocast supports in
// bf16; cuda_autocast_state() saved earlier repeats a computation as it first ran.
class CudaAutocastAs {
 public:
  explicit CudaAutocastAs(CudaAutocastState state);
  ~CudaAutocastAs();
  CudaAutocastAs(const CudaAutocastAs&) = delete;
  CudaAutocastAs& operator=(const CudaAutocastAs&) = delete;

 private:
  CudaAutocastState previous_;
};

}  // namespace cglow
