#include "cglow/train/data_parallel.h"

#include <cstdlib>

#include <torch/version.h>

#if CGLOW_WITH_DISTRIBUTED
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#if CGLOW_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif
#endif

namespace cglow {
namespace {

constexpr int64_t kBucketBytes = 25 << 20;  // DistributedDataParallel's default bucket size

int64_t integer_variable(const char* name, std::optional<int64_t> fallback = std::nullopt) {
  const char* text = std::getenv(name);
  if (!text || !*text) {
    if (fallback) return *fallback;
    throw DistributedError(std::string("WORLD_SIZE is set but ") + name + " is not (a launcher sets RANK, WORLD_SIZE, "
                           "LOCAL_RANK, MASTER_ADDR, MASTER_PORT)");
  }
  char* end = nullptr;
  const long long value = std::strtoll(text, &end, 10);
  if (*end != '\0' || value < 0) throw DistributedError(std::string(name) + "='" + text + "' is not a count");
  return value;
}

// Groups of consecutive tensors of about kBucketBytes, each packed into one flat tensor.
std::vector<std::vector<torch::Tensor>> buckets(const std::vector<torch::Tensor>& tensors) {
  std::vector<std::vector<torch::Tensor>> out;
  int64_t bytes = kBucketBytes;
  for (const auto& t : tensors) {
    const bool fits = !out.empty() && bytes + static_cast<int64_t>(t.nbytes()) <= kBucketBytes &&
                      out.back().front().scalar_type() == t.scalar_type() && out.back().front().device() == t.device();
    if (!fits) out.emplace_back(), bytes = 0;
    out.back().push_back(t);
    bytes += static_cast<int64_t>(t.nbytes());
  }
  return out;
}

torch::Tensor pack(const std::vector<torch::Tensor>& bucket) {
  std::vector<torch::Tensor> flat;
  for (const auto& t : bucket) flat.push_back(t.detach().reshape({-1}));
  return torch::cat(flat);
}

void unpack(const torch::Tensor& packed, const std::vector<torch::Tensor>& bucket) {
  int64_t offset = 0;
  torch::NoGradGuard no_grad;
  for (const auto& t : bucket) {
    t.copy_(packed.narrow(0, offset, t.numel()).view_as(t));
    offset += t.numel();
  }
}

}  // namespace

std::optional<LaunchEnvironment> launch_environment() {
  if (!std::getenv("WORLD_SIZE")) return std::nullopt;
  LaunchEnvironment where;
  where.world_size = integer_variable("WORLD_SIZE");
  where.rank = integer_variable("RANK");
  where.local_rank = integer_variable("LOCAL_RANK", 0);
  if (where.world_size < 1 || where.rank >= where.world_size)
    throw DistributedError("RANK=" + std::to_string(where.rank) + " is not below WORLD_SIZE=" +
                           std::to_string(where.world_size));
  const char* addr = std::getenv("MASTER_ADDR");
  if (!addr || !*addr) throw DistributedError("WORLD_SIZE is set but MASTER_ADDR is not");
  where.master_addr = addr;
  where.master_port = static_cast<int>(integer_variable("MASTER_PORT"));
  if (where.master_port < 1 || where.master_port > 65535)
    throw DistributedError("MASTER_PORT=" + std::to_string(where.master_port) + " is not a port");
  return where;
}

#if CGLOW_WITH_DISTRIBUTED

// LibTorch 2 calls a process group's backend what 1.x called the process group.
#if TORCH_VERSION_MAJOR >= 2
using Backend = c10d::Backend;
#else
using Backend = c10d::ProcessGroup;
#endif

struct DataParallel::Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<Backend> backend;
};

DataParallel::DataParallel(const LaunchEnvironment& where, torch::Device device, std::chrono::milliseconds timeout)
    : group_(std::make_unique<Group>()), rank_(where.rank), world_size_(where.world_size), timeout_(timeout) {
  if (timeout < std::chrono::seconds(1)) throw DistributedError("the distributed timeout must be at least 1 s");
  const std::string at = where.master_addr + ":" + std::to_string(where.master_port);
  try {
    c10d::TCPStoreOptions store;
    store.port = static_cast<uint16_t>(where.master_port);
    store.isServer = where.rank == 0;
    store.numWorkers = static_cast<size_t>(where.world_size);
    store.timeout = timeout;
    group_->store = c10::make_intrusive<c10d::TCPStore>(where.master_addr, store);
    if (device.is_cuda()) {
#if CGLOW_WITH_NCCL
      // Without blocking waits, NCCL's watchdog aborts the process on a timeout instead of an error here.
      setenv("TORCH_NCCL_BLOCKING_WAIT", "1", 0);
      setenv("NCCL_BLOCKING_WAIT", "1", 0);  // its name before LibTorch 2.2
      auto options = c10d::ProcessGroupNCCL::Options::create();
      options->timeout = timeout;
      group_->backend =
          c10::make_intrusive<c10d::ProcessGroupNCCL>(group_->store, where.rank, where.world_size, options);
#else
      throw DistributedError(
          "this cglow was built without NCCL: distributed training on CUDA needs -DCGLOW_WITH_NCCL=ON");
#endif
    } else {
      auto options = c10d::ProcessGroupGloo::Options::create(timeout);
      // GLOO_SOCKET_IFNAME names the network interface, as in PyTorch; loopback rendezvous stays local.
      const char* interface = std::getenv("GLOO_SOCKET_IFNAME");
      const bool local = where.master_addr == "127.0.0.1" || where.master_addr == "localhost";
      options->devices.push_back(interface ? c10d::ProcessGroupGloo::createDeviceForInterface(interface)
                                 : local   ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                           : c10d::ProcessGroupGloo::createDefaultDevice());
      options->threads = 2;
      group_->backend =
          c10::make_intrusive<c10d::ProcessGroupGloo>(group_->store, where.rank, where.world_size, options);
    }
  } catch (const DistributedError&) {
    throw;
  } catch (const std::exception& e) {
    const std::string what = e.what();
    throw DistributedError("rank " + std::to_string(where.rank) + " of " + std::to_string(where.world_size) +
                           " could not join the process group at " + at + ": " + what.substr(0, what.find('\n')));
  }
}

DataParallel::~DataParallel() = default;

namespace {

template <typename Launch>
void run_collective(const std::vector<torch::Tensor>& tensors, int64_t rank, std::chrono::milliseconds timeout,
                    const std::string& what, Launch launch, const std::function<void(torch::Tensor&)>& finish = {}) {
  const auto groups = buckets(tensors);
  std::vector<torch::Tensor> packed;
  std::vector<decltype(launch(packed))> works;
  try {
    // All buckets in flight at once, then waited for: the transfers overlap each other.
    for (const auto& bucket : groups) {
      packed.push_back(pack(bucket));
      std::vector<torch::Tensor> one{packed.back()};
      works.push_back(launch(one));
    }
    for (auto& work : works) work->wait(timeout);
  } catch (const std::exception& e) {
    const std::string message = e.what();
    throw DistributedError("rank " + std::to_string(rank) + ": " + what + " with the other processes failed: " +
                           message.substr(0, message.find('\n')) + " (did a process die or hang? each waits " +
                           std::to_string(timeout.count() / 1000) + " s)");
  }
  for (size_t i = 0; i < groups.size(); ++i) {
    if (finish) finish(packed[i]);
    unpack(packed[i], groups[i]);
  }
}

}  // namespace

void DataParallel::broadcast(const std::vector<torch::Tensor>& tensors) {
  run_collective(tensors, rank_, timeout_, "broadcasting the parameters", [&](std::vector<torch::Tensor>& one) {
    return group_->backend->broadcast(one, c10d::BroadcastOptions{});
  });
}

void DataParallel::average(const std::vector<torch::Tensor>& tensors, const std::string& purpose) {
  run_collective(
      tensors, rank_, timeout_, purpose,
      [&](std::vector<torch::Tensor>& one) { return group_->backend->allreduce(one, c10d::AllreduceOptions{}); },
      [&](torch::Tensor& sum) { sum.div_(static_cast<double>(world_size_)); });
}

#else  // no c10d headers at build time

struct DataParallel::Group {};

DataParallel::DataParallel(const LaunchEnvironment&, torch::Device, std::chrono::milliseconds) {
  throw DistributedError(
      "this cglow was built without distributed training (no c10d/Gloo headers: install libgloo-dev)");
}
DataParallel::~DataParallel() = default;
void DataParallel::broadcast(const std::vector<torch::Tensor>&) {}
void DataParallel::average(const std::vector<torch::Tensor>&, const std::string&) {}

#endif

}  // namespace cglow
