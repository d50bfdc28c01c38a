// The feed-forward baseline's shapes: outputs at x's resolution, or the window at x's centre.
#include <gtest/gtest.h>

#include "cglow/baseline/feed_forward.h"
#include "cglow/run/baseline_run.h"
#include "cglow/tasks/inpainting_task.h"

namespace cglow {
namespace {

TEST(FeedForward, OutputsAtTheTargetsShapeAndLabelsOrValues) {
  torch::manual_seed(0);
  FeedForward segmentation(Shape{3, 16, 16}, Shape{3, 16, 16}, OutputCoding::binary(3), 4);
  const auto x = torch::rand({2, 3, 16, 16});
  EXPECT_EQ(segmentation->forward(x).sizes(), torch::IntArrayRef({2, 2, 16, 16})) << "two classes' logits";
  EXPECT_EQ(segmentation->predict(x).sizes(), torch::IntArrayRef({2, 16, 16}));
  const auto labels = torch::randint(0, 2, {2, 16, 16}, torch::kLong);
  EXPECT_TRUE(std::isfinite(segmentation->loss(x, labels).item<double>()));

  FeedForward parts(Shape{3, 16, 16}, Shape{3, 16, 16}, OutputCoding::multiclass(3), 4);
  EXPECT_EQ(parts->forward(x).sizes(), torch::IntArrayRef({2, 3, 16, 16}));

  // Inpainting: the hidden centre block of a 32x32 image.
  FeedForward inpainting(Shape{1, 32, 32}, Shape{1, 16, 16}, OutputCoding::continuous(1), 4);
  EXPECT_EQ(inpainting->predict(torch::rand({2, 1, 32, 32})).sizes(), torch::IntArrayRef({2, 1, 16, 16}));
  // Depth crops, not square.
  FeedForward depth(Shape{1, 96, 128}, Shape{1, 96, 128}, OutputCoding::continuous(1), 4);
  EXPECT_EQ(depth->predict(torch::rand({1, 1, 96, 128})).sizes(), torch::IntArrayRef({1, 1, 96, 128}));

  // Depth: three halvings by default, as many as asked where the sides divide, fewer where they do not.
  EXPECT_EQ(segmentation->depth(), 3);
  EXPECT_EQ(FeedForward(Shape{3, 32, 32}, Shape{3, 32, 32}, OutputCoding::binary(3), 4, 5)->depth(), 5);
  FeedForward shallow(Shape{1, 96, 128}, Shape{1, 96, 128}, OutputCoding::continuous(1), 4, 6);
  EXPECT_EQ(shallow->depth(), 5);  // 96 = 3 * 2^5
  EXPECT_EQ(shallow->predict(torch::rand({1, 1, 96, 128})).sizes(), torch::IntArrayRef({1, 1, 96, 128}));
  EXPECT_THROW(FeedForward(Shape{1, 16, 16}, Shape{1, 16, 16}, OutputCoding::continuous(1), 4, 0),
               std::invalid_argument);
  EXPECT_THROW(FeedForward(Shape{1, 32, 32}, Shape{1, 15, 16}, OutputCoding::continuous(1), 4), std::invalid_argument)
      << "a window that cannot be centred";
  EXPECT_THROW(FeedForward(Shape{1, 16, 16}, Shape{1, 32, 32}, OutputCoding::continuous(1), 4), std::invalid_argument);
}

TEST(FeedForward, MirroredPredictionAveragesTheInputAndItsMirrorImage) {
  torch::manual_seed(1);
  const auto x = torch::rand({2, 3, 16, 16});
  torch::NoGradGuard no_grad;
  FeedForward parts(Shape{3, 16, 16}, Shape{3, 16, 16}, OutputCoding::multiclass(3), 4);
  // Larger weights than the initial ones, so that the classes' scores vary with the pixels, not only with
  // the biases: the labels of the input and of its mirror image differ.
  for (auto& p : parts->parameters()) p.mul_(4);
  // The class probabilities are averaged, then the most likely class taken.
  const auto probabilities = (parts->forward(x).softmax(1) + parts->forward(x.flip({3})).softmax(1).flip({3})) / 2;
  const auto labels = parts->predict(x, true);
  EXPECT_TRUE(torch::equal(labels, probabilities.argmax(1)));
  const auto logits = (parts->forward(x) + parts->forward(x.flip({3})).flip({3})) / 2;
  EXPECT_FALSE(torch::equal(labels, logits.argmax(1))) << "averaged logits would give other labels here";
  EXPECT_FALSE(torch::equal(labels, parts->predict(x))) << "an untrained U-Net is not symmetric";

  FeedForward inpainting(Shape{1, 32, 32}, Shape{1, 16, 16}, OutputCoding::continuous(1), 4);
  const auto faces = torch::rand({2, 1, 32, 32});
  const auto values = inpainting->predict(faces, true);
  EXPECT_EQ(values.sizes(), torch::IntArrayRef({2, 1, 16, 16}));
  const auto mirrored = inpainting->forward(faces.flip({3})).flip({3});
  EXPECT_TRUE(torch::allclose(values, (inpainting->forward(faces) + mirrored) / 2));
}

TEST(FeedForward, ScoringWithMirroringPredictsFromTheMirroredAverage) {
  torch::manual_seed(2);
  const InpaintingTask task("toy", torch::rand({4, 1, 32, 32}), torch::rand({3, 1, 32, 32}));
  FeedForward model(task.x_shape(), task.y_shape(), task.coding(), 4);
  const auto x = task.examples(DataSplit::test, torch::arange(3), nullptr).x;
  const auto mirrored = score_baseline(model, task, true).predictions;
  EXPECT_TRUE(torch::allclose(mirrored, model->predict(x, true)));
  EXPECT_FALSE(torch::allclose(mirrored, score_baseline(model, task).predictions));
}

}  // namespace
}  // namespace cglow
