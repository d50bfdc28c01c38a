// What a task is (section 5): how its inputs x and targets are made from a data set, how targets are
// coded as the flow's y, and how predictions are scored.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <torch/torch.h>

#include "cglow/config.h"
#include "cglow/output_coding.h"
#include "cglow/train/trainer.h"

namespace cglow {

// Which part of a dataset examples come from (named so as not to clash with the flow's Split layer).
enum class DataSplit { train, test };

struct Examples {
  torch::Tensor x;       // [B, Cx, Hx, Wx] floats
  torch::Tensor target;  // integer labels [B, H, W], or values [B, C, H, W]
};

class Task {
 public:
  virtual ~Task() = default;

  virtual std::string name() const = 0;
  virtual Shape x_shape() const = 0;
  virtual Shape y_shape() const = 0;
  virtual OutputCoding coding() const = 0;
  virtual int64_t size(DataSplit split) const = 0;

  // The examples at `indices` of a split. With a generator (training), random transformations draw from
  // it (such as flips); without one, the examples are the same every time.
  virtual Examples examples(DataSplit split, const torch::Tensor& indices, torch::Generator* generator) const = 0;

  // Scores over a whole split: predicted and true targets of every example. Names are stable keys.
  virtual std::map<std::string, double> metrics(const torch::Tensor& predicted, const torch::Tensor& truth) const = 0;

  // A target or a decoded prediction as a picture [1 or 3, H, W] in [0, 1].
  virtual torch::Tensor picture_of_target(const torch::Tensor& target) const = 0;
};

// Standard normal noise for evaluation examples [B, shape...]: the draw of example i is seeded by its
// index i only, so that every evaluation sees the same noisy inputs whatever the batching.
torch::Tensor evaluation_noise(const torch::Tensor& indices, c10::IntArrayRef shape);

// `t` [n, ...] with the examples where `flip` [n] is true mirrored left to right (along the last dimension).
torch::Tensor flip_where(const torch::Tensor& t, const torch::Tensor& flip);

// A noise residual as a picture: mid-grey for zero, four standard deviations `sigma` to either side.
torch::Tensor residual_picture(const torch::Tensor& residual, double sigma);

// Training batches for a Trainer: uniformly drawn training examples, coded and dequantised, all
// randomness from the trainer's generator.
BatchSampler batch_sampler(std::shared_ptr<const Task> task);

}  // namespace cglow
