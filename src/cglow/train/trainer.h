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

namespace cglow {

// Training cannot go on (repeated non-finite losses); what() is one line.
struct TrainingError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct TrainingBatch {
  torch::Tensor x;  // [B, Cx, Hx, Wx]
  torch::Tensor y;  // [B, Cy, Hy, Wy], encoded and dequantised
};

// Draws a training batch on the CPU (the trainer moves it to the model's device). All its randomness
// must come from `generator`: that is what makes a resumed run repeat the run it continues.
using BatchSampler = std::function<TrainingBatch(int64_t batch_size, torch::Generator& generator)>;

struct TrainerOptions {
  int64_t iterations = 1000;
  int64_t batch_size = 2;           // the paper's
  AdamOptions adam;                 // the paper's: lr 2e-4, betas 0.9, 0.999
  double clip_value = 0.25;         // gradient values clipped to +-clip_value (0: off), as the authors did
  int64_t warmup = 0;               // iterations of linear learning-rate warm-up
  int64_t max_bad_steps = 10;       // consecutive non-finite steps before the run stops
  uint64_t seed = 1;
};

struct StepReport {
  int64_t iteration = 0;      // 1-based, after the step
  double bits_per_dim = 0;    // of this batch
  double lr = 0;
  bool skipped = false;       // the loss or a gradient was not finite; nothing was updated
};

class Trainer {
 public:
  Trainer(CGlow model, OutputCoding coding, BatchSampler sampler, TrainerOptions options);

  // Runs until options.iterations, or until *stop becomes true (checked between steps). Calls
  // on_step after every step. Throws TrainingError after max_bad_steps non-finite steps in a row.
  void run(const std::function<void(const StepReport&)>& on_step = {}, const std::atomic<bool>* stop = nullptr);

  // Everything a resumed run needs, written atomically; resume() reads it back onto the model's device.
  // A checkpoint of another model configuration, or without training state, is a CheckpointError that
  // leaves the trainer as it was. The options are the caller's: a resumed run should use the same.
  void save(const std::string& path);
  void resume(const std::string& path);

  int64_t iteration() const { return iteration_; }
  CGlow& model() { return model_; }

 private:
  double lr_at(int64_t iteration) const;

  CGlow model_;
  OutputCoding coding_;
  BatchSampler sampler_;
  TrainerOptions options_;
  Adam adam_;
  torch::Generator generator_;
  int64_t iteration_ = 0;
};

}  // namespace cglow
