// p(y|x) is a normalised density: its integral over y is 1 for every x. Checked by importance sampling
// on a tiny output (one channel, 2x2, one level) with a proposal that knows nothing of the flow's
// log-determinants: a Gaussian fitted to the model's samples (mean and full covariance) and widened.
#include <cmath>

#include <gtest/gtest.h>

#include "cglow/flow/cglow.h"
#include "cglow/inference.h"
#include "testing.h"

namespace cglow {
namespace {

TEST(Density, IntegratesToOneForEveryX) {
  torch::manual_seed(11);
  auto config = testing::small_config({1, 2, 2}, {1, 2, 2}, /*levels=*/1, /*steps=*/2);
  CGlow model(config);
  // Far from the identity, so that the log-determinants matter.
  testing::perturb(*model, 0.3);
  model->to(torch::kFloat64);
  torch::NoGradGuard no_grad;

  constexpr int64_t kProposalFit = 20000, kDraws = 500000, kChunk = 50000;
  constexpr double kWiden = 1.3;  // heavier tails than p keep the importance weights bounded
  const auto xs = torch::rand({3, 1, 2, 2}, torch::kFloat64);
  for (int64_t i = 0; i < xs.size(0); ++i) {
    const auto x = xs.narrow(0, i, 1);
    const auto fit = sample(model, x, kProposalFit).flatten(2)[0];  // [m, 4]
    const auto mean = fit.mean(0);
    const auto centred = fit - mean;
    const auto cov = torch::matmul(centred.t(), centred) / (kProposalFit - 1) * (kWiden * kWiden);
    const auto chol = torch::linalg_cholesky(cov);
    const double log_det_chol = chol.diagonal().log().sum().item<double>();
    // Estimate E_q[p(y|x) / q(y)] = integral of p(y|x) dy.
    auto weights = torch::empty({kDraws}, torch::kFloat64);
    for (int64_t start = 0; start < kDraws; start += kChunk) {
      const auto eps = torch::randn({kChunk, 4}, torch::kFloat64);
      const auto y = mean + torch::matmul(eps, chol.t());
      const auto log_q = standard_normal_log_prob(eps) - log_det_chol;
      const auto c = repeat_each(model->condition(x), kChunk);
      const auto log_p = model->log_prob(y.view({kChunk, 1, 2, 2}), c);
      weights.narrow(0, start, kChunk).copy_((log_p - log_q).exp());
    }
    const double integral = weights.mean().item<double>();
    const double standard_error = weights.std().item<double>() / std::sqrt(static_cast<double>(kDraws));
    std::cout << "x #" << i << ": integral of p(y|x) dy = " << integral << " +- " << standard_error << "\n";
    EXPECT_NEAR(integral, 1.0, 0.02) << "x #" << i << ": standard error " << standard_error;
    EXPECT_LT(standard_error, 0.01) << "the proposal is too poor for the check to mean anything";
  }
}

}  // namespace
}  // namespace cglow
