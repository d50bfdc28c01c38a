#include "cglow/run/evaluate_run.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <tuple>

#include "cglow/checkpoint.h"
#include "cglow/data/image_grid.h"
#include "cglow/data/image_io.h"
#include "cglow/inference.h"
#include "cglow/metrics/calibration.h"
#include "cglow/tasks/registry.h"

namespace cglow {
namespace {

// The same dequantisation noise for every evaluation, so that NLLs compare across runs.
constexpr uint64_t kEvaluationSeed = 12345;

std::string shape_text(const Shape& s) {
  return std::to_string(s.channels) + "x" + std::to_string(s.height) + "x" + std::to_string(s.width);
}

// Equation 4's prediction, over both orientations of x with `mirrored`.
Prediction predict_oriented(CGlow& model, const torch::Tensor& x, int64_t m, double temperature, bool mirrored) {
  return mirrored ? predict_mirrored(model, x, m, temperature) : predict(model, x, m, temperature);
}

}  // namespace

RunConfig read_run_config(const std::string& run_dir) {
  const std::string config_path = run_dir + "/config.json";
  std::ifstream in(config_path);
  if (!in) throw DataError("missing " + config_path + ": not a cglow run folder");
  try {
    return nlohmann::json::parse(in).get<RunConfig>();
  } catch (const std::exception& e) {
    throw DataError("unreadable run configuration " + config_path + ": " + e.what());
  }
}

std::pair<RunConfig, std::shared_ptr<Task>> load_run_task(const std::string& run_dir,
                                                          const std::string& superpixels) {
  auto config = read_run_config(run_dir);
  if (!superpixels.empty()) config.superpixels = superpixels;
  // Evaluation, prediction and sampling cut no training crops: the detail images need not be read.
  RunConfig task_config = config;
  task_config.zoom_detail = 1;
  return {config, make_task(task_config)};
}

bool is_baseline_run(const std::string& run_dir) {
  return std::filesystem::exists(run_dir + "/baseline.pt") && !std::filesystem::exists(run_dir + "/checkpoint.pt");
}

LoadedRun load_run(const std::string& run_dir, const std::string& superpixels) {
  const std::string checkpoint = run_dir + "/checkpoint.pt";
  if (is_baseline_run(run_dir))
    throw DataError(run_dir + " is a baseline run (baseline.pt, no checkpoint.pt): only cglow eval scores it");
  LoadedRun run;
  std::tie(run.config, run.task) = load_run_task(run_dir, superpixels);
  run.model = load_model(checkpoint);
  const auto& model = run.model->config();
  if (model.x != run.task->x_shape() || model.y != run.task->y_shape())
    throw CheckpointError("checkpoint " + checkpoint + " models " + shape_text(model.y) + " given " +
                          shape_text(model.x) + ", but task " + run.task->name() + " has " +
                          shape_text(run.task->y_shape()) + " given " + shape_text(run.task->x_shape()));
  return run;
}

Evaluation evaluate(CGlow& model, const Task& task, int64_t samples, double temperature, bool mirrored,
                    int64_t batch) {
  torch::NoGradGuard no_grad;
  const auto coding = task.coding();
  const int64_t n = task.size(DataSplit::test), dims = model->config().y.numel();
  auto generator = at::detail::createCPUGenerator(kEvaluationSeed);
  const auto device = model->parameters().front().device();
  std::vector<torch::Tensor> predictions, deviations, truths, bits;
  // Real-valued outputs only: labels are decoded from y, so y's spread says little about their errors.
  // At temperature 0 the samples do not spread at all.
  const bool calibrated = coding.kind() == OutputCoding::Kind::continuous && samples >= 2 && temperature > 0;
  Calibration calibration;
  for (int64_t start = 0; start < n; start += batch) {
    const auto examples = task.examples(DataSplit::test, torch::arange(start, std::min(n, start + batch)), nullptr);
    const auto x = examples.x.to(device);
    const auto p = predict_oriented(model, x, samples, temperature, mirrored);
    predictions.push_back(coding.decode(p.mean.cpu()));
    deviations.push_back(p.stddev.cpu());
    truths.push_back(examples.target);
    const auto encoded = coding.encode(examples.target);
    if (calibrated) calibration.add(p.samples, encoded.to(device));
    const auto y = coding.dequantize(encoded, generator).to(device);
    bits.push_back(bits_per_dim(model->log_prob(y, x), dims, coding).cpu());
  }
  Evaluation out{{}, torch::cat(predictions), torch::cat(deviations)};
  out.metrics = task.metrics(out.predictions, torch::cat(truths));
  out.metrics["test_bits_per_dim"] = torch::cat(bits).mean().item<double>();
  if (calibrated) out.metrics["calibration"] = calibration.ratio();
  return out;
}

std::map<std::string, double> write_predictions(LoadedRun& run, const std::string& out_dir, int64_t samples,
                                                double temperature, bool mirrored, int64_t shown) {
  create_output_folder(out_dir);
  const auto evaluation = evaluate(run.model, *run.task, samples, temperature, mirrored);
  for (int64_t i = 0; i < evaluation.predictions.size(0); ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "/%05lld.png", static_cast<long long>(i));
    write_image(out_dir + name, run.task->picture_of_target(evaluation.predictions[i]));
  }
  write_text(out_dir + "/metrics.json", nlohmann::json(evaluation.metrics).dump(2) + "\n");
  write_samples(run.model, *run.task, out_dir + "/grid.png", shown, 3, temperature, mirrored);
  return evaluation.metrics;
}

void write_samples(CGlow& model, const Task& task, const std::string& path, int64_t count, int64_t samples,
                   double temperature, bool mirrored) {
  torch::NoGradGuard no_grad;
  const auto coding = task.coding();
  count = std::min(count, task.size(DataSplit::test));
  const auto device = model->parameters().front().device();
  const auto examples = task.examples(DataSplit::test, torch::arange(count), nullptr);
  auto p = predict_oriented(model, examples.x.to(device), std::max<int64_t>(samples, 2), temperature, mirrored);
  p.samples = p.samples.cpu(), p.mean = p.mean.cpu(), p.stddev = p.stddev.cpu();
  std::vector<std::vector<torch::Tensor>> rows;
  for (int64_t i = 0; i < count; ++i) {
    std::vector<torch::Tensor> row{examples.x[i].clamp(0, 1), task.picture_of_target(examples.target[i])};
    const auto decoded = coding.decode(p.samples[i]);  // every sample's output
    for (int64_t s = 0; s < samples; ++s) row.push_back(task.picture_of_target(decoded[s]));
    const auto mean = coding.decode(p.mean[i].unsqueeze(0));
    row.push_back(task.picture_of_target(mean[0]));
    if (coding.kind() == OutputCoding::Kind::continuous) {
      const auto spread = p.stddev[i].mean(0, /*keepdim=*/true);
      row.push_back(spread / spread.max().clamp_min(1e-8));
    } else {
      // Labels: the fraction of the samples that disagree with the prediction (white: all of them).
      row.push_back(decoded.ne(mean).to(torch::kFloat32).mean(0, /*keepdim=*/true));
    }
    rows.push_back(row);
  }
  write_image_grid(path, rows, 96);
}

}  // namespace cglow
