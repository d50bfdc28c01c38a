// Sampling and prediction with a trained c-Glow (section 4.3).
#pragma once

#include <torch/torch.h>

#include "cglow/flow/cglow.h"

namespace cglow {

// m samples y = g(z; x) per input (equation 2), z ~ N(0, temperature^2 I): [B, m, C, H, W]. The
// conditioning networks run once per input; the B*m samples run as one batch.
torch::Tensor sample(CGlow& model, const torch::Tensor& x, int64_t m, double temperature = 1.0);

struct Prediction {
  torch::Tensor mean;     // equation 4: the average of the samples, [B, C, H, W]
  torch::Tensor stddev;   // per-pixel standard deviation over the samples: the model's uncertainty
  torch::Tensor samples;  // [B, m, C, H, W]
};

// The sample-based prediction of equation 4, with M = 10 samples in the paper.
Prediction predict(CGlow& model, const torch::Tensor& x, int64_t m = 10, double temperature = 1.0);

// Equation 4 over both left-right orientations of x, at the same cost: the first ceil(m/2) samples are
// drawn given x, the others given x mirrored and mirrored back. Every task here is unchanged by a
// mirror (masks, parts, noise, a centred hole), so both halves sample p(y|x); averaging them removes
// what the model learnt of one orientation only. m >= 2.
Prediction predict_mirrored(CGlow& model, const torch::Tensor& x, int64_t m = 10, double temperature = 1.0);

// The paper's alternative to equation 4: gradient ascent on log p(y|x) over y (equation 3), from `init`
// (for instance the sample mean), with Adam for `steps` steps at learning rate `lr`. Leaves the model's
// parameters and their gradients untouched.
torch::Tensor map_estimate(CGlow& model, const torch::Tensor& x, const torch::Tensor& init, int64_t steps = 200,
                           double lr = 1e-2);

}  // namespace cglow
