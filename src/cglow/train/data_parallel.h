// Data-parallel training on PyTorch's distributed engine, c10d: one process per CPU or GPU, each
// training on its own part of every batch, all holding the same model. Rank 0's parameters are
// broadcast at the start; after every backward pass the gradients are averaged over the processes
// with bucketed all-reduces (Gloo on CPU tensors, NCCL on CUDA tensors where LibTorch has it).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace cglow {

// Communication between the processes failed or timed out (a peer died or hangs); what() is one line.
struct DistributedError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Where this process stands, as launchers (torchrun, Slurm via srun, a shell loop) describe it.
struct LaunchEnvironment {
  int64_t rank = 0, world_size = 1, local_rank = 0;
  std::string master_addr;
  int master_port = 0;
};

// RANK, WORLD_SIZE, LOCAL_RANK (default 0), MASTER_ADDR and MASTER_PORT from the environment; nothing
// when WORLD_SIZE is unset (one process). DistributedError naming the variable when one is missing or
// malformed.
std::optional<LaunchEnvironment> launch_environment();

class DataParallel {
 public:
  // Joins the process group: rank 0 serves the rendezvous at master_addr:master_port, the others
  // connect to it. Every collective waits at most `timeout` (>= 1 s), then throws DistributedError.
  // `device` chooses the backend: Gloo for the CPU, NCCL for CUDA (in blocking-wait mode, so that a
  // timeout is an error here rather than an abort by NCCL's watchdog).
  DataParallel(const LaunchEnvironment& where, torch::Device device, std::chrono::milliseconds timeout);
  ~DataParallel();
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  int64_t rank() const { return rank_; }
  int64_t world_size() const { return world_size_; }

  // Every process's `tensors` (same shapes and dtypes everywhere) become rank 0's.
  void broadcast(const std::vector<torch::Tensor>& tensors);
  // Every process's `tensors` become their means over the processes. Tensors are packed into buckets
  // of about 25 MB (of one dtype and device), each one all-reduce: few large messages instead of one
  // per tensor. `purpose` names the exchange in errors.
  void average(const std::vector<torch::Tensor>& tensors, const std::string& purpose);

 private:
  struct Group;
  std::unique_ptr<Group> group_;
  int64_t rank_, world_size_;
  std::chrono::milliseconds timeout_;
};

}  // namespace cglow
