#include "cglow/cuda_precision.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

// LibTorch 2.4 replaced the CUDA-only autocast functions by ones taking a device type.
#define CGLOW_AUTOCAST_BY_DEVICE (TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4))

namespace cglow {
namespace {

bool autocast_enabled() {
#if CGLOW_AUTOCAST_BY_DEVICE
  return at::autocast::is_autocast_enabled(at::kCUDA);
#else
  return at::autocast::is_enabled();
#endif
}

void set_autocast(bool enabled, at::ScalarType dtype) {
#if CGLOW_AUTOCAST_BY_DEVICE
  at::autocast::set_autocast_enabled(at::kCUDA, enabled);
  at::autocast::set_autocast_dtype(at::kCUDA, dtype);
#else
  at::autocast::set_enabled(enabled);
  at::autocast::set_autocast_gpu_dtype(dtype);
#endif
}

at::ScalarType autocast_dtype() {
#if CGLOW_AUTOCAST_BY_DEVICE
  return at::autocast::get_autocast_dtype(at::kCUDA);
#else
  return at::autocast::get_autocast_gpu_dtype();
#endif
}

}  // namespace

CudaAutocastState cuda_autocast_state() { return {autocast_enabled(), autocast_dtype()}; }

CudaAutocastAs::CudaAutocastAs(CudaAutocastState state) : previous_(cuda_autocast_state()) {
  set_autocast(state.enabled, state.dtype);
  if (state.enabled) at::autocast::increment_nesting();
}

CudaAutocastAs::~CudaAutocastAs() {
  if (autocast_enabled() && at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set_autocast(previous_.enabled, previous_.dtype);
}

void allow_tf32() {
  at::globalContext().setAllowTF32CuBLAS(true);
  at::globalContext().setAllowTF32CuDNN(true);
}

}  // namespace cglow
