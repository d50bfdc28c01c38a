// Training by exact maximum likelihood (section 4.2): minimise -log p(y|x) in bits per dimension with
// Adam. A run can be saved and resumed exactly: the model, Adam's moments, the iteration and the random
// generator that draws the batches (data order, dequantisation noise, augmentation) are all saved.
#pragma once

#include <atomic>
#include <functional>
#include <stdexcept>
#include <string>

#include <torch/torch.h>

#include "cglow/flow/cglow.h"
#include "cglow/output_coding.h"
#include "cglow/train/adam.h"
#include "cglow/train/data_parallel.h"
#include "cglow/train/divergence_guard.h"

namespace cglow {

// Training cannot go on (repeated non-finite losses, or divergence); what() is one line.
struct TrainingError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct TrainingBatch {
  torch::Tensor x;  // [B, Cx, Hx, Wx]
  torch::Tensor y;  // [B, Cy, Hy, Wy], encoded and dequantised
};

// This process's part of every training batch: of a global batch of batch_size * count examples, the
// examples rank * batch_size .. (rank + 1) * batch_size - 1. One process: {0, 1}.
struct Shard {
  int64_t rank = 0;
  int64_t count = 1;
};

// Draws this process's part of a training batch on the CPU (the trainer moves it to the model's
// device). All its randomness must come from `generator`, which starts from the same seed on every
// process: that makes a resumed run repeat the run it continues, and the processes of a distributed
// run draw disjoint parts of the same global batch.
using BatchSampler = std::function<TrainingBatch(int64_t batch_size, torch::Generator& generator, const Shard& shard)>;

struct TrainerOptions {
  int64_t iterations = 1000;
  int64_t batch_size = 2;           // the paper's; per process in a distributed run
  AdamOptions adam;                 // the paper's: lr 2e-4, betas 0.9, 0.999
  double clip_value = 0.25;         // gradient values clipped to +-clip_value (0: off), as the authors did
  int64_t warmup = 0;               // iterations of linear learning-rate warm-up
  int64_t decay = 0;                // the last iterations, over which the learning rate falls linearly to 0
  int64_t max_bad_steps = 10;       // consecutive non-finite steps before the run stops
  double divergence_margin = 1.0;   // of a leap of the loss (DivergenceGuard), here in bits/dim; 0: unguarded
  // A run at iteration 0 starts with Glow's data-dependent actnorm initialisation (overwriting the
  // actnorm bases of the model it is given: off to fine-tune a trained model).
  bool actnorm_init = true;
  uint64_t seed = 1;
};

// Whether every gradient that is defined is finite (a step with others must be skipped). With
// clip_value above 0 each gradient value is also clipped to +-clip_value, in the same pass: on the CPU,
// isfinite().all() and clamp_ took five passes over every gradient with four temporaries as large (for
// `horse32-encoder`'s 10 M parameters on 2 Xeon cores, 64-72 ms per step against 14-19 ms). Clipping
// some gradients of a step that turns out to be skipped does no harm: a skipped step drops them.
bool gradients_finite(const std::vector<torch::Tensor>& parameters, double clip_value = 0);
// What `cglow train` and `cglow baseline` say of a skipped step, and of `steps` in a row that stop a
// run at `iteration`.
std::string skipped_notice(int64_t iteration);
std::string non_finite_verdict(int64_t iteration, int64_t steps);

// The learning rate of step `iteration` (0-based): the warm-up ramp, then adam.lr, then the decay.
double scheduled_lr(const TrainerOptions& options, int64_t iteration);

struct StepReport {
  int64_t iteration = 0;      // 1-based, after the step
  double bits_per_dim = 0;    // of this batch
  double lr = 0;
  bool skipped = false;       // the loss or a gradient was not finite; nothing was updated
};

class Trainer {
 public:
  // With `parallel` (not owned; it must outlive the trainer), this is one process of a data-parallel
  // run: each step trains on this process's shard, with gradients averaged over the processes.
  Trainer(CGlow model, OutputCoding coding, BatchSampler sampler, TrainerOptions options,
          DataParallel* parallel = nullptr);

  // Runs until options.iterations, or until *stop becomes true (checked between steps; in a
  // distributed run, any process's stop stops all of them after the same step). Calls on_step after
  // every step, with the loss over all processes. Throws TrainingError after max_bad_steps non-finite
  // steps in a row or once the loss has diverged (DivergenceGuard), DistributedError when the other
  // processes cannot be reached.
  void run(const std::function<void(const StepReport&)>& on_step = {}, const std::atomic<bool>* stop = nullptr);

  // Everything a resumed run needs, written atomically; resume() reads it back onto the model's device.
  // A checkpoint of another model configuration, or without training state, is a CheckpointError that
  // leaves the trainer as it was. The options are the caller's: a resumed run should use the same.
  void save(const std::string& path);
  void resume(const std::string& path);

  int64_t iteration() const { return iteration_; }
  // The last steps' losses are all near the lowest the run had reached: weights worth a checkpoint.
  bool steady() const { return guard_.steady(); }
  CGlow& model() { return model_; }

 private:
  // Starts every process from rank 0's weights, and checks that all are at the same iteration.
  void synchronise_start();
  void initialize_actnorms(const Shard& shard, torch::Device device);

  CGlow model_;
  OutputCoding coding_;
  BatchSampler sampler_;
  TrainerOptions options_;
  DataParallel* parallel_;
  Adam adam_;
  torch::Generator generator_;
  DivergenceGuard guard_;
  int64_t iteration_ = 0;
};

}  // namespace cglow
