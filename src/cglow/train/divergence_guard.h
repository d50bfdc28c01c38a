// Tells a run that has diverged from one that is still learning, from its training losses alone.
//
// Adam at a rate too high for a flow can throw the weights where the loss is finite but enormous: a
// denoising run at a constant 3e-4 went from -2.8 to 8e15 bits/dim within 50 steps and trained on,
// and its next checkpoint replaced the good one. Non-finite steps are skipped by whoever trains; this
// watches the finite ones. The reference is the lowest median loss of a block of kBlock steps so far;
// a loss more than `margin` above it, in the loss's units (bits/dim for c-Glow), is a leap. A model
// that is still learning does not get that much worse per dimension on fresh batches for long, so a
// leap that lasts (most of the last kWindow steps) is divergence, and one step's leap is a reason not
// to save those weights yet (a leap among the last kSteady steps). The window that decides is long
// because flows at a high learning rate spike and recover: a denoising c-Glow at 1e-3 went from -2.4
// to -0.6 bits/dim at step 300 and was back at -2.4 by 320; a window of ten steps stopped it there.
#pragma once

#include <cstdint>
#include <deque>
#include <limits>
#include <string>
#include <vector>

namespace cglow {

class DivergenceGuard {
 public:
  static constexpr int64_t kBlock = 50;   // steps per median of the reference
  static constexpr int64_t kWindow = 50;  // the last steps that decide divergence
  static constexpr int64_t kSteady = 10;  // the last steps that decide whether weights are worth saving

  // margin: how far above the reference, in the loss's units, a leap is; 0 turns the guard off.
  explicit DivergenceGuard(double margin) : margin_(margin) {}

  // The loss of the latest step that updated the weights.
  void add(double loss);

  // How many of the last `steps` losses (at most kWindow) leapt.
  int64_t leaps(int64_t steps = kWindow) const;
  // Most of the last kWindow losses leapt: a leap that lasts.
  bool diverged() const { return leaps() > kWindow / 2; }
  // None of the last kSteady losses leapt (or there is no reference yet): weights worth saving.
  bool steady() const { return leaps(kSteady) == 0; }

  // Infinity before the first block is complete. Saved with a run, so that a resumed run that diverges
  // at once is judged against what it had reached, not against its diverged first block.
  double reference() const { return reference_; }
  void set_reference(double reference) { reference_ = reference; }
  double latest() const { return recent_.empty() ? std::numeric_limits<double>::quiet_NaN() : recent_.back(); }

  // One line for the error that stops a diverged run at `iteration`; `unit` names the loss's unit
  // (empty for a loss without one).
  std::string verdict(int64_t iteration, const std::string& unit) const;

 private:
  double margin_;
  double reference_ = std::numeric_limits<double>::infinity();
  std::vector<double> block_;
  std::deque<double> recent_;
};

}  // namespace cglow
