#include "cglow/runtime.h"

#include <malloc.h>

#include <algorithm>
#include <thread>

#include <torch/torch.h>

namespace cglow {
namespace {

constexpr int kMmapThreshold = 32 << 20;  // glibc's largest allowed value on 64-bit systems
constexpr int kTrimThreshold = 1 << 30;

}  // namespace

int configure_runtime(int threads) {
  mallopt(M_MMAP_THRESHOLD, kMmapThreshold);
  mallopt(M_TRIM_THRESHOLD, kTrimThreshold);
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(threads);
  return threads;
}

}  // namespace cglow
