// c-Glow's shared encoder started from a baseline's U-Net: copied exactly where the two fit, a one-line
// error naming the file where they do not.
#include <fstream>

#include <gtest/gtest.h>

#include "cglow/baseline/feed_forward.h"
#include "cglow/checkpoint.h"
#include "cglow/run/encoder_from_baseline.h"
#include "testing.h"

namespace cglow {
namespace {

class EncoderFromBaselineTest : public testing::TempDirTest {
 protected:
  // 16x16 masks given 16x16 images, two levels: the encoder reads stages 1 (8x8) and 2 (4x4), so it halves
  // twice and its decoder stops at stage 1.
  CGlow model() {
    auto c = testing::small_config(Shape{3, 16, 16}, Shape{kPaperMaskTiles, 16, 16});
    c.encoder_width = 4;
    return CGlow(c);
  }
  RunConfig run() {
    RunConfig c;
    c.task = "horse";
    c.size = 16;
    return c;
  }
  // A baseline run folder `name` with a U-Net of `width` and `depth`, trained on `config`'s task and size.
  FeedForward write_baseline(const std::string& name, int64_t width, int64_t depth, RunConfig config,
                             const OutputCoding& coding = OutputCoding::binary(),
                             Shape out = {kPaperMaskTiles, 16, 16}) {
    std::filesystem::create_directories(path(name));
    config.baseline_width = width;
    config.baseline_depth = depth;
    std::ofstream(path(name + "/config.json")) << nlohmann::json(config).dump();
    FeedForward baseline(Shape{3, 16, 16}, out, coding, width, depth);
    testing::perturb(*baseline, 0.1);  // unlike any fresh initialisation
    torch::save(baseline, path(name + "/baseline.pt"));
    return baseline;
  }
  void expect_checkpoint_error(CGlow& glow, const std::string& name, const std::string& message) {
    try {
      start_encoder_from_baseline(glow, run(), path(name), OutputCoding::binary());
      ADD_FAILURE() << "no error; expected one holding: " << message;
    } catch (const CheckpointError& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  }
};

TEST_F(EncoderFromBaselineTest, CopiesTheBaselinesUNetIntoTheEncoderAndNothingElse) {
  torch::manual_seed(0);
  const auto baseline = write_baseline("unet", 4, 2, run());
  auto glow = model();
  std::map<std::string, torch::Tensor> before;
  for (const auto& p : glow->named_parameters()) before[p.key()] = p.value().clone();
  start_encoder_from_baseline(glow, run(), path("unet"), OutputCoding::binary());
  const auto trained = baseline->named_parameters();
  int64_t copied = 0;
  for (const auto& p : glow->named_parameters()) {
    if (p.key().rfind("encoder.", 0) == 0) {
      EXPECT_TRUE(torch::equal(p.value(), trained["unet." + p.key().substr(8)])) << p.key();
      ++copied;
    } else {
      EXPECT_TRUE(torch::equal(p.value(), before[p.key()])) << p.key();
    }
  }
  // down0-2 and up1 (conv weight and bias twice each); the baseline's up0 and head stay behind.
  EXPECT_EQ(copied, 16);
}

TEST_F(EncoderFromBaselineTest, RefusesAUNetOfAnotherWidthOrDepthOrTaskNamingTheFile) {
  torch::manual_seed(0);
  auto glow = model();
  write_baseline("wide", 8, 2, run());
  expect_checkpoint_error(glow, "wide", "wide/baseline.pt (a U-Net of width 8, depth 2) does not fit the encoder "
                                        "(width 4, depth 2): its unet.down0.0.weight is [8, 3, 3, 3]");
  // The width named is the weights', whatever config.json records.
  auto relabelled = run();
  relabelled.baseline_width = 4;
  relabelled.baseline_depth = 2;
  std::ofstream(path("wide/config.json")) << nlohmann::json(relabelled).dump();
  expect_checkpoint_error(glow, "wide", "wide/baseline.pt (a U-Net of width 8, depth 2) does not fit");
  // One halving more: the shapes of the stages both have match, but the decoder would read another bottom.
  write_baseline("deep", 4, 3, run());
  expect_checkpoint_error(glow, "deep", "it holds unet.down3.0.bias, which the encoder has not");
  // The depth named is the U-Net's: asked for 5, it halves 16x16 four times.
  write_baseline("deeper", 4, 5, run());
  expect_checkpoint_error(glow, "deeper", "(a U-Net of width 4, depth 4) does not fit the encoder (width 4, depth 2)");
  write_baseline("shallow", 4, 1, run());
  std::map<std::string, torch::Tensor> before;
  for (const auto& p : glow->named_parameters()) before[p.key()] = p.value().clone();
  expect_checkpoint_error(glow, "shallow", "it lacks unet.up1.0.weight");
  // Its down0 and down1 fit, but a misfit copies nothing.
  for (const auto& p : glow->named_parameters()) EXPECT_TRUE(torch::equal(p.value(), before[p.key()])) << p.key();
  auto other = run();
  other.task = "masks";
  write_baseline("masks", 4, 2, other);
  expect_checkpoint_error(glow, "masks", "masks/baseline.pt was trained on task masks at size 16, this run is task "
                                         "horse at size 16");
  std::filesystem::create_directories(path("empty"));
  expect_checkpoint_error(glow, "empty", "not a baseline run (no baseline.pt");
  auto plain = testing::small_config(Shape{3, 16, 16}, Shape{kPaperMaskTiles, 16, 16});
  CGlow without(plain);
  testing::expect_invalid_argument(
      [&] { start_encoder_from_baseline(without, run(), path("wide"), OutputCoding::binary()); },
      "needs c-Glow's shared encoder");
}

// With the prediction shift, the flow's first layer starts by subtracting the baseline's prediction, coded
// as y is: the values of images less 0.5, and only the window of it that y is.
TEST_F(EncoderFromBaselineTest, TheShiftStartsAtTheBaselinesPredictionCodedAsY) {
  torch::manual_seed(0);
  auto denoising = run();
  denoising.task = "denoising";
  const auto coding = OutputCoding::continuous(3, 1.0 / 255, 0.5);
  auto baseline = write_baseline("unet", 4, 2, denoising, coding, {3, 16, 16});
  auto c = testing::small_config(Shape{3, 16, 16}, Shape{3, 16, 16});
  c.encoder_width = 4;
  c.shift_by_prediction = true;
  CGlow glow(c);
  start_encoder_from_baseline(glow, denoising, path("unet"), coding);
  torch::NoGradGuard no_grad;
  const auto x = torch::rand({2, 3, 16, 16});
  EXPECT_LT(testing::relative_error(glow->condition(x).at(0), baseline->forward(x) - 0.5), 1e-5);

  // Where y is the window at x's centre (inpainting), the head's prediction is the baseline's window.
  auto window = write_baseline("window", 4, 3, denoising, OutputCoding::continuous(1, 0, 0.5), {1, 8, 8});
  auto inpainting = testing::small_config(Shape{3, 16, 16}, Shape{1, 8, 8});
  inpainting.encoder_width = 4;
  inpainting.shift_by_prediction = true;
  CGlow hidden(inpainting);
  start_encoder_from_baseline(hidden, denoising, path("window"), OutputCoding::continuous(1, 0, 0.5));
  EXPECT_LT(testing::relative_error(hidden->condition(x).at(0), window->forward(x) - 0.5), 1e-5);

  // A baseline of another number of channels does not fit the head, and copies nothing.
  write_baseline("gray", 4, 2, denoising, OutputCoding::continuous(1), {1, 16, 16});
  CGlow fresh(c);
  const auto before = fresh->encoder()->parameters().at(0).clone();
  try {
    start_encoder_from_baseline(fresh, denoising, path("gray"), coding);
    ADD_FAILURE() << "a baseline of one channel fitted a head of three";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("gray/baseline.pt: its head.weight is [1, 4, 1, 1] where the prediction "
                                         "head takes [3, 4, 1, 1]"),
              std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(torch::equal(fresh->encoder()->parameters().at(0), before));

  // A baseline of labels gives class scores: the shift starts at the y expected under its probabilities,
  // y coding a label as its one-hot vector less 0.5 (a binary mask: its foreground's, on every tile).
  auto masks = testing::small_config(Shape{3, 16, 16}, Shape{kPaperMaskTiles, 16, 16});
  masks.encoder_width = 4;
  masks.shift_by_prediction = true;
  masks.prediction_link = "sigmoid";
  CGlow shifted_masks(masks);
  auto horses = write_baseline("masks", 4, 2, run());
  start_encoder_from_baseline(shifted_masks, run(), path("masks"), OutputCoding::binary());
  const auto foreground = (horses->forward(x).softmax(1).narrow(1, 1, 1) - 0.5).expand({-1, kPaperMaskTiles, -1, -1});
  EXPECT_LT(testing::relative_error(shifted_masks->condition(x).at(0), foreground), 1e-5);

  auto parts_run = run();
  parts_run.task = "lfw";
  const auto parts = OutputCoding::multiclass(3);
  auto classes = masks;
  classes.y = {3, 16, 16};
  classes.prediction_link = "softmax";
  CGlow shifted_parts(classes);
  auto labeller = write_baseline("parts", 4, 2, parts_run, parts, {3, 16, 16});
  start_encoder_from_baseline(shifted_parts, parts_run, path("parts"), parts);
  EXPECT_LT(testing::relative_error(shifted_parts->condition(x).at(0), labeller->forward(x).softmax(1) - 0.5), 1e-5);

  // A link that is not the one for the task's outputs is refused.
  classes.prediction_link = "identity";
  CGlow unlinked(classes);
  testing::expect_invalid_argument(
      [&] { start_encoder_from_baseline(unlinked, parts_run, path("parts"), parts); },
      "the model's prediction_link is identity, where task lfw's outputs need softmax");
}

}  // namespace
}  // namespace cglow
