// The progress line of a training run: iteration, smoothed loss, speed, elapsed time and ETA.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace cglow {

class Progress {
 public:
  // A run of `total` iterations that starts (or resumes) at iteration `first`, its loss in `unit`;
  // with a time budget (`budget_seconds` > 0, --minutes) the ETA is whichever ends it first.
  Progress(int64_t total, int64_t first, std::string unit = "bits/dim", double budget_seconds = 0);

  // Records a step's loss (non-finite ones are left out of the average).
  void step(double loss);
  // "\riter I/N  loss L UNIT  R it/s  elapsed M:SS  ETA M:SS   " after `iteration`.
  std::string line(int64_t iteration) const;
  double elapsed_seconds() const;

 private:
  int64_t total_, first_;
  std::string unit_;
  double budget_seconds_;
  double smoothed_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace cglow
