// cglow: the command line over the library. Parses options, calls the library, reports; every error is
// one line on stderr and a non-zero exit.
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

#include <CLI/CLI.hpp>

#include "cglow/data/image_io.h"
#include "cglow/run/baseline_run.h"
#include "cglow/run/evaluate_run.h"
#include "cglow/run/train_run.h"
#include "cglow/runtime.h"
#include "cglow/train/data_parallel.h"
#include "cglow/train/divergence_guard.h"

namespace {

std::atomic<bool> stop_requested{false};

extern "C" void on_interrupt(int) { stop_requested = true; }

// Ctrl-C, and the SIGTERM that kill and batch schedulers (Slurm, at the end of a job's time) send, stop
// training after the current step: train keeps a checkpoint, baseline scores the weights it has.
void stop_on_signals() {
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
}

// Options that override the configuration only when given.
struct Overrides {
  std::optional<std::string> task, data, masks, superpixels, out, device, encoder_from;
  std::optional<int64_t> size, crop, iterations, batch, warmup, decay, checkpoint_every, picture_every, levels, steps,
      validation, frames, timeout, width, depth, zoom_detail, mask_tiles;
  std::optional<double> lr, minutes, zoom, jitter, divergence_margin;
  std::optional<bool> flips, freeze_encoder;
  std::optional<uint64_t> seed;

  void apply(cglow::RunConfig& c) const {
    if (task) c.task = *task;
    if (data) c.data = *data;
    if (masks) c.masks = *masks;
    if (superpixels) c.superpixels = *superpixels;
    if (frames) c.frames = *frames;
    if (device) c.device = *device;
    if (timeout) c.timeout = *timeout;
    if (out) c.out = *out;
    if (size) c.size = *size;
    if (crop) c.crop = *crop;
    if (zoom) c.zoom = *zoom;
    if (zoom_detail) c.zoom_detail = *zoom_detail;
    if (jitter) c.jitter = *jitter;
    if (mask_tiles) c.mask_tiles = *mask_tiles;
    if (flips) c.flips = *flips;
    if (picture_every) c.picture_every = *picture_every;
    if (iterations) c.training.iterations = *iterations;
    if (batch) c.training.batch_size = *batch;
    if (warmup) c.training.warmup = *warmup;
    if (decay) c.training.decay = *decay;
    if (checkpoint_every) c.checkpoint_every = *checkpoint_every;
    if (levels) c.model.levels = *levels;
    if (steps) c.model.steps = *steps;
    if (validation) c.validation = *validation;
    if (lr) c.training.adam.lr = *lr;
    if (minutes) c.minutes = *minutes;
    if (width) c.baseline_width = *width;
    if (depth) c.baseline_depth = *depth;
    if (encoder_from) c.encoder_from = *encoder_from;
    if (freeze_encoder) c.freeze_encoder = *freeze_encoder;
    if (seed) c.training.seed = *seed;
    if (divergence_margin) c.training.divergence_margin = *divergence_margin;
  }
};

// A preset, else the built-in default when nothing names a task, else the paper's configuration; then
// the config files, each over the ones before, so variations compose (`--config a.json --config b.json`);
// then the options. Resuming without a preset or config file starts from the run's own config.json, so
// `train --out RUN --resume` continues RUN as it was set up (options still override).
cglow::RunConfig resolve(const std::string& preset, std::vector<std::string> config_files, const Overrides& overrides,
                         bool resume = false) {
  cglow::RunConfig config;
  if (resume && preset.empty() && config_files.empty()) {
    config_files.push_back(overrides.out.value_or(cglow::preset("fashion-mnist").out) + "/config.json");
    if (!std::filesystem::exists(config_files.back()))
      throw std::runtime_error("nothing to resume: " + config_files.back() +
                               " does not exist (is --out the run's folder?)");
  }
  if (!preset.empty() || (!overrides.task && config_files.empty())) {
    config = cglow::preset(preset.empty() ? "fashion-mnist" : preset);
  } else if (overrides.task) {
    config.out = "runs/" + *overrides.task;
  }
  for (const auto& file : config_files) {
    std::ifstream in(file);
    if (!in) throw std::runtime_error("cannot read config file " + file);
    try {
      from_json(nlohmann::json::parse(in), config);
    } catch (const std::exception& e) {
      throw std::runtime_error("config file " + file + ": " + e.what());
    }
  }
  overrides.apply(config);
  return config;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cglow: conditional Glow (Lu & Huang, AAAI 2020) for structured output learning"};
  app.require_subcommand(1);
  int threads = 0;
  app.add_option("--threads", threads, "CPU threads (0: one per hardware thread)")->capture_default_str();

  auto* train = app.add_subcommand("train", "train a c-Glow on a task (default: Fashion-MNIST inpainting)");
  std::string preset;
  std::vector<std::string> config_files;
  bool resume = false;
  Overrides o;
  // The options that describe a run's task, data and training, shared by train and baseline.
  auto add_run_config_options = [&](CLI::App* command) {
    command->add_option("--preset", preset,
                        "settings by name: " + cglow::preset_names() +
                            " (the paper's; *-encoder beyond it, see docs/RESULTS.md; fashion-mnist is the default "
                            "when no task is named)");
    command->add_option("--config", config_files,
                        "a JSON run configuration (as the config.json a run writes, or only the keys to change); "
                        "repeat it to apply several in order; options below override them")
        ->allow_extra_args(false);
    command->add_option("--task", o.task, "fashion-mnist, horse, masks, lfw, denoising, inpainting or depth");
    command->add_option("--data", o.data, "the data folder");
    command->add_option("--masks", o.masks, "the masks folder (task masks)");
    command->add_option("--superpixels", o.superpixels,
                        "lfw: folder of super-pixel maps NAME_NNNN.png of the evaluation images");
    command->add_option("--size", o.size, "image side (all tasks but depth)");
    command->add_option("--frames", o.frames, "depth: frames used, evenly spaced over the folder's (0: all)");
    command->add_option("--crop", o.crop, "denoising/inpainting: centred square crop before resizing (0: largest)");
    command->add_option("--zoom", o.zoom,
                        "horse/masks/lfw: each training example is a random crop keeping [zoom, 1] of each side, "
                        "resized back (1: none)");
    command->add_option("--zoom-detail", o.zoom_detail,
                        "horse/masks/lfw with --zoom: crops are cut from the images at this many times --size and "
                        "area-averaged down, keeping the detail a crop resized up would blur (1: resized up)");
    command->add_option("--jitter", o.jitter,
                        "horse/masks/lfw: each training image's brightness, contrast and saturation are scaled by "
                        "random factors in [1 - jitter, 1 + jitter] (0: none)");
    command->add_option("--mask-tiles", o.mask_tiles,
                        "horse/masks: each binary mask becomes this many channels of y, each dequantised with its "
                        "own noise (the paper: 3)");
    // A function, not a variable: CLI11 sets a flag's variable even when the flag is absent, which
    // would undo a "flips" from --config or from the run being resumed.
    command->add_flag_function(
        "--flips", [&](int64_t count) { o.flips = count > 0; },
        "inpainting/denoising/fashion-mnist: each training image is mirrored left to right with probability 1/2 "
        "(--flips=false turns it off; horse/masks/lfw images are always mirrored so)");
    command->add_option("--validation", o.validation,
                        "horse, masks, denoising, inpainting, depth: images held out for evaluation");
    command->add_option("--iterations", o.iterations, "training iterations");
    command->add_option("--batch", o.batch, "mini-batch size");
    command->add_option("--lr", o.lr, "Adam learning rate");
    command->add_option("--warmup", o.warmup, "iterations of learning-rate warm-up");
    command->add_option("--decay", o.decay, "the last iterations, over which the learning rate falls linearly to 0");
    command->add_option("--seed", o.seed, "random seed");
    command->add_option("--out", o.out, "output folder");
    command->add_option("--minutes", o.minutes,
                        "a time budget: stop training after this many minutes (the decay is timed by --iterations)")
        ->check(CLI::NonNegativeNumber);
    command->add_option("--divergence-margin", o.divergence_margin,
                        "stop once the loss stays this far above the lowest it had reached (train: bits/dim, "
                        "keeping the last checkpoint; baseline: nats or squared error, scoring the last steady "
                        "weights; 0: never)")
        ->check(CLI::NonNegativeNumber);
  };
  add_run_config_options(train);
  train->add_option("--levels", o.levels, "L, levels of the flow");
  train->add_option("--steps", o.steps, "K, steps per level");
  train->add_option("--checkpoint-every", o.checkpoint_every, "iterations between checkpoints");
  train->add_option("--picture-every", o.picture_every,
                    "iterations between sample grids and loss plots (0: at the end only)");
  train->add_flag("--resume", resume,
                 "continue the run in --out from its checkpoint (with neither --preset nor --config, its settings are "
                 "read from --out/config.json)");
  train->add_option("--encoder-from", o.encoder_from,
                    "a run of cglow baseline on the same task and size whose U-Net starts the weights of the "
                    "shared encoder (of the *-encoder presets); it must have the encoder's width and depth");
  train->add_flag_function(
      "--freeze-encoder", [&](int64_t count) { o.freeze_encoder = count > 0; },
      "the shared encoder keeps its starting weights (with --encoder-from, the U-Net's): only the flow's layers and "
      "their networks on its features train");
  train->add_option("--device", o.device, "cpu or cuda");
  train->add_option("--timeout", o.timeout,
                    "distributed runs (started by torchrun, srun or a shell loop setting RANK, WORLD_SIZE, "
                    "MASTER_ADDR, MASTER_PORT): seconds to wait for the other processes");

  auto* baseline = app.add_subcommand(
      "baseline",
      "train and score the feed-forward baseline (a U-Net, cross-entropy or squared error) on a run's task");
  add_run_config_options(baseline);
  baseline->add_option("--width", o.width, "the U-Net's first width (32)");
  baseline->add_option("--depth", o.depth, "how many times the U-Net halves the resolution, at most (3)");
  baseline->footer("Writes config.json, log.jsonl, machines.jsonl, baseline.pt, metrics.json and predictions.png "
                   "into --out (by default the preset's or task's run folder with -baseline appended).");

  // eval, predict and sample read a finished (or stopped) run.
  std::string run_dir, out_dir, superpixels;
  int64_t samples = 10, count = 8;
  double temperature = 1.0;
  uint64_t sample_seed = 1;
  bool mirrored = false;
  auto add_run_options = [&](CLI::App* command, const std::string& run_help, const std::string& samples_help) {
    command->add_option("--run", run_dir, run_help)->required();
    command->add_option("--samples", samples, samples_help)->capture_default_str()->check(CLI::PositiveNumber);
    command->add_option("--temperature", temperature, "sampling temperature")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    command->add_option("--seed", sample_seed,
                        "seed of the samples' draws: the same seed, the same samples and metrics")
        ->capture_default_str();
  };
  const std::string mirror_help =
      "draw half the samples given each input mirrored left to right, and mirror them back (the same cost)";
  auto* eval = app.add_subcommand("eval",
                                  "score a run (of cglow train or cglow baseline) on its task's evaluation split; "
                                  "prints and saves the metrics as JSON");
  add_run_options(eval, "the run folder that cglow train or cglow baseline wrote",
                  "samples averaged per prediction (M); not for a baseline, which draws none");
  eval->add_flag("--mirror", mirrored,
                 mirror_help + "; a baseline predicts from the mean of its outputs for the input and its mirror "
                               "image (twice the cost)");
  eval->add_option("--superpixels", superpixels,
                   "lfw: super-pixel maps of the evaluation images (for super-pixel accuracy)");
  // Scoring one run several ways (temperatures, sample counts) keeps each score in its own file.
  eval->add_option("--out", out_dir,
                   "the JSON file (default: RUN/metrics.json; for a baseline run RUN/eval.json, beside the "
                   "metrics.json of its training)");
  auto* predict = app.add_subcommand("predict", "write one predicted image per evaluation input, metrics and a grid");
  add_run_options(predict, "the run folder that cglow train wrote", "samples averaged per prediction (M)");
  predict->add_option("--superpixels", superpixels, "lfw: super-pixel maps of the evaluation images");
  predict->add_flag("--mirror", mirrored, mirror_help);
  predict->add_option("--out", out_dir, "output folder (default: RUN/predictions)");
  auto* sample = app.add_subcommand("sample", "draw samples for evaluation inputs as a PNG grid");
  add_run_options(sample, "the run folder that cglow train wrote", "samples per input");
  sample->add_option("--count", count, "how many inputs")->capture_default_str()->check(CLI::PositiveNumber);
  sample->add_option("--out", out_dir, "the PNG file (default: RUN/samples.png)");

  CLI11_PARSE(app, argc, argv);
  auto print_metrics = [](const std::map<std::string, double>& metrics) {
    for (const auto& [name, value] : metrics) std::printf("%-26s %.4f\n", name.c_str(), value);
  };
  try {
    cglow::configure_runtime(threads);
    // eval, predict and sample draw their samples from the default generator.
    if (*eval || *predict || *sample) torch::manual_seed(sample_seed);
    if (*train) {
      const auto config = resolve(preset, config_files, o, resume);
      stop_on_signals();
      // In a distributed run, rank 0 speaks for all.
      const auto where = cglow::launch_environment();
      std::ostringstream quiet;
      std::ostream& out = !where || where->rank == 0 ? std::cout : quiet;
      out << "cglow train: task " << config.task << ", " << config.training.iterations << " iterations into "
                << config.out << " (Ctrl-C or SIGTERM stops it with a checkpoint)\n";
      const auto result = cglow::train_run(config, resume, &stop_requested, out);
      out << (result.stopped ? "stopped" : "finished") << " at iteration " << result.iteration << "; checkpoint "
          << config.out << "/checkpoint.pt";
      if (result.saved != result.iteration)
        out << " keeps iteration " << result.saved << ": some of the last " << cglow::DivergenceGuard::kSteady
            << " losses were more than the divergence margin above the lowest level reached; --resume repeats the "
            << "iterations since";
      out << "\n";
    } else if (*baseline) {
      auto config = resolve(preset, config_files, o);
      if (!o.out) config.out += "-baseline";  // beside the c-Glow run of the same preset, not over it
      stop_on_signals();
      std::cout << "cglow baseline: task " << config.task << ", U-Net of width " << config.baseline_width
                << " and depth " << config.baseline_depth << ", " << config.training.iterations << " iterations";
      if (config.minutes > 0) std::cout << " or " << config.minutes << " minutes";  // 104, not 104.000000
      std::cout << " into " << config.out << "\n";
      const auto result = cglow::baseline_run(config, &stop_requested, std::cout);
      std::cout << result.iteration << " iterations in " << static_cast<int>(result.seconds) << " s; on "
                << "the evaluation split:\n";
      print_metrics(result.metrics);
    } else if (*eval && cglow::is_baseline_run(run_dir)) {
      for (const auto* option : {"--samples", "--temperature", "--seed"})
        if (eval->count(option) > 0)
          throw std::invalid_argument(std::string(option) + " is for c-Glow runs: the baseline in " + run_dir +
                                      " draws no samples");
      const std::string out = !out_dir.empty() ? out_dir : run_dir + "/eval.json";
      const auto metrics = cglow::evaluate_baseline_run(run_dir, superpixels, mirrored).metrics;
      cglow::write_text(out, nlohmann::json(metrics).dump(2) + "\n");
      std::cout << "the baseline in " << run_dir << (mirrored ? ", averaged with its mirror image" : "") << "\n";
      print_metrics(metrics);
      std::cout << "wrote " << out << "\n";
    } else if (*eval || *predict) {
      auto run = cglow::load_run(run_dir, superpixels);
      const std::string out = !out_dir.empty() ? out_dir : run_dir + (*eval ? "/metrics.json" : "/predictions");
      std::map<std::string, double> metrics;
      if (*eval) {
        metrics = cglow::evaluate(run.model, *run.task, samples, temperature, mirrored).metrics;
        cglow::write_text(out, nlohmann::json(metrics).dump(2) + "\n");
      } else {
        metrics = cglow::write_predictions(run, out, samples, temperature, mirrored);
      }
      std::cout << "task " << run.task->name() << ", " << run.task->size(cglow::DataSplit::test)
                << " evaluation examples, mean of " << samples << " samples at temperature " << temperature
                << (mirrored ? ", half of them given the inputs mirrored" : "") << "\n";
      print_metrics(metrics);
      std::cout << "wrote " << out << "\n";
    } else if (*sample) {
      auto run = cglow::load_run(run_dir);
      const std::string path = out_dir.empty() ? run_dir + "/samples.png" : out_dir;
      cglow::write_samples(run.model, *run.task, path, count, samples, temperature);
      std::cout << "wrote " << path << " (columns: input, truth, " << samples << " samples, mean, uncertainty)\n";
    }
  } catch (const std::exception& e) {
    std::string what = e.what();
    std::cerr << "cglow: error: " << what.substr(0, what.find('\n')) << "\n";
    return 1;
  }
  return 0;
}
