#include <gtest/gtest.h>

#include "cglow/cuda_precision.h"
#include "cglow/inference.h"
#include "cglow/run/evaluate_run.h"
#include "cglow/tasks/inpainting_task.h"
#include "testing.h"

namespace cglow {
namespace {

class InferenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::manual_seed(21);
    model_ = CGlow(testing::small_config({3, 8, 8}, {2, 8, 8}));
    testing::perturb(*model_, 0.1);
  }
  CGlow model_{nullptr};
};

TEST_F(InferenceTest, SamplesHaveOneRowPerInputAndSample) {
  const auto x = torch::rand({3, 3, 8, 8});
  const auto s = sample(model_, x, 5, 0.7);
  EXPECT_EQ(s.sizes(), torch::IntArrayRef({3, 5, 2, 8, 8}));
  EXPECT_TRUE(torch::isfinite(s).all().item<bool>());
  // Different samples for one input differ; the same seed gives the same samples.
  EXPECT_GT((s[0][0] - s[0][1]).abs().max().item<double>(), 1e-3);
  torch::manual_seed(4);
  const auto a = sample(model_, x, 2);
  torch::manual_seed(4);
  EXPECT_TRUE(torch::equal(a, sample(model_, x, 2)));
}

TEST_F(InferenceTest, SampleRowsBelongToTheirInput) {
  // At temperature 0 every sample is g(0; x): the batched sampler must pair row b with input b.
  const auto x = torch::rand({3, 3, 8, 8});
  const auto s = sample(model_, x, 4, 0.0);
  torch::NoGradGuard no_grad;
  for (int64_t b = 0; b < 3; ++b) {
    const auto xb = x.narrow(0, b, 1);
    const auto alone = model_->inverse(torch::zeros({1, 2 * 8 * 8}), model_->condition(xb))[0];
    for (int64_t j = 0; j < 4; ++j) EXPECT_LT(testing::relative_error(s[b][j], alone), 1e-5) << b << "," << j;
  }
  EXPECT_GT((s[0][0] - s[1][0]).abs().max().item<double>(), 1e-4) << "inputs must matter";
}

TEST_F(InferenceTest, TemperatureScalesTheLatents) {
  const auto x = torch::rand({1, 3, 8, 8});
  torch::NoGradGuard no_grad;
  const auto c = repeat_each(model_->condition(x), 200);
  auto spread = [&](double t) {
    torch::manual_seed(8);
    const auto s = sample(model_, x, 200, t)[0];
    return model_->forward(s, c).z.std().item<double>();
  };
  EXPECT_NEAR(spread(1.0), 1.0, 0.05);
  EXPECT_NEAR(spread(0.5), 0.5, 0.03);
}

TEST_F(InferenceTest, PredictionEstimatesTheConditionalMeanAndSpread) {
  const auto x = torch::rand({2, 3, 8, 8});
  // A long run of samples gives the model's conditional mean and standard deviation to high accuracy.
  const auto reference = sample(model_, x, 2000);
  const auto mean = reference.mean(1), spread = reference.std(1);
  const auto p = predict(model_, x, 10);
  EXPECT_EQ(p.samples.sizes(), torch::IntArrayRef({2, 10, 2, 8, 8}));
  // The mean of 10 samples is about sqrt(10) closer to the conditional mean than one sample is.
  const double error_of_mean = (p.mean - mean).pow(2).mean().item<double>();
  const double error_of_one = (p.samples.select(1, 0) - mean).pow(2).mean().item<double>();
  EXPECT_LT(error_of_mean, error_of_one / 4) << error_of_mean << " vs " << error_of_one;
  EXPECT_LT(((p.stddev - spread).abs() / spread).mean().item<double>(), 0.3);
  EXPECT_TRUE(torch::equal(predict(model_, x, 1).stddev, torch::zeros_like(mean)));
  EXPECT_THROW(predict(model_, x, 0), std::invalid_argument);
}

TEST_F(InferenceTest, MirroredPredictionDrawsHalfItsSamplesGivenTheMirroredInput) {
  // At temperature 0 each sample is g(0; x): the first half must be the upright input's, the rest the
  // mirrored input's, mirrored back.
  const auto x = torch::rand({2, 3, 8, 8});
  const auto p = predict_mirrored(model_, x, 5, 0.0);
  EXPECT_EQ(p.samples.sizes(), torch::IntArrayRef({2, 5, 2, 8, 8}));
  const auto upright = sample(model_, x, 1, 0.0).select(1, 0);
  const auto mirrored = sample(model_, x.flip({3}), 1, 0.0).select(1, 0).flip({3});
  EXPECT_GT((upright - mirrored).abs().max().item<double>(), 1e-3) << "the model must not be symmetric already";
  for (int64_t j = 0; j < 5; ++j)
    EXPECT_LT(testing::relative_error(p.samples.select(1, j), j < 3 ? upright : mirrored), 1e-5) << j;
  EXPECT_LT(testing::relative_error(p.mean, (3 * upright + 2 * mirrored) / 5), 1e-5);
  EXPECT_THROW(predict_mirrored(model_, x, 1), std::invalid_argument);
}

TEST(Evaluation, MirroredEvaluationPredictsByPredictMirrored) {
  torch::manual_seed(3);
  const InpaintingTask task("toy", 0.8 * torch::rand({4, 3, 8, 8}), 0.8 * torch::rand({3, 3, 8, 8}));
  CGlow model(testing::small_config(task.x_shape(), task.y_shape()));
  testing::perturb(*model, 0.1);
  const auto x = task.examples(DataSplit::test, torch::arange(3), nullptr).x;
  // At temperature 0 the samples are the same for every seed: the two predictions can be compared.
  const auto expected = task.coding().decode(predict_mirrored(model, x, 4, 0.0).mean);
  EXPECT_TRUE(torch::allclose(evaluate(model, task, 4, 0.0, true).predictions, expected, 1e-5, 1e-6));
  EXPECT_FALSE(torch::allclose(evaluate(model, task, 4, 0.0).predictions, expected, 1e-5, 1e-6));
}

TEST_F(InferenceTest, MapEstimateRaisesTheLikelihoodAndLeavesParametersAlone) {
  const auto x = torch::rand({2, 3, 8, 8});
  const auto init = predict(model_, x, 10).mean;
  std::vector<torch::Tensor> parameters;
  for (const auto& p : model_->parameters()) parameters.push_back(p.detach().clone());
  const auto y = map_estimate(model_, x, init, 50, 1e-2);
  torch::NoGradGuard no_grad;
  const auto before = model_->log_prob(init, x), after = model_->log_prob(y, x);
  EXPECT_TRUE((after > before + 1.0).all().item<bool>()) << before << after;
  const auto now = model_->parameters();
  for (size_t i = 0; i < parameters.size(); ++i) {
    const auto& p = now[i];
    EXPECT_TRUE(torch::equal(p, parameters[i]));
    EXPECT_TRUE(!p.grad().defined() || p.grad().abs().sum().item<double>() == 0.0);
  }
}

}  // namespace
}  // namespace cglow

namespace cglow {
namespace {

// Opt-in: runs where LibTorch has CUDA (scripts/gpu-check), skips elsewhere.
TEST(Cuda, Bf16ConditioningKeepsTheFlowFloat32AndInvertible) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  torch::manual_seed(5);
  CGlow model(testing::small_config({3, 16, 16}, {3, 16, 16}));
  testing::perturb(*model, 0.1);
  model->to(torch::kCUDA);
  torch::NoGradGuard no_grad;
  const auto x = torch::rand({4, 3, 16, 16}, torch::kCUDA), y = torch::randn({4, 3, 16, 16}, torch::kCUDA);
  const auto full = model->log_prob(y, x);
  model->set_bf16_conditioning(true);
  const auto c = model->condition(x);
  for (const auto& t : c) EXPECT_EQ(t.scalar_type(), torch::kFloat32);
  EXPECT_LT(testing::relative_error(model->inverse(model->forward(y, c).z, c), y), 1e-5);
  const auto mixed = model->log_prob(y, c);
  EXPECT_LT(((mixed - full).abs() / full.abs()).max().item<double>(), 1e-2);
  EXPECT_FALSE(torch::equal(mixed, full)) << "bf16 was not used";
  {
    CudaAutocastAs autocast({true, at::kBFloat16});
    EXPECT_EQ(torch::matmul(x.flatten(1), x.flatten(1).t()).scalar_type(), torch::kBFloat16);
  }
  EXPECT_EQ(torch::matmul(x.flatten(1), x.flatten(1).t()).scalar_type(), torch::kFloat32);
}

}  // namespace
}  // namespace cglow
