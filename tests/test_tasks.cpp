#include <filesystem>
#include <functional>

#include <gtest/gtest.h>

#include "cglow/centre_window.h"
#include "cglow/data/fashion_mnist.h"
#include "cglow/tasks/inpainting_task.h"
#include "cglow/tasks/segmentation_task.h"
#include "testing.h"

namespace cglow {
namespace {

SegmentationSet random_set(int64_t n, int64_t classes, int64_t side = 8) {
  SegmentationSet s;
  s.images = torch::rand({n, 3, side, side});
  s.labels = torch::randint(0, classes, {n, side, side}, torch::kLong);
  s.classes = classes;
  for (int64_t i = 0; i < n; ++i) s.names.push_back("example" + std::to_string(i));
  return s;
}

TEST(SegmentationTask, ShapesCodingAndConsistentFlips) {
  torch::manual_seed(1);
  const SegmentationTask task("toy", random_set(20, 2), random_set(3, 2));
  EXPECT_EQ(task.y_shape(), (Shape{3, 8, 8}));  // tiled to three channels
  EXPECT_EQ(task.coding().kind(), OutputCoding::Kind::binary);
  const auto all = torch::arange(20);
  const auto plain = task.examples(DataSplit::train, all, nullptr);
  auto generator = at::detail::createCPUGenerator(3);
  const auto augmented = task.examples(DataSplit::train, all, &generator);
  int flipped = 0;
  for (int64_t i = 0; i < 20; ++i) {
    const bool same = torch::equal(augmented.x[i], plain.x[i]) && torch::equal(augmented.target[i], plain.target[i]);
    const bool mirrored = torch::equal(augmented.x[i], plain.x[i].flip({2})) &&
                          torch::equal(augmented.target[i], plain.target[i].flip({1}));
    EXPECT_TRUE(same || mirrored) << "example " << i << ": image and labels must flip together";
    flipped += mirrored && !same;
  }
  EXPECT_GT(flipped, 3);  // about half of 20
  EXPECT_LT(flipped, 17);
  EXPECT_THROW(SegmentationTask("bad", random_set(2, 2), random_set(2, 3)), std::invalid_argument);
}

TEST(SegmentationTask, MasksTileToAsManyChannelsAsAsked) {
  const auto set = random_set(4, 2);
  const SegmentationTask one("toy", set, random_set(2, 2), /*flips=*/false, /*zoom=*/1, /*jitter=*/0,
                             /*mask_tiles=*/1);
  EXPECT_EQ(one.y_shape(), (Shape{1, 8, 8}));
  const auto y = one.coding().dequantize(one.coding().encode(set.labels));
  EXPECT_EQ(y.sizes(), torch::IntArrayRef({4, 1, 8, 8}));
  EXPECT_TRUE(torch::equal(one.coding().decode(y), set.labels));
  // Labels of more than two classes are one channel per class whatever the tiles.
  EXPECT_EQ(SegmentationTask("toy", random_set(4, 3), random_set(2, 3), false, 1, 0, 1).y_shape(), (Shape{3, 8, 8}));
  testing::expect_invalid_argument(
      [&] { SegmentationTask("toy", set, random_set(2, 2), false, 1, 0, /*mask_tiles=*/0); },
      "toy: mask_tiles must be 1 or more, got 0");
}

TEST(SegmentationTask, ZoomedCropsMoveImageAndLabelsTogether) {
  // Each image's red channel is its label map, so the crop of one must still be the other.
  SegmentationSet set = random_set(16, 2, 16);
  set.labels = (torch::rand({16, 16, 16}) < 0.5).to(torch::kLong);
  set.images.select(1, 0).copy_(set.labels.to(torch::kFloat));
  const SegmentationTask task("toy", set, random_set(2, 2, 16), /*flips=*/false, /*zoom=*/0.5);
  const auto all = torch::arange(16);
  // No generator: as stored.
  EXPECT_TRUE(torch::equal(task.examples(DataSplit::train, all, nullptr).target, set.labels));
  auto generator = at::detail::createCPUGenerator(5);
  const auto zoomed = task.examples(DataSplit::train, all, &generator);
  EXPECT_EQ(zoomed.target.sizes(), set.labels.sizes());
  EXPECT_EQ(zoomed.target.scalar_type(), torch::kLong);
  EXPECT_FALSE(torch::equal(zoomed.target, set.labels));
  EXPECT_TRUE(((zoomed.target == 0) | (zoomed.target == 1)).all().item<bool>());
  // Bilinear image vs nearest labels: they agree wherever the image is clearly one class.
  const auto red = zoomed.x.select(1, 0);
  const auto clear = (red < 0.1) | (red > 0.9);
  EXPECT_GT(clear.to(torch::kFloat).mean().item<double>(), 0.2);
  EXPECT_TRUE(torch::equal((red > 0.5).masked_select(clear), (zoomed.target == 1).masked_select(clear)));
  auto same_seed = at::detail::createCPUGenerator(5);  // an example's seed fixes its crop
  EXPECT_TRUE(torch::equal(task.examples(DataSplit::train, all, &same_seed).x, zoomed.x));
  EXPECT_THROW(SegmentationTask("bad", set, set, true, 0.0), std::invalid_argument);
  EXPECT_THROW(SegmentationTask("bad", set, set, true, 1.5), std::invalid_argument);
}

// A set whose detail images hold a smooth field f (red, blue) at 4 times the size and a green channel
// of 1 that the stored images lack; stored images and labels are the detail ones shrunk as the readers do.
SegmentationSet detailed_set(int64_t n, int64_t side) {
  namespace F = torch::nn::functional;
  const auto field = F::interpolate(torch::rand({n, 1, 4, 4}), F::InterpolateFuncOptions()
                                                                  .size(std::vector<int64_t>{4 * side, 4 * side})
                                                                  .mode(torch::kBilinear)
                                                                  .align_corners(false));
  SegmentationSet s = random_set(n, 2, side);
  s.detail_images = torch::cat({field, torch::ones_like(field), field}, 1);
  s.detail_labels = (field.squeeze(1) > 0.5).to(torch::kLong);
  s.images = F::avg_pool2d(s.detail_images, F::AvgPool2dFuncOptions(4));
  s.images.select(1, 1).zero_();
  s.labels = F::avg_pool2d(torch::one_hot(s.detail_labels, 2).permute({0, 3, 1, 2}).to(torch::kFloat),
                           F::AvgPool2dFuncOptions(4))
                 .argmax(1);
  return s;
}

TEST(SegmentationTask, ZoomedCropsAreCutFromDetailImages) {
  const SegmentationSet set = detailed_set(16, 16);
  const auto all = torch::arange(16);
  auto generator = at::detail::createCPUGenerator(5);
  // Crops of (almost) the whole image are the stored examples, flipped or not, image and labels together,
  // except that they come from the detail images (green 1).
  const SegmentationTask whole("toy", set, random_set(2, 2, 16), /*flips=*/true, /*zoom=*/0.999);
  const auto crops = whole.examples(DataSplit::train, all, &generator);
  EXPECT_TRUE(torch::allclose(crops.x.select(1, 1), torch::ones({16, 16, 16})));
  namespace F = torch::nn::functional;
  const auto votes =
      F::avg_pool2d(set.detail_labels.unsqueeze(1).to(torch::kFloat), F::AvgPool2dFuncOptions(4)).squeeze(1);
  int flipped = 0;
  for (int64_t i = 0; i < 16; ++i) {
    const bool mirrored = (crops.x[i][0] - set.images[i][0].flip({1})).abs().max().item<double>() < 0.02;
    flipped += mirrored;
    const auto mirror = [&](const torch::Tensor& t) { return mirrored ? t.flip({1}) : t; };
    EXPECT_LT((crops.x[i][0] - mirror(set.images[i][0])).abs().max().item<double>(), 0.02) << i;
    // Labels may differ only where the stored label was a near tie of the votes.
    const auto clear_vote = (mirror(votes[i]) - 0.5).abs() > 0.1;
    EXPECT_TRUE(torch::equal(crops.target[i].masked_select(clear_vote),
                             mirror(set.labels[i]).masked_select(clear_vote))) << i;
  }
  EXPECT_GT(flipped, 2);
  EXPECT_LT(flipped, 14);
  // Zoomed crops: the labels agree with the image wherever the field is clearly on one side of 0.5.
  const SegmentationTask zoomed("toy", set, random_set(2, 2, 16), /*flips=*/false, /*zoom=*/0.5);
  const auto cut = zoomed.examples(DataSplit::train, all, &generator);
  EXPECT_EQ(cut.target.sizes(), set.labels.sizes());
  EXPECT_EQ(cut.target.scalar_type(), torch::kLong);
  EXPECT_FALSE(torch::equal(cut.target, set.labels));
  const auto red = cut.x.select(1, 0), clear = (red - 0.5).abs() > 0.1;
  EXPECT_GT(clear.to(torch::kFloat).mean().item<double>(), 0.3);
  EXPECT_TRUE(torch::equal((red > 0.5).masked_select(clear), (cut.target == 1).masked_select(clear)));
  // They cover the region a crop resized back up from the stored images covers (same draws, same seed).
  SegmentationSet plain = set;
  plain.detail_images = plain.detail_labels = torch::Tensor();
  auto first = at::detail::createCPUGenerator(9), second = at::detail::createCPUGenerator(9);
  const auto sharp = zoomed.examples(DataSplit::train, all, &first).x.select(1, 0);
  const auto blurred = SegmentationTask("toy", plain, random_set(2, 2, 16), false, 0.5)
                           .examples(DataSplit::train, all, &second)
                           .x.select(1, 0);
  EXPECT_LT((sharp - blurred).abs().mean().item<double>(), 0.01);
  EXPECT_GT((sharp - blurred.roll(1, 2)).abs().mean().item<double>(), 0.02);  // a pixel off is told apart
  // Detail images that are not the training set at a whole multiple of its size are refused.
  SegmentationSet bad = set;
  bad.detail_images = set.detail_images.narrow(3, 0, 60);
  EXPECT_THROW(SegmentationTask("bad", bad, set, true, 0.5), std::invalid_argument);
  bad = set;
  bad.detail_labels = set.detail_labels.narrow(0, 0, 15);
  EXPECT_THROW(SegmentationTask("bad", bad, set, true, 0.5), std::invalid_argument);
  bad.detail_labels = set.detail_labels.to(torch::kInt32);
  EXPECT_THROW(SegmentationTask("bad", bad, set, true, 0.5), std::invalid_argument);
  bad.detail_images = torch::Tensor();  // labels without images
  bad.detail_labels = set.detail_labels;
  EXPECT_THROW(SegmentationTask("bad", bad, set, true, 0.5), std::invalid_argument);
}

TEST(SegmentationTask, ColourJitterChangesImagesNotLabels) {
  const SegmentationSet set = random_set(64, 2);
  const SegmentationTask task("toy", set, random_set(2, 2), /*flips=*/false, /*zoom=*/1, /*jitter=*/0.4);
  const auto all = torch::arange(64);
  EXPECT_TRUE(torch::equal(task.examples(DataSplit::train, all, nullptr).x, set.images));  // no generator: as stored
  auto generator = at::detail::createCPUGenerator(7);
  const auto jittered = task.examples(DataSplit::train, all, &generator);
  EXPECT_TRUE(torch::equal(jittered.target, set.labels));
  EXPECT_GE(jittered.x.min().item<double>(), 0.0);
  EXPECT_LE(jittered.x.max().item<double>(), 1.0);
  // Every image changes, each by its own factors: brightness moves the images' means apart.
  const auto moved = (jittered.x - set.images).abs().amax({1, 2, 3});
  EXPECT_GT(moved.min().item<double>(), 1e-3);
  const auto ratio = jittered.x.mean({1, 2, 3}) / set.images.mean({1, 2, 3});
  EXPECT_GT(ratio.std().item<double>(), 0.05);
  // Brightness factors lie in [0.6, 1.4]; contrast and saturation keep a mean, but for the clamp.
  EXPECT_GT(ratio.min().item<double>(), 0.5);
  EXPECT_LT(ratio.max().item<double>(), 1.45);
  EXPECT_THROW(SegmentationTask("bad", set, set, true, 1, -0.1), std::invalid_argument);
  EXPECT_THROW(SegmentationTask("bad", set, set, true, 1, 1.0), std::invalid_argument);
}

TEST(SegmentationTask, MetricsAndPictures) {
  const SegmentationTask binary("toy", random_set(2, 2), random_set(2, 2));
  const auto truth = binary.set(DataSplit::test).labels;
  const auto perfect = binary.metrics(truth, truth);
  for (const auto* key : {"pixel_accuracy", "mean_iou", "foreground_iou", "foreground_iou_per_image"})
    EXPECT_DOUBLE_EQ(perfect.at(key), 1.0) << key;
  EXPECT_LT(binary.metrics(1 - truth, truth).at("foreground_iou"), 0.5);

  const SegmentationTask parts("parts", random_set(2, 3), random_set(2, 3));
  EXPECT_EQ(parts.metrics(truth, truth).count("foreground_iou"), 0u);
  const auto picture = parts.picture_of_target(torch::tensor({0, 1, 2}).view({1, 3}));
  EXPECT_EQ(picture.sizes(), torch::IntArrayRef({3, 1, 3}));
  EXPECT_EQ(picture[2][0][0].item<float>(), 1.0f);  // background blue
  EXPECT_EQ(picture[1][0][1].item<float>(), 1.0f);  // skin green
  EXPECT_EQ(picture[0][0][2].item<float>(), 1.0f);  // hair red
}

TEST(Tasks, BatchSamplerDrawsEverythingFromTheGenerator) {
  const auto task = std::make_shared<SegmentationTask>("toy", random_set(10, 2), random_set(2, 2));
  const auto sample = batch_sampler(task);
  auto g1 = at::detail::createCPUGenerator(9), g2 = at::detail::createCPUGenerator(9);
  const auto a = sample(4, g1, {}), b = sample(4, g2, {});
  EXPECT_TRUE(torch::equal(a.x, b.x));
  EXPECT_TRUE(torch::equal(a.y, b.y));
  EXPECT_EQ(a.y.sizes(), torch::IntArrayRef({4, 3, 8, 8}));
  EXPECT_GT((a.y.abs() - 0.5).abs().max().item<double>(), 0.05) << "dequantisation noise";
  const auto c = sample(4, g1, {});
  EXPECT_FALSE(torch::equal(a.y, c.y));
  // Two processes of batch 2 build the two halves of what one process of batch 4 builds.
  auto g3 = at::detail::createCPUGenerator(9), g4 = at::detail::createCPUGenerator(9);
  const auto first = sample(2, g3, {0, 2}), second = sample(2, g4, {1, 2});
  EXPECT_TRUE(torch::equal(torch::cat({first.x, second.x}), a.x));
  EXPECT_TRUE(torch::equal(torch::cat({first.y, second.y}), a.y));

  // A few training steps of a c-Glow on the task.
  torch::manual_seed(2);
  TrainerOptions options;
  options.iterations = 3;
  Trainer trainer(CGlow(testing::small_config(task->x_shape(), task->y_shape())), task->coding(), sample, options);
  trainer.run();
  EXPECT_EQ(trainer.iteration(), 3);
}

TEST(CentreWindow, RoundsOffsetsDownAndWritesThrough) {
  auto image = torch::arange(5 * 6).view({1, 5, 6}).to(torch::kFloat);
  const auto window = centre_window(image, 2, 3);  // rows 1-2 of 5, columns 1-3 of 6
  EXPECT_TRUE(torch::equal(window, torch::tensor({{{7.0F, 8.0F, 9.0F}, {13.0F, 14.0F, 15.0F}}})));
  window.zero_();
  EXPECT_EQ(image.ne(0).sum().item<int64_t>(), 30 - 1 - 6);  // 0 was already zero
}

TEST(InpaintingTask, HidesTheCentralQuarterAndScoresIt) {
  const auto images = 0.8 * torch::rand({4, 3, 8, 8});  // below 0.9: an error of 0.1 is not clamped
  const InpaintingTask task("toy", images, images);
  EXPECT_EQ(task.y_shape(), (Shape{3, 4, 4}));
  const auto e = task.examples(DataSplit::test, torch::arange(4), nullptr);
  EXPECT_EQ(e.x.narrow(2, 2, 4).narrow(3, 2, 4).abs().sum().item<double>(), 0.0);
  EXPECT_TRUE(torch::equal(e.target, images.narrow(2, 2, 4).narrow(3, 2, 4)));
  EXPECT_TRUE(torch::equal(task.fill(e.x[0], e.target[0]), images[0]));
  EXPECT_EQ(e.x.ne(0).sum().item<int64_t>(), images.ne(0).sum().item<int64_t>() - e.target.ne(0).sum().item<int64_t>());
  EXPECT_NEAR(task.metrics(e.target + 0.1, e.target).at("psnr_hidden_block"), 20.0, 1e-4);
  const auto ones = torch::ones_like(e.target);  // predictions are clamped to [0, 1] before scoring
  EXPECT_DOUBLE_EQ(task.metrics(5 * ones, e.target).at("psnr_hidden_block"),
                   task.metrics(ones, e.target).at("psnr_hidden_block"));
  // Up to float rounding of value - 0.5 + 0.5, absolute near 0.
  EXPECT_TRUE(torch::allclose(task.coding().decode(task.coding().encode(e.target)), e.target, 1e-5, 1e-6));
  EXPECT_THROW(InpaintingTask("bad", torch::rand({2, 1, 6, 6}), torch::rand({2, 1, 6, 6})), std::invalid_argument);
}

// Of 200 training draws of one image, how many came mirrored; fails unless each is the image or its mirror.
int mirrored_draws(const std::function<torch::Tensor(torch::Generator&)>& draw, const torch::Tensor& image) {
  int mirrored = 0;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    auto g = at::detail::createCPUGenerator(seed);
    const auto drawn = draw(g);
    const bool as_is = torch::allclose(drawn, image, 1e-6, 1e-6),
               flipped = torch::allclose(drawn, image.flip({-1}), 1e-6, 1e-6);
    EXPECT_TRUE(as_is || flipped) << "draw " << seed << " is neither the image nor its mirror";
    mirrored += flipped;
  }
  return mirrored;
}

TEST(InpaintingTask, MirrorsTrainingImagesOnlyWhenAsked) {
  const auto images = torch::rand({2, 3, 8, 8});
  const auto whole = [](const InpaintingTask& task, torch::Generator* g) {
    const auto e = task.examples(DataSplit::train, torch::tensor({int64_t{1}}), g);
    return task.fill(e.x[0], e.target[0]);
  };
  const auto image = images[1];
  const InpaintingTask flipping("toy", images, images, /*flips=*/true), plain("toy", images, images);
  const int mirrored = mirrored_draws([&](torch::Generator& g) { return whole(flipping, &g); }, image);
  EXPECT_GT(mirrored, 60);  // half of 200, give or take more than 5 standard deviations of a fair coin
  EXPECT_LT(mirrored, 140);
  EXPECT_EQ(mirrored_draws([&](torch::Generator& g) { return whole(plain, &g); }, image), 0);
  EXPECT_TRUE(torch::equal(whole(flipping, nullptr), image)) << "evaluation examples are never mirrored";
}

TEST(InpaintingTask, FashionMnistIsTheBuiltInDefault) {
  if (!std::filesystem::exists(std::string(kFashionMnistDir) + "/train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "Fashion-MNIST not installed (Debian package dataset-fashion-mnist)";
  const auto task = InpaintingTask::fashion_mnist(kFashionMnistDir, 100);
  EXPECT_EQ(task->size(DataSplit::train), 60000);
  EXPECT_EQ(task->size(DataSplit::test), 100);
  EXPECT_EQ(task->x_shape(), (Shape{1, 32, 32}));
  EXPECT_EQ(task->y_shape(), (Shape{1, 16, 16}));
}

}  // namespace
}  // namespace cglow

#include "cglow/tasks/denoising_task.h"

namespace cglow {
namespace {

TEST(DenoisingTask, NoisyInputsResidualTargetsAndSeededEvaluationNoise) {
  const auto clean = torch::rand({6, 3, 8, 8});
  const DenoisingTask task("toy", clean, clean, 25.0);
  EXPECT_EQ(task.y_shape(), (Shape{3, 8, 8}));
  const auto e = task.examples(DataSplit::test, torch::arange(6), nullptr);
  EXPECT_TRUE(torch::allclose(e.x - e.target, clean, 1e-6, 1e-6)) << "x_hat - residual = clean";
  EXPECT_NEAR(e.target.std().item<double>(), 25.0 / 255, 0.01);
  // Evaluation noise depends on the example only: the same whatever the batch.
  const auto again = task.examples(DataSplit::test, torch::tensor({4, 1}), nullptr);
  EXPECT_TRUE(torch::equal(again.target[0], e.target[4]));
  EXPECT_TRUE(torch::equal(again.target[1], e.target[1]));
  auto g = at::detail::createCPUGenerator(1);
  EXPECT_FALSE(torch::equal(task.examples(DataSplit::train, torch::arange(6), &g).target, e.target));
  // Predicting no noise at all scores the noisy image's PSNR: about 20.2 dB for sigma 25.
  EXPECT_NEAR(task.metrics(torch::zeros_like(e.target), e.target).at("psnr_denoised"), 20.2, 0.3);
  EXPECT_TRUE(std::isinf(task.metrics(e.target, e.target).at("psnr_denoised")));
}

TEST(DenoisingTask, MirrorsCleanTrainingImagesOnlyWhenAsked) {
  const auto clean = torch::rand({2, 3, 8, 8});
  const auto clean_of = [](const DenoisingTask& task, torch::Generator* g) {
    const auto e = task.examples(DataSplit::train, torch::tensor({int64_t{1}}), g);
    return (e.x - e.target)[0];
  };
  const DenoisingTask flipping("toy", clean, clean, 25.0, /*flips=*/true), plain("toy", clean, clean);
  const int mirrored = mirrored_draws([&](torch::Generator& g) { return clean_of(flipping, &g); }, clean[1]);
  EXPECT_GT(mirrored, 60);
  EXPECT_LT(mirrored, 140);
  EXPECT_EQ(mirrored_draws([&](torch::Generator& g) { return clean_of(plain, &g); }, clean[1]), 0);
  EXPECT_TRUE(torch::allclose(clean_of(flipping, nullptr), clean[1], 1e-6, 1e-6)) << "evaluation is never mirrored";
}

}  // namespace
}  // namespace cglow

#include "cglow/tasks/depth_task.h"

namespace cglow {
namespace {

DepthFrames constant_frames(int64_t n, double metres) {
  DepthFrames f;
  f.depth = torch::full({n, 1, 10, 12}, metres);
  f.valid = torch::ones({n, 1, 10, 12}, torch::kBool);
  for (int64_t i = 0; i < n; ++i) f.names.push_back("frame" + std::to_string(i));
  return f;
}

TEST(DepthTask, NoisyCropsResidualTargetsAndPsnrOverMeasuredPixels) {
  auto train = constant_frames(3, 2.0);
  train.depth[1] += torch::arange(12, torch::kFloat32) / 10;  // depth rising left to right
  auto test = constant_frames(2, 2.0);
  test.valid[1].narrow(1, 0, 5).fill_(false);  // the top half of frame 1 unmeasured
  const DepthTask task("depth", train, test, 10.0, 4.0, 4, 6);
  EXPECT_EQ(task.x_shape(), (Shape{1, 4, 6}));
  EXPECT_EQ(task.y_shape(), task.x_shape());

  const auto e = task.examples(DataSplit::test, torch::arange(2), nullptr);
  ASSERT_EQ(e.x.sizes(), torch::IntArrayRef({2, 1, 4, 6}));
  EXPECT_TRUE(torch::allclose(e.x - e.target, torch::full({2, 1, 4, 6}, 0.5), 1e-6, 1e-6)) << "2 m of 4 m";
  EXPECT_TRUE(torch::equal(task.examples(DataSplit::test, torch::tensor({1}), nullptr).target[0], e.target[1]))
      << "evaluation noise seeded by index";
  // Training crops are drawn anywhere: over many draws of the sloped frame, several left edges.
  auto g = at::detail::createCPUGenerator(3);
  const auto drawn = task.examples(DataSplit::train, torch::full({40}, 1, torch::kLong), &g);
  const auto left_depth = (drawn.x - drawn.target).select(3, 0).mean({1, 2});
  EXPECT_GT(std::get<0>(at::_unique(left_depth)).numel(), 3);

  // No refinement scores the noisy input: 20 log10(255 / 10) = 28.1 dB.
  EXPECT_NEAR(task.metrics(torch::zeros_like(e.target), e.target).at("psnr_refined"), 28.1, 1.0);
  EXPECT_TRUE(std::isinf(task.metrics(e.target, e.target).at("psnr_refined")));
  // Errors on unmeasured pixels do not count: the centre crop of frame 1 has its top two rows unmeasured.
  auto off = e.target + 0.01;  // 40 dB everywhere
  off[1][0][0].add_(1.0);
  EXPECT_NEAR(task.metrics(off, e.target).at("psnr_refined"), 40.0, 1e-6);
  off[1][0][3].add_(1.0);
  EXPECT_LT(task.metrics(off, e.target).at("psnr_refined"), 35.0);

  EXPECT_THROW(DepthTask("depth", train, constant_frames(1, 1.0), 10.0, 4.0, 11, 6), std::invalid_argument);
}

TEST(SegmentationTask, SuperPixelAccuracyWhenTheTestSetHasMaps) {
  auto train = random_set(4, 3), test = random_set(2, 3);
  const SegmentationTask without("lfw", train, test);
  EXPECT_FALSE(without.metrics(test.labels, test.labels).count("superpixel_accuracy"));
  // Two super-pixels per image, left and right halves; the prediction gets one of the four wrong.
  test.regions = torch::zeros({2, 8, 8}, torch::kLong);
  test.regions.narrow(2, 4, 4).fill_(1);
  test.labels.zero_();
  const SegmentationTask with("lfw", train, test);
  auto predicted = test.labels.clone();
  predicted[1].narrow(1, 4, 4).fill_(2);
  EXPECT_DOUBLE_EQ(with.metrics(predicted, test.labels).at("superpixel_accuracy"), 0.75);
}

}  // namespace
}  // namespace cglow
