#include <gtest/gtest.h>

#include "cglow/cond/downscale.h"
#include "cglow/config.h"

namespace cglow {
namespace {

std::string validation_error(const GlowConfig& c) {
  try {
    c.validate();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(Config, DefaultsAreThePapersHorseConfiguration) {
  const GlowConfig c;
  EXPECT_EQ(c.levels, 3);
  EXPECT_EQ(c.steps, 8);
  EXPECT_EQ(c.cond_channels, 64);
  EXPECT_EQ(c.cond_width, 128);
  EXPECT_EQ(c.coupling_cond_channels, 16);
  EXPECT_EQ(c.coupling_width, 256);
  EXPECT_EQ(validation_error(c), "");
}

TEST(Config, ShapesThatDoNotFitTheLevelsAreNamed) {
  GlowConfig c;
  c.y = {3, 60, 64};
  EXPECT_NE(validation_error(c).find("3x60x64"), std::string::npos) << validation_error(c);
  c = GlowConfig{};
  c.x = {3, 100, 100};
  EXPECT_NE(validation_error(c).find("3x100x100"), std::string::npos) << validation_error(c);
  c = GlowConfig{};
  c.levels = 0;
  EXPECT_NE(validation_error(c).find("levels"), std::string::npos);
  c = GlowConfig{};
  c.actnorm_per_pixel = true;  // its networks read the encoder's features, and there is no encoder
  EXPECT_NE(validation_error(c).find("actnorm_per_pixel"), std::string::npos);
  c.encoder_width = 8;
  EXPECT_EQ(validation_error(c), "");
  c.encoder_width = 0;
  c.actnorm_per_pixel = false;
  c.x_beside_features = true;  // likewise: nothing to be beside
  EXPECT_NE(validation_error(c).find("x_beside_features"), std::string::npos);
  c.x_beside_features = false;
  c.finer_features = true;
  EXPECT_NE(validation_error(c).find("finer_features"), std::string::npos);
  c.encoder_width = 8;
  EXPECT_EQ(validation_error(c), "");
  c.x = {3, 32, 32};  // x at the first level's resolution: the encoder has no finer stage
  EXPECT_NE(validation_error(c).find("finer_features needs input 3x32x32"), std::string::npos) << validation_error(c);
  c = GlowConfig{};
  c.encoder_extra_depth = 1;  // no encoder to deepen
  EXPECT_NE(validation_error(c).find("encoder_extra_depth needs the shared encoder"), std::string::npos);
  c.encoder_width = 8;
  EXPECT_EQ(validation_error(c), "");
  EXPECT_EQ(c.encoder_depth(), 4);  // 64x64 down to the last level's 8x8 is 3 halvings, and one more
  c.encoder_extra_depth = 3;        // down to 1x1
  EXPECT_EQ(validation_error(c), "");
  c.encoder_extra_depth = 4;  // 64 is not divisible by 2^7
  EXPECT_NE(validation_error(c).find("divisible by 2^7 = 128"), std::string::npos) << validation_error(c);
  c.encoder_extra_depth = -1;
  EXPECT_NE(validation_error(c).find("encoder_extra_depth must be >= 0, got -1"), std::string::npos);
  c = GlowConfig{};
  c.shift_by_prediction = true;  // its prediction head reads the encoder
  EXPECT_NE(validation_error(c).find("shift_by_prediction needs the shared encoder"), std::string::npos);
  c.encoder_width = 8;
  EXPECT_EQ(validation_error(c), "");
  c.prediction_link = "tanh";
  EXPECT_NE(validation_error(c).find("prediction_link must be identity, sigmoid or softmax, got 'tanh'"),
            std::string::npos);
}

TEST(Config, JsonRoundTripAndUnknownKeys) {
  GlowConfig c;
  c.x = {1, 96, 128};
  c.y = {1, 96, 128};
  c.cond_channels = 8;
  c.split_prior_conditioned = true;
  c.encoder_width = 8;
  c.actnorm_per_pixel = true;
  c.x_beside_features = true;
  c.finer_features = true;
  c.encoder_extra_depth = 2;
  c.shift_by_prediction = true;
  c.prediction_link = "softmax";
  const nlohmann::json j = c;
  const auto back = j.get<GlowConfig>();
  EXPECT_EQ(describe_differences(back, c), "");
  EXPECT_EQ(nlohmann::json::parse(R"({"levels": 4})").get<GlowConfig>().levels, 4);
  EXPECT_THROW(nlohmann::json::parse(R"({"levles": 4})").get<GlowConfig>(), std::invalid_argument);
  EXPECT_THROW(nlohmann::json::parse(R"({"x": [3, 64]})").get<GlowConfig>(), std::invalid_argument);
  GlowConfig d = c;
  d.levels = 2;
  EXPECT_EQ(describe_differences(c, d), "levels: 3 vs 2");
}

TEST(Downscale, StrideIsTheRatioAndKernelIsTwicePaddingPlusStride) {
  auto conv = downscale_conv(3, 5, 64, 32, 16, 32);
  EXPECT_EQ(conv->options.stride()->at(0), 4);
  EXPECT_EQ(conv->options.kernel_size()->at(0), 4);  // padding 0
  EXPECT_EQ(conv->options.stride()->at(1), 1);
  EXPECT_EQ(conv->options.kernel_size()->at(1), 3);  // padding 1
  EXPECT_EQ(conv->forward(torch::zeros({1, 3, 64, 32})).sizes(), torch::IntArrayRef({1, 5, 16, 32}));
  EXPECT_THROW(downscale_conv(3, 5, 64, 64, 24, 64), std::invalid_argument);
}

}  // namespace
}  // namespace cglow
