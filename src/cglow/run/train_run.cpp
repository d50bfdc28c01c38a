#include "cglow/run/train_run.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "cglow/checkpoint.h"
#include "cglow/cond/prediction_head.h"
#include "cglow/data/image_io.h"
#include "cglow/data/plot.h"
#include "cglow/run/encoder_from_baseline.h"
#include "cglow/run/evaluate_run.h"
#include "cglow/run/progress.h"
#include "cglow/runtime.h"
#include "cglow/tasks/registry.h"
#include "cglow/train/data_parallel.h"

namespace cglow {
namespace {

namespace fs = std::filesystem;

torch::Device run_device(const RunConfig& config, const std::optional<LaunchEnvironment>& where) {
  if (config.device != "cpu" && config.device != "cuda")
    throw std::invalid_argument("unknown device '" + config.device + "' (devices: cpu, cuda)");
  if (config.device == "cpu") return torch::kCPU;
  if (!torch::cuda::is_available())
    throw std::invalid_argument("device cuda asked for, but no CUDA device is available");
  return {torch::kCUDA, static_cast<c10::DeviceIndex>(where ? where->local_rank : 0)};
}

// The log of a resumed run continues from its checkpoint's iteration: lines past it (written after the
// last checkpoint by a run that was then killed) are dropped, or the steps repeated now would appear twice.
// `seconds_before` becomes the training time the kept lines reach, so that a resumed run's `seconds`
// go on from there and the log reads as one run's time, not a restart from 0 at each resume.
std::ofstream open_log(const std::string& path, std::optional<int64_t> resumed_at, double& seconds_before) {
  std::string kept;
  seconds_before = 0;
  if (resumed_at) {
    std::ifstream old(path);
    for (std::string line; std::getline(old, line);) {
      // A line that is not a JSON object (a half-written last one) is dropped.
      const auto entry = nlohmann::json::parse(line, nullptr, false);
      if (entry.is_object() && entry.value("iteration", int64_t{-1}) <= *resumed_at) {
        kept += line + "\n";
        seconds_before = entry.value("seconds", seconds_before);
      }
    }
  }
  std::ofstream log(path, std::ios::trunc);
  if (!(log << kept)) throw DataError("cannot write " + path);
  return log;
}

}  // namespace

RunResult train_run(RunConfig config, bool resume, const std::atomic<bool>* stop, std::ostream& progress) {
  const auto where = launch_environment();
  const auto device = run_device(config, where);
  if (config.timeout < 1)
    throw std::invalid_argument("timeout must be at least 1 second, got " + std::to_string(config.timeout));
  const std::string checkpoint = config.out + "/checkpoint.pt";
  if (resume && !fs::exists(checkpoint)) throw CheckpointError("nothing to resume: " + checkpoint + " does not exist");
  if (!resume && fs::exists(checkpoint))
    throw CheckpointError(checkpoint + " exists: resume it with --resume, or choose another --out");
  const auto task = make_task(config);  // bad data fails here, before anything is written
  config.model.x = task->x_shape();
  config.model.y = task->y_shape();
  if (config.model.shift_by_prediction) config.model.prediction_link = prediction_link_for(task->coding());
  torch::manual_seed(config.training.seed);  // the initial weights follow from the run's seed too
  CGlow model(config.model);
  // A baseline that does not fit fails here, before anything is written too. A resumed run's encoder comes
  // from its checkpoint: the baseline's weights were only its start, and the start config.json records
  // stays the one the run had, whatever this call names.
  if (!resume && !config.encoder_from.empty())
    start_encoder_from_baseline(model, config, config.encoder_from, task->coding());
  if (resume && fs::exists(config.out + "/config.json")) config.encoder_from = read_run_config(config.out).encoder_from;
  if (config.freeze_encoder) freeze_encoder(model);
  model->to(device);
  std::unique_ptr<DataParallel> parallel;
  if (where && where->world_size > 1)
    parallel = std::make_unique<DataParallel>(*where, device, std::chrono::seconds(config.timeout));
  // Only rank 0 writes: the configuration, the log, checkpoints, pictures, progress.
  const bool writer = !parallel || parallel->rank() == 0;
  std::ostringstream elsewhere;
  std::ostream& shown = writer ? progress : elsewhere;
  if (writer) create_output_folder(config.out);

  Trainer trainer(model, task->coding(), batch_sampler(task), config.training, parallel.get());
  // Every process resumes from the checkpoint itself (a shared folder across machines), before
  // config.json is rewritten: a mismatch changes nothing.
  if (resume) trainer.resume(checkpoint);
  std::ofstream log;
  double seconds_before = 0;  // the training time of the run's earlier starts, as its log has it
  if (writer) {
    write_text(config.out + "/config.json", nlohmann::json(config).dump(2) + "\n");
    log = open_log(config.out + "/log.jsonl", resume ? std::optional<int64_t>(trainer.iteration()) : std::nullopt,
                   seconds_before);
    // A line per start or resume: a run resumed elsewhere says where each part of it ran.
    auto machine = machine_description(device.str(), parallel ? parallel->world_size() : 1);
    machine["iteration"] = trainer.iteration();
    append_line(config.out + "/machines.jsonl", machine.dump());
  }
  if (parallel)
    shown << "process " << parallel->rank() << " of " << parallel->world_size() << " (c10d "
          << (device.is_cuda() ? "NCCL" : "Gloo") << "): batch " << config.training.batch_size << " per process, "
          << config.training.batch_size * parallel->world_size() << " in all\n";

  Progress bar(config.training.iterations, trainer.iteration(), "bits/dim", 60 * config.minutes);
  std::vector<double> curve_x, curve_y;  // every step's loss in this session, for loss.png
  // Samples of the current model for the first evaluation inputs, and the loss curve so far.
  auto pictures = [&](int64_t iteration) {
    char name[48];
    std::snprintf(name, sizeof name, "/samples_%07lld.png", static_cast<long long>(iteration));
    write_samples(trainer.model(), *task, config.out + name, 6, 3, 1.0);
    write_line_plot(config.out + "/loss.png", curve_x, curve_y, "training loss (bits/dim) by iteration");
  };
  // The trainer stops on Ctrl-C or SIGTERM (`stop`) or when the time budget is spent, checked after
  // every step.
  std::atomic<bool> halt{false};
  auto keep_watch = [&] {
    if ((stop && stop->load()) || budget_spent(config, bar.elapsed_seconds())) halt = true;
  };
  bool checkpoint_due = false;
  // The iteration of the checkpoint on disk, if there is one (a checkpoint of iteration 0 counts).
  std::optional<int64_t> saved;
  if (resume) saved = trainer.iteration();
  try {
    trainer.run(
        [&](const StepReport& r) {
          keep_watch();
          // A checkpoint waits for steady steps: weights from just after a leap of the loss are not saved
          // over good ones. A leap that lasts stops the run (TrainingError) with the last good checkpoint.
          // Every process keeps this account (their losses are the same), so that each one's error names
          // the checkpoint rank 0 kept.
          if (config.checkpoint_every > 0 && r.iteration % config.checkpoint_every == 0) checkpoint_due = true;
          const bool save_now = checkpoint_due && trainer.steady();
          if (save_now) checkpoint_due = false, saved = r.iteration;
          if (!writer) return;
          bar.step(r.bits_per_dim);
          if (r.skipped) shown << "\n" << skipped_notice(r.iteration) << "\n";
          if (!r.skipped) curve_x.push_back(static_cast<double>(r.iteration)), curve_y.push_back(r.bits_per_dim);
          if (r.iteration % config.log_every == 0 || r.iteration == config.training.iterations || r.skipped) {
            // Flushed line by line: `tail -f` follows it, and a killed run's log reaches its checkpoint.
            log << nlohmann::json{{"iteration", r.iteration},
                                  {"bits_per_dim", r.skipped ? nlohmann::json() : nlohmann::json(r.bits_per_dim)},
                                  {"lr", r.lr}, {"skipped", r.skipped},
                                  {"seconds", seconds_before + bar.elapsed_seconds()}}
                       .dump()
                << "\n" << std::flush;
            shown << bar.line(r.iteration) << std::flush;
          }
          if (save_now) trainer.save(checkpoint);
          if (config.picture_every > 0 && r.iteration % config.picture_every == 0) pictures(r.iteration);
        },
        &halt);
  } catch (const TrainingError& e) {
    shown << "\n" << std::flush;  // the error goes to stderr: end the progress line first
    throw TrainingError(std::string(e.what()) + "; " +
                        (saved ? checkpoint + " (iteration " + std::to_string(*saved) + ") is kept"
                               : "nothing was saved"));
  }
  // The last save is judged as the others: weights from just after a leap of the loss do not replace a
  // good checkpoint (a resumed run then repeats the steps since).
  const bool save_last = trainer.steady() || !saved;
  if (save_last) saved = trainer.iteration();
  if (writer) {
    if (save_last) trainer.save(checkpoint);
    pictures(trainer.iteration());
  }
  shown << "\n";
  return {trainer.iteration(), trainer.iteration() < config.training.iterations, *saved};
}

}  // namespace cglow
