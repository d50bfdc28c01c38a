#include "cglow/run/progress.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace cglow {
namespace {

std::string clock_text(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%d:%02d", static_cast<int>(seconds) / 60, static_cast<int>(seconds) % 60);
  return text;
}

// Weight of the newest loss in the running average shown.
constexpr double kSmoothing = 0.05;

}  // namespace

Progress::Progress(int64_t total, int64_t first, std::string unit, double budget_seconds)
    : total_(total), first_(first), unit_(std::move(unit)), budget_seconds_(budget_seconds) {}

void Progress::step(double loss) {
  if (!std::isfinite(loss)) return;
  smoothed_ = smoothed_ == 0 ? loss : (1 - kSmoothing) * smoothed_ + kSmoothing * loss;
}

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string Progress::line(int64_t iteration) const {
  const double elapsed = elapsed_seconds();
  const double rate = std::max((iteration - first_) / std::max(elapsed, 1e-9), 1e-9);
  double eta = (total_ - iteration) / rate;
  if (budget_seconds_ > 0) eta = std::min(eta, std::max(budget_seconds_ - elapsed, 0.0));
  char text[160];
  std::snprintf(text, sizeof text, "\riter %lld/%lld  loss %.3f %s  %.2f it/s  elapsed %s  ETA %s   ",
                static_cast<long long>(iteration), static_cast<long long>(total_), smoothed_, unit_.c_str(), rate,
                clock_text(elapsed).c_str(), clock_text(eta).c_str());
  return text;
}

}  // namespace cglow
