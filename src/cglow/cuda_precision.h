// Reduced precision where it is safe on a GPU: TF32 for float32 convolutions and matrix products, and
// bf16 autocast for the conditioning networks (the flow's log-scales and log-determinants stay float32).
#pragma once

#include <ATen/ATen.h>

namespace cglow {

// Lets cuBLAS and cuDNN use TF32 for float32 work (a no-op without CUDA).
void allow_tf32();

// Whether CUDA autocast is on with bf16.
bool cuda_bf16_autocast_enabled();

// While alive, CUDA operations that autocast supports run in bf16 (LibTorch 1.13 and 2.x name this API
// differently). Does nothing when `enabled` is false.
class CudaBf16Autocast {
 public:
  explicit CudaBf16Autocast(bool enabled);
  ~CudaBf16Autocast();
  CudaBf16Autocast(const CudaBf16Autocast&) = delete;
  CudaBf16Autocast& operator=(const CudaBf16Autocast&) = delete;

 private:
  bool enabled_;
  bool previous_ = false;
  at::ScalarType previous_dtype_ = at::kHalf;
};

}  // namespace cglow
