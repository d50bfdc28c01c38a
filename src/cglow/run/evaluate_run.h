// Using a trained run: load it, score it on its task's evaluation split, write predictions and samples.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "cglow/flow/cglow.h"
#include "cglow/run/run_config.h"
#include "cglow/tasks/task.h"

namespace cglow {

struct LoadedRun {
  RunConfig config;
  std::shared_ptr<Task> task;
  CGlow model{nullptr};
};

// The configuration in `run_dir`/config.json, as `cglow train` and `cglow baseline` write it.
RunConfig read_run_config(const std::string& run_dir);

// That configuration and its task rebuilt from its data (with `superpixels`, from that folder of
// super-pixel maps instead of the run's), for scoring: the task cuts no training crops.
std::pair<RunConfig, std::shared_ptr<Task>> load_run_task(const std::string& run_dir,
                                                          const std::string& superpixels = "");

// Whether `run_dir` holds a baseline run (baseline.pt, as `cglow baseline` writes it) rather than a
// c-Glow run (checkpoint.pt).
bool is_baseline_run(const std::string& run_dir);

// The run in `run_dir` (config.json and checkpoint.pt, as `cglow train` writes them) and its task. A
// checkpoint whose model does not fit the task is a CheckpointError.
LoadedRun load_run(const std::string& run_dir, const std::string& superpixels = "");

struct Evaluation {
  std::map<std::string, double> metrics;  // the task's, and test_bits_per_dim
  torch::Tensor predictions;              // decoded means, one per evaluation example
  torch::Tensor stddev;                   // per-pixel standard deviation of the samples, in y's units
};

// Prediction by the mean of `samples` samples (equation 4; with `mirrored`, half of them given each
// input mirrored: predict_mirrored) for every evaluation example, in batches of `batch` inputs; the
// metrics over the whole split, the NLL in bits/dim with seeded dequantisation, and for real-valued
// outputs sampled at a positive temperature, "calibration" (metrics/calibration.h).
Evaluation evaluate(CGlow& model, const Task& task, int64_t samples, double temperature, bool mirrored = false,
                    int64_t batch = 16);

// One PNG per evaluation example (the decoded prediction), metrics.json and a grid (input, truth,
// three samples, mean, standard deviation) of the first `shown` examples, into `out_dir`.
std::map<std::string, double> write_predictions(LoadedRun& run, const std::string& out_dir, int64_t samples,
                                                double temperature, bool mirrored = false, int64_t shown = 8);

// A grid of `count` evaluation inputs, each with its truth, `samples` samples, the prediction from their
// mean, and the uncertainty: the samples' standard deviation (scaled to the row's largest), or for
// labels the fraction of samples that disagree with the prediction (with `mirrored`, the samples are
// predict_mirrored's). Written to `path`.
void write_samples(CGlow& model, const Task& task, const std::string& path, int64_t count, int64_t samples,
                   double temperature, bool mirrored = false);

}  // namespace cglow
