// `cglow baseline`: the feed-forward baseline (baseline/feed_forward.h) trained and scored on the same
// task, data and budget as a c-Glow run, so that results tables compare the two as the paper does.
#pragma once

#include <atomic>
#include <map>
#include <ostream>
#include <string>

#include "cglow/baseline/feed_forward.h"
#include "cglow/run/run_config.h"
#include "cglow/tasks/task.h"

namespace cglow {

struct BaselineResult {
  int64_t iteration = 0;  // training iterations done
  double seconds = 0;     // of training
  std::map<std::string, double> metrics;  // the task's, on its evaluation split
};

// Trains a FeedForward of config.baseline_width with Adam (config.training: iterations, batch size,
// learning rate, warm-up, seed; flips and noise from the task as for c-Glow) until the iterations or
// config.minutes are spent or *stop becomes true, then scores it on the evaluation split. Writes into
// config.out: config.json, log.jsonl, machines.jsonl, baseline.pt (the weights), metrics.json and
// predictions.png (input, truth, prediction). No checkpoints to resume: a baseline run is short. A run
// that diverges (config.training.divergence_margin, in the loss's units) or whose loss is not finite for
// max_bad_steps steps in a row stops, writes and scores the last weights it kept (when steady) all the
// same, then throws TrainingError.
BaselineResult baseline_run(const RunConfig& config, const std::atomic<bool>* stop, std::ostream& progress);

struct BaselineScores {
  std::map<std::string, double> metrics;  // the task's, on its evaluation split
  torch::Tensor predictions;              // one per evaluation example, as the task's targets are
};

// `model`'s predictions for the task's evaluation split (with `mirrored`, each the average over the input
// and its mirror image: FeedForward::predict) and their metrics.
BaselineScores score_baseline(FeedForward& model, const Task& task, bool mirrored = false);

// The baseline run in `run_dir` (config.json and baseline.pt, as baseline_run writes them) scored on its
// task's evaluation split (`superpixels`: as for load_run), as `cglow eval` does. Weights that do not fit
// the run's configuration are a CheckpointError.
BaselineScores evaluate_baseline_run(const std::string& run_dir, const std::string& superpixels = "",
                                     bool mirrored = false);

}  // namespace cglow
