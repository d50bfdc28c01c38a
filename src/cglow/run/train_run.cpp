#include "cglow/run/train_run.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cglow/checkpoint.h"
#include "cglow/data/image_io.h"
#include "cglow/data/plot.h"
#include "cglow/run/evaluate_run.h"
#include "cglow/run/progress.h"
#include "cglow/tasks/registry.h"

namespace cglow {
namespace {

namespace fs = std::filesystem;

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) throw DataError("cannot write " + path);
}

}  // namespace

RunResult train_run(RunConfig config, bool resume, const std::atomic<bool>* stop, std::ostream& progress) {
  const std::string checkpoint = config.out + "/checkpoint.pt";
  if (resume && !fs::exists(checkpoint)) throw CheckpointError("nothing to resume: " + checkpoint + " does not exist");
  if (!resume && fs::exists(checkpoint))
    throw CheckpointError(checkpoint + " exists: resume it with --resume, or choose another --out");
  const auto task = make_task(config);  // bad data fails here, before anything is written
  std::error_code error;
  fs::create_directories(config.out, error);
  if (error) throw DataError("cannot create output folder " + config.out + ": " + error.message());

  config.model.x = task->x_shape();
  config.model.y = task->y_shape();
  Trainer trainer(CGlow(config.model), task->coding(), batch_sampler(task), config.training);
  if (resume) trainer.resume(checkpoint);  // before config.json is rewritten: a mismatch changes nothing
  write_text(config.out + "/config.json", nlohmann::json(config).dump(2) + "\n");
  std::ofstream log(config.out + "/log.jsonl", resume ? std::ios::app : std::ios::trunc);
  if (!log) throw DataError("cannot write " + config.out + "/log.jsonl");

  Progress bar(config.training.iterations, trainer.iteration());
  std::vector<double> curve_x, curve_y;  // every step's loss in this session, for loss.png
  // Samples of the current model for the first evaluation inputs, and the loss curve so far.
  auto pictures = [&](int64_t iteration) {
    char name[48];
    std::snprintf(name, sizeof name, "/samples_%07lld.png", static_cast<long long>(iteration));
    write_samples(trainer.model(), *task, config.out + name, 6, 3, 1.0);
    write_line_plot(config.out + "/loss.png", curve_x, curve_y, "training loss (bits/dim) by iteration");
  };
  trainer.run(
      [&](const StepReport& r) {
        bar.step(r.bits_per_dim);
        if (r.skipped) progress << "\nskipped iteration " << r.iteration << ": the loss or a gradient was not finite\n";
        if (!r.skipped) curve_x.push_back(static_cast<double>(r.iteration)), curve_y.push_back(r.bits_per_dim);
        if (r.iteration % config.log_every == 0 || r.iteration == config.training.iterations || r.skipped) {
          log << nlohmann::json{{"iteration", r.iteration}, {"bits_per_dim", r.skipped ? nlohmann::json() : nlohmann::json(r.bits_per_dim)},
                                {"lr", r.lr}, {"skipped", r.skipped}, {"seconds", bar.elapsed_seconds()}}
                     .dump()
              << "\n";
          progress << bar.line(r.iteration) << std::flush;
        }
        if (config.checkpoint_every > 0 && r.iteration % config.checkpoint_every == 0) trainer.save(checkpoint);
        if (config.picture_every > 0 && r.iteration % config.picture_every == 0) pictures(r.iteration);
      },
      stop);
  log.flush();
  trainer.save(checkpoint);
  pictures(trainer.iteration());
  progress << "\n";
  return {trainer.iteration(), trainer.iteration() < config.training.iterations};
}

}  // namespace cglow
