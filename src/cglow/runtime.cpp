#include "cglow/runtime.h"

#include <malloc.h>

#include <algorithm>
#include <fstream>
#include <string>
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

nlohmann::json machine_description(const std::string& device, int processes) {
  std::string processor = "unknown";
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);)
    if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos) {
      const auto name = line.find_first_not_of(" \t", line.find(':') + 1);
      if (name != std::string::npos) processor = line.substr(name);
      break;
    }
  return {{"processor", processor}, {"threads", torch::get_num_threads()}, {"libtorch", TORCH_VERSION},
          {"device", device},       {"processes", processes}};
}

}  // namespace cglow
