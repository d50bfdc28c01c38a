// Whether the spread of a model's samples matches the error of its prediction, for real-valued outputs:
// the check that the uncertainty a c-Glow reports (the samples' standard deviation) means what it says.
//
// If the truth and the m samples are independent draws from one distribution of variance v, the mean of
// the samples misses the truth by a squared error of expectation v (1 + 1/m), and the samples' unbiased
// variance estimates v. The ratio of the two, summed over every value added, is therefore 1 for a
// calibrated model, above 1 for an over-confident one (its samples agree more closely than they are
// right) and below 1 for an under-confident one.
#pragma once

#include <torch/torch.h>

namespace cglow {

class Calibration {
 public:
  // Samples [B, m, ...] with m >= 2 and the truth [B, ...] they are samples of.
  void add(const torch::Tensor& samples, const torch::Tensor& truth);

  // Squared error of the samples' means over the error their spread predicts, over everything added;
  // infinite when the samples never vary but the truth differs, NaN before anything is added.
  double ratio() const { return squared_error_ / expected_squared_error_; }

 private:
  double squared_error_ = 0;
  double expected_squared_error_ = 0;
};

}  // namespace cglow
