// Process-wide settings that make LibTorch fast on a CPU; every program calls this first.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace cglow {

// Uses `threads` threads for LibTorch's operators (0: one per hardware thread; LibTorch's default on
// Debian is one), and keeps freed memory in the process instead of returning it to the system: glibc
// gives tensors above a small threshold their own mmap and unmaps them when freed, so every training
// step page-faults its temporaries in again. Measured with per-phase timers on 2 cores: Adam's step at
// 32x32 took 0.09 s instead of 0.04 s (docs/speed-log.md). Returns the thread count in use.
int configure_runtime(int threads = 0);

// Where a run computes, for its records (machines.jsonl): the processor's model name (from /proc/cpuinfo,
// "unknown" where there is none), LibTorch's thread count and version, the device and the number of
// processes. Wall times depend on it, and results may: LibTorch and OpenBLAS choose kernels by processor,
// and other kernels can round differently.
nlohmann::json machine_description(const std::string& device, int processes);

}  // namespace cglow
