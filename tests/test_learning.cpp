// A learning test, not a timing: a small c-Glow trained for a few hundred iterations on a toy
// conditional task (segment a bright rectangle out of a noisy image) must lower its NLL by a stated
// margin and predict masks, by the mean of 10 samples, within a stated error, while its samples and
// inverses stay finite all along.
#include <gtest/gtest.h>

#include "cglow/flow/cglow.h"
#include "cglow/inference.h"
#include "cglow/output_coding.h"
#include "testing.h"

namespace cglow {
namespace {

constexpr int64_t kSide = 8;

struct Batch {
  torch::Tensor x;     // noisy image [B, 1, 8, 8]
  torch::Tensor mask;  // [B, 8, 8] in {0, 1}
};

// Rectangles of random position and size; x is the mask seen through contrast loss and noise.
Batch make_batch(int64_t n) {
  auto mask = torch::zeros({n, kSide, kSide}, torch::kLong);
  const auto corners = torch::randint(0, kSide - 2, {n, 2});
  const auto sizes = torch::randint(2, 5, {n, 2});
  for (int64_t i = 0; i < n; ++i) {
    const int64_t r = corners[i][0].item<int64_t>(), c = corners[i][1].item<int64_t>();
    const int64_t h = std::min(sizes[i][0].item<int64_t>(), kSide - r),
                  w = std::min(sizes[i][1].item<int64_t>(), kSide - c);
    mask[i].narrow(0, r, h).narrow(1, c, w).fill_(1);
  }
  auto x = (mask.to(torch::kFloat32) * 0.6 + 0.2 + torch::randn({n, kSide, kSide}) * 0.1).unsqueeze(1);
  return {x, mask};
}

TEST(Learning, ToySegmentationLowersNllAndPredictsMasks) {
  torch::manual_seed(5);
  auto config = testing::small_config({1, kSide, kSide}, {2, kSide, kSide}, /*levels=*/2, /*steps=*/2);
  config.cond_channels = 8;
  config.cond_width = 32;
  config.coupling_width = 32;
  CGlow model(config);
  const auto coding = OutputCoding::binary(/*tiles=*/2);
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(2e-3));

  const auto test = make_batch(64);
  const auto test_y = coding.encode(test.mask);
  auto test_bpd = [&] {
    torch::NoGradGuard no_grad;
    torch::manual_seed(99);  // the same dequantisation noise every time
    return bits_per_dim(model->log_prob(coding.dequantize(test_y), test.x), config.y.numel(), coding)
        .mean()
        .item<double>();
  };
  const double before = test_bpd();

  constexpr int kIterations = 300;
  for (int it = 1; it <= kIterations; ++it) {
    const auto batch = make_batch(16);
    const auto y = coding.dequantize(coding.encode(batch.mask));
    const auto loss = bits_per_dim(model->log_prob(y, batch.x), config.y.numel(), coding).mean();
    ASSERT_TRUE(std::isfinite(loss.item<double>())) << "iteration " << it;
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    if (it % 100 == 0) {
      // Samples and inverses stay finite and exact over training.
      torch::NoGradGuard no_grad;
      const auto samples = sample(model, test.x.narrow(0, 0, 4), 5);
      ASSERT_TRUE(torch::isfinite(samples).all().item<bool>()) << "iteration " << it;
      const auto c = model->condition(test.x.narrow(0, 0, 4));
      const auto y4 = test_y.narrow(0, 0, 4);
      EXPECT_LT(testing::relative_error(model->inverse(model->forward(y4, c).z, c), y4), 1e-5) << "iteration " << it;
    }
  }
  const double after = test_bpd();
  // Dequantised binary masks start near 1.4 bits/dim under the initial standard normal.
  EXPECT_LT(after, before - 0.5) << "bits/dim " << before << " -> " << after;

  const auto predicted = coding.decode(predict(model, test.x, 10).mean);
  const double error = predicted.ne(test.mask).to(torch::kFloat32).mean().item<double>();
  const double foreground = test.mask.to(torch::kFloat32).mean().item<double>();
  std::cout << "test bits/dim " << before << " -> " << after << ", pixel error " << error
            << " (all-background: " << foreground << ")\n";
  EXPECT_LT(error, 0.05) << "pixel error of the mean of 10 samples (all-background would be " << foreground << ")";
}

}  // namespace
}  // namespace cglow
