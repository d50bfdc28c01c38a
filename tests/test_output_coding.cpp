#include <cmath>

#include <gtest/gtest.h>

#include "cglow/output_coding.h"

namespace cglow {
namespace {

TEST(OutputCoding, BinaryMasksAreTiledCentredAndDecodedBack) {
  const auto coding = OutputCoding::binary(3);
  const auto mask = torch::randint(0, 2, {2, 5, 7}, torch::kLong);
  const auto y = coding.encode(mask);
  EXPECT_EQ(y.sizes(), torch::IntArrayRef({2, 3, 5, 7}));
  EXPECT_TRUE(torch::equal(y[0][0], y[0][2]));
  EXPECT_EQ(y.min().item<double>(), -0.5);
  EXPECT_EQ(y.max().item<double>(), 0.5);
  const auto noisy = coding.dequantize(y);
  EXPECT_LE((noisy - y).abs().max().item<double>(), 0.5);
  EXPECT_GT((noisy - y).abs().max().item<double>(), 0.1) << "noise must be added";
  // Each tile gets its own noise, as in the authors' code.
  EXPECT_FALSE(torch::equal(noisy[0][0], noisy[0][1]));
  EXPECT_TRUE(torch::equal(coding.decode(noisy), mask));
  EXPECT_EQ(coding.log_bin_width(), 0.0);
}

TEST(OutputCoding, MultiClassLabelsAreOneChannelPerClassDecodedByArgMax) {
  const auto coding = OutputCoding::multiclass(3);
  const auto labels = torch::randint(0, 3, {2, 4, 4}, torch::kLong);
  const auto y = coding.encode(labels);
  EXPECT_EQ(y.sizes(), torch::IntArrayRef({2, 3, 4, 4}));
  EXPECT_TRUE(torch::allclose((y + 0.5).sum(1), torch::ones({2, 4, 4})));
  EXPECT_TRUE(torch::equal(coding.decode(y), labels));
}

TEST(OutputCoding, LabelsOutsideTheRangeAreClearErrors) {
  const auto bad = torch::full({1, 2, 2}, 3, torch::kLong);
  try {
    OutputCoding::multiclass(3).encode(bad);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("label value 3"), std::string::npos) << e.what();
  }
  EXPECT_THROW(OutputCoding::binary().encode(torch::full({1, 2, 2}, -1, torch::kLong)), std::invalid_argument);
  EXPECT_THROW(OutputCoding::multiclass(1), std::invalid_argument);
}

TEST(OutputCoding, QuantisedContinuousValuesStayInTheirBin) {
  const auto coding = OutputCoding::continuous(1, 1.0 / 255);
  const auto y = torch::randint(0, 256, {2, 1, 4, 4}).to(torch::kFloat32) / 255;
  const auto noisy = coding.dequantize(coding.encode(y));
  EXPECT_LE((noisy - y).abs().max().item<double>(), 0.5 / 255 + 1e-7);
  EXPECT_TRUE(torch::equal(OutputCoding::continuous(1).dequantize(y), y)) << "no bins, no noise";
  const auto centred = OutputCoding::continuous(1, 1.0 / 255, 0.5);
  EXPECT_TRUE(torch::allclose(centred.encode(y), y - 0.5));
  EXPECT_TRUE(torch::allclose(centred.decode(centred.encode(y)), y));
}

TEST(OutputCoding, BitsPerDimensionIncludeTheBinWidth) {
  const auto log_prob = torch::tensor({-100.0});
  // 8-bit values: -log q = -log p - d log(1/255) nats over d dims, in bits.
  const double expected = (100.0 + 50 * std::log(255.0)) / (50 * std::log(2.0));
  EXPECT_NEAR(bits_per_dim(log_prob, 50, OutputCoding::continuous(1, 1.0 / 255)).item<double>(), expected, 1e-5);
  EXPECT_NEAR(bits_per_dim(log_prob, 50, OutputCoding::binary()).item<double>(), 100.0 / (50 * std::log(2.0)), 1e-5);
}

}  // namespace
}  // namespace cglow
