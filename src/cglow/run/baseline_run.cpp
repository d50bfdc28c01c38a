#include "cglow/run/baseline_run.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "cglow/baseline/feed_forward.h"
#include "cglow/checkpoint.h"
#include "cglow/data/image_grid.h"
#include "cglow/data/image_io.h"
#include "cglow/run/evaluate_run.h"
#include "cglow/run/progress.h"
#include "cglow/runtime.h"
#include "cglow/tasks/registry.h"
#include "cglow/train/adam.h"
#include "cglow/train/divergence_guard.h"
#include "cglow/train/trainer.h"
#include "cglow/train/weights_snapshot.h"

namespace cglow {

BaselineResult baseline_run(const RunConfig& config, const std::atomic<bool>* stop, std::ostream& progress) {
  namespace fs = std::filesystem;
  if (config.baseline_width < 1) throw std::invalid_argument("the baseline's width must be >= 1");
  if (config.device != "cpu")
    throw std::invalid_argument("cglow baseline runs on the CPU only (device " + config.device + ")");
  if (std::getenv("WORLD_SIZE")) throw std::invalid_argument("cglow baseline runs as one process: unset WORLD_SIZE");
  // Never over another run: its configuration and log would be lost.
  if (fs::exists(config.out + "/config.json"))
    throw DataError(config.out + " already holds a run (config.json): choose another --out");
  const auto task = make_task(config);
  // Built before anything is written: a depth it refuses leaves no half-made run folder behind.
  torch::manual_seed(config.training.seed);
  FeedForward model(task->x_shape(), task->y_shape(), task->coding(), config.baseline_width, config.baseline_depth);
  create_output_folder(config.out);
  write_text(config.out + "/config.json", nlohmann::json(config).dump(2) + "\n");
  auto machine = machine_description("cpu", 1);
  machine["iteration"] = 0;
  append_line(config.out + "/machines.jsonl", machine.dump());
  std::ofstream log(config.out + "/log.jsonl");
  if (!log) throw DataError("cannot write " + config.out + "/log.jsonl");

  auto generator = at::detail::createCPUGenerator(config.training.seed);
  Adam adam(model->parameters(), config.training.adam);
  const auto& t = config.training;
  const bool values = task->coding().kind() == OutputCoding::Kind::continuous;
  Progress bar(t.iterations, 0, values ? "mse" : "cross-entropy", 60 * config.minutes);
  // As in `cglow train`: a step whose loss or gradient is not finite is skipped, too many in a row
  // stop the run, and so does a lasting leap of the loss. A baseline writes no checkpoints, so it keeps
  // a copy of its weights in memory instead, at least 50 steps after the last one and only when the
  // loss it has just measured on them is steady; a stopped run is scored on that copy.
  DivergenceGuard guard(t.divergence_margin);
  WeightsSnapshot kept(*model, 0);
  int64_t bad_in_a_row = 0;
  std::string failure;
  BaselineResult result;
  while (result.iteration < t.iterations && !(stop && stop->load()) && !budget_spent(config, bar.elapsed_seconds())) {
    const auto indices = torch::randint(task->size(DataSplit::train), {t.batch_size}, generator, torch::kLong);
    const auto examples = task->examples(DataSplit::train, indices, &generator);
    const auto loss = model->loss(examples.x, examples.target);
    const double value = loss.item<double>();
    adam.zero_grad();
    if (std::isfinite(value)) loss.backward();
    const bool skipped = !std::isfinite(value) || !gradients_finite(model->parameters());
    if (skipped) {
      ++bad_in_a_row;
    } else {
      bad_in_a_row = 0;
      guard.add(value);
      // `value` is the loss of the weights before this step's update: those are the ones judged steady.
      if (guard.steady() && result.iteration >= kept.iteration() + DivergenceGuard::kBlock)
        kept = WeightsSnapshot(*model, result.iteration);
      adam.step(scheduled_lr(t, result.iteration));
    }
    bar.step(value);
    ++result.iteration;
    if (bad_in_a_row >= t.max_bad_steps) {
      failure = non_finite_verdict(result.iteration, bad_in_a_row);
    } else if (guard.diverged()) {
      failure = guard.verdict(result.iteration, values ? "" : "nats");
    }
    if (skipped) progress << "\n" << skipped_notice(result.iteration) << "\n";
    if (result.iteration % config.log_every == 0 || result.iteration == t.iterations || skipped || !failure.empty()) {
      log << nlohmann::json{{"iteration", result.iteration},
                            {"loss", skipped ? nlohmann::json() : nlohmann::json(value)},
                            {"skipped", skipped}, {"seconds", bar.elapsed_seconds()}}
                 .dump()
          << "\n" << std::flush;  // as the c-Glow run's log: `tail -f` follows it
      progress << bar.line(result.iteration) << std::flush;
    }
    if (!failure.empty()) break;
  }
  result.seconds = bar.elapsed_seconds();
  progress << "\n";
  int64_t scored = result.iteration;
  if (!failure.empty()) {
    kept.restore(*model);
    scored = kept.iteration();
  }
  torch::save(model, config.out + "/baseline.pt");

  // Scores on the evaluation split, and a picture of the first examples.
  const auto scores = score_baseline(model, *task);
  const auto& predicted = scores.predictions;
  const int64_t n = predicted.size(0);
  result.metrics = scores.metrics;
  result.metrics["training_iterations"] = static_cast<double>(scored);
  if (!failure.empty()) result.metrics["stopped_at_iteration"] = static_cast<double>(result.iteration);
  result.metrics["training_seconds"] = result.seconds;
  write_text(config.out + "/metrics.json", nlohmann::json(result.metrics).dump(2) + "\n");
  const auto shown = task->examples(DataSplit::test, torch::arange(std::min<int64_t>(n, 6)), nullptr);
  std::vector<std::vector<torch::Tensor>> rows;
  for (int64_t i = 0; i < shown.x.size(0); ++i)
    rows.push_back(
        {shown.x[i].clamp(0, 1), task->picture_of_target(shown.target[i]), task->picture_of_target(predicted[i])});
  write_image_grid(config.out + "/predictions.png", rows, 96);
  if (!failure.empty())
    throw TrainingError(failure + "; " + config.out + "/metrics.json scores the weights it had kept, of iteration " +
                        std::to_string(scored) + (scored == 0 ? " (the initial ones)" : ""));
  return result;
}

BaselineScores score_baseline(FeedForward& model, const Task& task, bool mirrored) {
  model->eval();
  const int64_t n = task.size(DataSplit::test);
  std::vector<torch::Tensor> predictions, truths;
  for (int64_t start = 0; start < n; start += 16) {
    const auto examples = task.examples(DataSplit::test, torch::arange(start, std::min(n, start + 16)), nullptr);
    predictions.push_back(model->predict(examples.x, mirrored));
    truths.push_back(examples.target);
  }
  BaselineScores scores{{}, torch::cat(predictions)};
  scores.metrics = task.metrics(scores.predictions, torch::cat(truths));
  return scores;
}

BaselineScores evaluate_baseline_run(const std::string& run_dir, const std::string& superpixels, bool mirrored) {
  const std::string weights = run_dir + "/baseline.pt";
  const auto [config, task] = load_run_task(run_dir, superpixels);
  FeedForward model(task->x_shape(), task->y_shape(), task->coding(), config.baseline_width, config.baseline_depth);
  const std::string misfit = weights + " does not fit the U-Net of " + run_dir + "/config.json (width " +
                             std::to_string(config.baseline_width) + ", depth " +
                             std::to_string(config.baseline_depth) + ", task " + task->name() + "): ";
  torch::serialize::InputArchive archive;
  load_archive(archive, weights, torch::kCPU);
  load_weights(*model, archive, misfit);
  return score_baseline(model, *task, mirrored);
}

}  // namespace cglow
