// A training run with its outputs, as `cglow train` performs it.
#pragma once

#include <atomic>
#include <ostream>

#include "cglow/run/run_config.h"

namespace cglow {

struct RunResult {
  int64_t iteration = 0;  // where the run ended
  bool stopped = false;   // by the stop flag (Ctrl-C, SIGTERM) or the time budget, before the last iteration
  int64_t saved = 0;      // the iteration of checkpoint.pt: an earlier one when the last losses leapt
};

// Trains the configured task into config.out: config.json (the resolved configuration), log.jsonl (one
// JSON object per logged step; its `seconds` go on across resumes), machines.jsonl (machine_description
// of each start and resume), checkpoint.pt (every checkpoint_every iterations, at the end and when
// stopped, each time only while the loss is steady; written atomically), samples_ITERATION.png and
// loss.png (every picture_every iterations and at the end). It stops early, saving a checkpoint, when
// *stop becomes true or after config.minutes (of this start). With `resume`, continues from
// config.out/checkpoint.pt exactly; without, refuses to start over an existing checkpoint. Progress
// (iteration, bits/dim, speed, ETA) goes to `progress`. A run of non-finite losses throws TrainingError
// and leaves the last checkpoint.
// Started by a launcher (WORLD_SIZE > 1 in the environment, see launch_environment), this process joins
// a data-parallel run: batch_size examples per process, and only rank 0 writes anything; a peer that
// dies or hangs makes it throw DistributedError within config.timeout seconds.
RunResult train_run(RunConfig config, bool resume, const std::atomic<bool>* stop, std::ostream& progress);

}  // namespace cglow
