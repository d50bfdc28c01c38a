#include <cmath>

#include <gtest/gtest.h>

#include "cglow/metrics/calibration.h"
#include "cglow/metrics/psnr.h"
#include "cglow/metrics/segmentation.h"

namespace cglow {
namespace {

TEST(Metrics, ConfusionMatrixIoUAndAccuracyByHand) {
  // truth:     1 1 0 0     predicted: 1 0 0 1
  const auto truth = torch::tensor({1, 1, 0, 0}), predicted = torch::tensor({1, 0, 0, 1});
  ConfusionMatrix m(2);
  m.add(predicted, truth);
  EXPECT_DOUBLE_EQ(m.pixel_accuracy(), 0.5);
  const auto iou = m.iou_per_class();
  EXPECT_DOUBLE_EQ(iou[0].item<double>(), 1.0 / 3);  // background: 1 of {1,2,3}
  EXPECT_DOUBLE_EQ(iou[1].item<double>(), 1.0 / 3);  // foreground: 1 of {0,1,3}
  EXPECT_DOUBLE_EQ(m.mean_iou(), 1.0 / 3);
  // Pooled over several adds, not averaged per add.
  m.add(torch::tensor({1, 1}), torch::tensor({1, 1}));
  EXPECT_DOUBLE_EQ(m.iou_per_class()[1].item<double>(), 3.0 / 5);
  EXPECT_THROW(m.add(torch::tensor({2}), torch::tensor({0})), std::invalid_argument);
}

TEST(Metrics, AbsentClassesDoNotCountInTheMean) {
  ConfusionMatrix m(3);
  m.add(torch::tensor({0, 1}), torch::tensor({0, 1}));
  EXPECT_TRUE(std::isnan(m.iou_per_class()[2].item<double>()));
  EXPECT_DOUBLE_EQ(m.mean_iou(), 1.0);
}

TEST(Metrics, ForegroundIoUPerImage) {
  const auto truth = torch::tensor({1, 1, 0, 0, 0, 0, 0, 0}).view({2, 2, 2});
  const auto predicted = torch::tensor({1, 0, 0, 0, 0, 0, 0, 0}).view({2, 2, 2});
  const auto iou = foreground_iou_per_image(predicted, truth);
  EXPECT_DOUBLE_EQ(iou[0].item<double>(), 0.5);
  EXPECT_DOUBLE_EQ(iou[1].item<double>(), 1.0);  // both empty
}

TEST(Metrics, SuperpixelAccuracyUsesMajorityLabels) {
  // Two super-pixels (ids 7 and 9) of three pixels each.
  const auto ids = torch::tensor({7, 7, 7, 9, 9, 9});
  const auto truth = torch::tensor({2, 2, 2, 0, 0, 0});
  const auto predicted = torch::tensor({2, 2, 1, 1, 1, 0});  // majorities 2 (right) and 1 (wrong)
  EXPECT_DOUBLE_EQ(superpixel_accuracy(predicted, truth, ids, 3), 0.5);
  EXPECT_DOUBLE_EQ(superpixel_accuracy(truth, truth, ids, 3), 1.0);
  EXPECT_THROW(superpixel_accuracy(predicted, truth + 1, ids, 3), std::invalid_argument);
}

TEST(Metrics, PsnrOfKnownError) {
  const auto truth = torch::zeros({2, 1, 4, 4});
  auto estimate = truth.clone();
  estimate[0].fill_(0.1);  // MSE 0.01 -> 20 dB
  const auto p = psnr_per_image(estimate, truth);
  EXPECT_NEAR(p[0].item<double>(), 20.0, 1e-5);  // 0.1 in float32
  EXPECT_TRUE(std::isinf(p[1].item<double>()));
  EXPECT_NEAR(psnr_per_image(estimate * 255, truth, 255.0)[0].item<double>(), 20.0, 1e-5);
}

TEST(Metrics, CalibrationByHand) {
  // One value, samples {0, 2}: mean 1, unbiased variance 2, expected squared error 2 (1 + 1/2) = 3.
  Calibration c;
  c.add(torch::tensor({0.0, 2.0}).view({1, 2, 1}), torch::tensor({4.0}).view({1, 1}));
  EXPECT_DOUBLE_EQ(c.ratio(), 9.0 / 3.0);
  // Sums over everything added, not a mean of ratios: + squared error 0, expected 3.
  c.add(torch::tensor({0.0, 2.0}).view({1, 2, 1}), torch::tensor({1.0}).view({1, 1}));
  EXPECT_DOUBLE_EQ(c.ratio(), 9.0 / 6.0);
  EXPECT_THROW(c.add(torch::zeros({1, 1, 3}), torch::zeros({1, 3})), std::invalid_argument);  // one sample
  EXPECT_THROW(c.add(torch::zeros({1, 2, 3}), torch::zeros({1, 4})), std::invalid_argument);
}

TEST(Metrics, CalibrationIsOneWhenTruthAndSamplesShareADistribution) {
  torch::manual_seed(0);
  // Per-value means and spreads that differ, few samples each: the (1 + 1/m) matters at m = 3.
  const auto mean = torch::randn({4000, 1}), spread = torch::rand({4000, 1}) + 0.5;
  auto draw = [&](int64_t m) { return mean.unsqueeze(1) + spread.unsqueeze(1) * torch::randn({4000, m, 1}); };
  Calibration calibrated, over_confident;
  calibrated.add(draw(3), draw(1).squeeze(1));
  EXPECT_NEAR(calibrated.ratio(), 1.0, 0.05);
  // Samples half as spread as the truth (variance v / 4): an error of v (1 + 1/12) where they predict
  // v / 4 (1 + 1/3), 3.25 times as much.
  over_confident.add(mean.unsqueeze(1) + 0.5 * (draw(3) - mean.unsqueeze(1)), draw(1).squeeze(1));
  EXPECT_NEAR(over_confident.ratio(), 3.25, 0.15);
}

}  // namespace
}  // namespace cglow
