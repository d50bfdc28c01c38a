#include <cmath>
#include <filesystem>
#include <limits>
#include <numeric>

#include <gtest/gtest.h>

#include "cglow/checkpoint.h"
#include "cglow/train/trainer.h"
#include "cglow/train/weights_snapshot.h"
#include "testing.h"

namespace cglow {
namespace {

namespace fs = std::filesystem;

const GlowConfig kConfig = testing::small_config({1, 8, 8}, {1, 8, 8});

// Random pairs drawn from the trainer's generator only; y is a noisy copy of x, so there is something
// to learn. `poison(i)` makes batch i (0-based) NaN.
BatchSampler sampler(std::function<bool(int)> poison = {}) {
  auto count = std::make_shared<int>(0);
  return [count, poison](int64_t batch, torch::Generator& g, const Shard&) {
    auto x = torch::rand({batch, 1, 8, 8}, g);
    auto y = x - 0.5 + 0.05 * torch::randn({batch, 1, 8, 8}, g);
    if (poison && poison((*count)++)) y = y * std::numeric_limits<float>::quiet_NaN();
    return TrainingBatch{x, y};
  };
}

CGlow fresh_model(uint64_t seed) {
  torch::manual_seed(seed);
  return CGlow(kConfig);
}

TrainerOptions options(int64_t iterations) {
  TrainerOptions o;
  o.iterations = iterations;
  o.batch_size = 4;
  o.adam.lr = 1e-3;
  o.warmup = 6;  // longer than the first half of the resumed run: the schedule must carry over
  o.seed = 42;
  return o;
}

class TrainerTest : public testing::TempDirTest {};

// What the TrainingError that stops `trainer.run()` says; "" when the run ends without one.
std::string training_error_of(Trainer& trainer) {
  try {
    trainer.run();
  } catch (const TrainingError& e) {
    return e.what();
  }
  return "";
}

TEST_F(TrainerTest, AStoppedAndResumedRunEndsWithTheSameWeights) {
  const auto coding = OutputCoding::continuous(1);
  Trainer straight(fresh_model(1), coding, sampler(), options(8));
  straight.run();

  Trainer first_half(fresh_model(1), coding, sampler(), options(8));
  std::atomic<bool> stop{false};
  first_half.run([&](const StepReport& r) { stop = r.iteration == 4; }, &stop);
  ASSERT_EQ(first_half.iteration(), 4);
  first_half.save(path("run.pt"));

  Trainer second_half(fresh_model(2), coding, sampler(), options(8));  // other initial weights
  second_half.resume(path("run.pt"));
  EXPECT_EQ(second_half.iteration(), 4);
  second_half.run();
  EXPECT_EQ(second_half.iteration(), 8);

  const auto a = straight.model()->parameters(), b = second_half.model()->parameters();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "parameter " << i;
}

TEST_F(TrainerTest, WarmUpRampsTheLearningRateAndTheLossFalls) {
  std::vector<StepReport> reports;
  // The loss falls as the flow learns its scale: started without the data-dependent initialisation,
  // which would set that from the first batch.
  auto o = options(60);
  o.actnorm_init = false;
  Trainer trainer(fresh_model(3), OutputCoding::continuous(1), sampler(), o);
  trainer.run([&](const StepReport& r) { reports.push_back(r); });
  ASSERT_EQ(reports.size(), 60u);
  EXPECT_DOUBLE_EQ(reports[0].lr, 1e-3 / 6);
  EXPECT_DOUBLE_EQ(reports[4].lr, 1e-3 * 5 / 6);
  EXPECT_DOUBLE_EQ(reports[5].lr, 1e-3);
  EXPECT_DOUBLE_EQ(reports[59].lr, 1e-3);
  const double early = (reports[0].bits_per_dim + reports[1].bits_per_dim + reports[2].bits_per_dim) / 3;
  const double late = (reports[57].bits_per_dim + reports[58].bits_per_dim + reports[59].bits_per_dim) / 3;
  EXPECT_LT(late, early - 0.5) << early << " -> " << late;
}

TEST_F(TrainerTest, NonFiniteStepsAreSkippedAndRepeatedOnesStopTheRun) {
  std::vector<StepReport> reports;
  // Batches counted from the first step: no initialisation batch before it.
  auto no_init = [](int64_t iterations) {
    auto o = options(iterations);
    o.actnorm_init = false;
    return o;
  };
  Trainer trainer(fresh_model(4), OutputCoding::continuous(1), sampler([](int i) { return i == 1; }), no_init(4));
  std::vector<torch::Tensor> before_skip;
  trainer.run([&](const StepReport& r) {
    reports.push_back(r);
    if (r.iteration == 1) {
      for (const auto& p : trainer.model()->parameters()) before_skip.push_back(p.detach().clone());
    } else if (r.iteration == 2) {  // the skipped step changed nothing
      const auto now = trainer.model()->parameters();
      for (size_t i = 0; i < before_skip.size(); ++i)
        EXPECT_TRUE(torch::equal(now[i], before_skip[i])) << "parameter " << i;
    }
  });
  ASSERT_EQ(reports.size(), 4u);
  EXPECT_FALSE(reports[0].skipped);
  EXPECT_TRUE(reports[1].skipped);
  EXPECT_FALSE(reports[2].skipped);
  for (const auto& p : trainer.model()->parameters()) EXPECT_TRUE(torch::isfinite(p).all().item<bool>());

  auto o = no_init(20);
  o.max_bad_steps = 3;
  Trainer doomed(fresh_model(4), OutputCoding::continuous(1), sampler([](int i) { return i >= 2; }), o);
  const auto stopped = training_error_of(doomed);
  EXPECT_NE(stopped.find("iteration 5"), std::string::npos) << "error: '" << stopped << "'";
  EXPECT_EQ(doomed.iteration(), 4);
  for (const auto& p : doomed.model()->parameters()) EXPECT_TRUE(torch::isfinite(p).all().item<bool>());

  // With the initialisation, a non-finite first batch is an error before any step.
  Trainer poisoned_start(fresh_model(4), OutputCoding::continuous(1), sampler([](int i) { return i == 0; }),
                         options(4));
  const auto refused = training_error_of(poisoned_start);
  EXPECT_NE(refused.find("first training batch"), std::string::npos) << "error: '" << refused << "'";
  EXPECT_EQ(poisoned_start.iteration(), 0);
}

// From batch `from` on (counted from 0, no initialisation batch), y is a thousand times larger: the
// loss leaps by thousands of bits/dim and stays there, finite, as after a divergence.
BatchSampler leaping_sampler(int from) {
  auto count = std::make_shared<int>(0);
  return [count, from](int64_t batch, torch::Generator& g, const Shard&) {
    auto x = torch::rand({batch, 1, 8, 8}, g);
    auto y = x - 0.5 + 0.05 * torch::randn({batch, 1, 8, 8}, g);
    return TrainingBatch{x, (*count)++ >= from ? 1000 * y : y};
  };
}

TEST_F(TrainerTest, ALeapOfTheLossThatLastsStopsTheRunAndNoneIsSteady) {
  auto o = options(100);
  o.actnorm_init = false;
  Trainer trainer(fresh_model(7), OutputCoding::continuous(1), leaping_sampler(60), o);
  std::vector<bool> steady;
  const auto stopped = [&] {
    try {
      trainer.run([&](const StepReport&) { steady.push_back(trainer.steady()); });
    } catch (const TrainingError& e) {
      return std::string(e.what());
    }
    return std::string();
  }();
  // The reference comes from steps 1-50; steps 61-86 leap, and with the 26th most of the last 50 have.
  EXPECT_NE(stopped.find("diverged by iteration 86"), std::string::npos) << "error: '" << stopped << "'";
  EXPECT_EQ(trainer.iteration(), 86);
  ASSERT_EQ(steady.size(), 85u);  // no report of the step that stopped the run
  EXPECT_TRUE(steady[59]);
  for (size_t i = 60; i < steady.size(); ++i) EXPECT_FALSE(steady[i]) << "iteration " << i + 1;

  o.divergence_margin = 0;  // unguarded: the same run goes on to the end
  Trainer unguarded(fresh_model(7), OutputCoding::continuous(1), leaping_sampler(60), o);
  EXPECT_EQ(training_error_of(unguarded), "");
  EXPECT_EQ(unguarded.iteration(), 100);
}

// A run resumed from a checkpoint is judged against what it had reached before, not against its own
// first block of steps, which would already be diverged here.
TEST_F(TrainerTest, AResumedRunKeepsItsDivergenceReference) {
  auto o = options(60);
  o.actnorm_init = false;
  Trainer first(fresh_model(8), OutputCoding::continuous(1), sampler(), o);
  first.run();
  first.save(path("run.pt"));
  o.iterations = 200;
  Trainer resumed(fresh_model(8), OutputCoding::continuous(1), leaping_sampler(0), o);
  resumed.resume(path("run.pt"));
  EXPECT_NE(training_error_of(resumed).find("diverged by iteration 86"), std::string::npos);
}

TEST(DivergenceGuard, ASpikeIsNotDivergenceButWaitsOutTheSteadySteps) {
  DivergenceGuard guard(1.0);
  for (int i = 0; i < 49; ++i) guard.add(5.0 - 0.01 * i);
  EXPECT_TRUE(std::isinf(guard.reference()));
  guard.add(100.0);  // completes the first block: its median is the reference, the spike is not
  EXPECT_NEAR(guard.reference(), 4.765, 1e-12);
  EXPECT_EQ(guard.leaps(), 1);
  EXPECT_FALSE(guard.steady());
  for (int i = 0; i < 9; ++i) guard.add(4.5);
  EXPECT_FALSE(guard.steady());  // the spike is still among the last ten
  guard.add(4.5);
  EXPECT_TRUE(guard.steady());
  for (int i = 0; i < 10; ++i) guard.add(5.7);  // above the reference, not by the margin
  EXPECT_TRUE(guard.steady());
  EXPECT_FALSE(guard.diverged());
}

TEST(DivergenceGuard, DivergesWhenMostOfTheLastFiftyLeap) {
  DivergenceGuard guard(1.0);
  for (int i = 0; i < 50; ++i) guard.add(-2.0);
  for (int i = 0; i < 25; ++i) guard.add(1e15);
  EXPECT_FALSE(guard.diverged());  // 25 of 50
  guard.add(-1.5);
  EXPECT_FALSE(guard.diverged());  // still 25
  guard.add(1e15);
  EXPECT_EQ(guard.leaps(), 26);
  EXPECT_EQ(guard.leaps(DivergenceGuard::kSteady), 9);
  EXPECT_TRUE(guard.diverged());
  EXPECT_EQ(guard.latest(), 1e15);
  EXPECT_NE(guard.verdict(127, "bits/dim").find("26 of its last 50 losses were more than 1 bits/dim"),
            std::string::npos)
      << guard.verdict(127, "bits/dim");
}

// A spike that passes, as a flow's at a high learning rate: twenty steps leap, then the loss is back.
TEST(DivergenceGuard, ASpikeOfTwentyStepsIsNotDivergence) {
  DivergenceGuard guard(1.0);
  for (int i = 0; i < 50; ++i) guard.add(-2.4);
  for (int i = 0; i < 20; ++i) guard.add(-0.6);
  EXPECT_EQ(guard.leaps(), 20);
  EXPECT_FALSE(guard.diverged());
  EXPECT_FALSE(guard.steady());
  for (int i = 0; i < 10; ++i) guard.add(-2.4);
  EXPECT_EQ(guard.leaps(), 20);  // the spike is still in the window that decides divergence, not in the last ten
  EXPECT_FALSE(guard.diverged());
  EXPECT_TRUE(guard.steady());
}

TEST(DivergenceGuard, MarginZeroTurnsItOff) {
  DivergenceGuard off(0.0);
  for (int i = 0; i < 50; ++i) off.add(-2.0);
  for (int i = 0; i < 50; ++i) off.add(1e15);
  EXPECT_EQ(off.leaps(), 0);
  EXPECT_FALSE(off.diverged());
  EXPECT_TRUE(off.steady());
}

TEST_F(TrainerTest, ResumingAnotherConfigurationOrAModelFileIsAClearError) {
  Trainer trainer(fresh_model(5), OutputCoding::continuous(1), sampler(), options(2));
  trainer.run();
  trainer.save(path("run.pt"));
  auto other = kConfig;
  other.steps = 3;
  torch::manual_seed(5);
  Trainer mismatched(CGlow(other), OutputCoding::continuous(1), sampler(), options(2));
  const auto untouched = mismatched.model()->parameters()[0].clone();
  EXPECT_THROW(mismatched.resume(path("run.pt")), CheckpointError);
  EXPECT_TRUE(torch::equal(mismatched.model()->parameters()[0], untouched));
  EXPECT_EQ(mismatched.iteration(), 0);
  save_model(trainer.model(), path("model.pt"));
  try {
    Trainer(fresh_model(5), OutputCoding::continuous(1), sampler(), options(2)).resume(path("model.pt"));
    FAIL();
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("no training state"), std::string::npos) << e.what();
  }
}

// y is x at a tenth of its scale plus a little noise: a flow that reads x explains it far better than the
// N(0, 0.1^2) it fits when it ignores x. Without the data-dependent actnorm initialisation such a flow
// spends its first steps on the scale alone and reads x much later (docs/results/denoising.md).
TEST_F(TrainerTest, AFreshRunOnASmallOutputLearnsToReadX) {
  auto config = testing::small_config({1, 8, 8}, {1, 8, 8});
  config.encoder_width = 8;
  config.actnorm_per_pixel = true;
  BatchSampler scaled_copy = [](int64_t batch, torch::Generator& g, const Shard&) {
    const auto x = torch::randn({batch, 1, 8, 8}, g);
    return TrainingBatch{x, 0.1 * x + 0.02 * torch::randn({batch, 1, 8, 8}, g)};
  };
  torch::manual_seed(6);
  auto o = options(400);
  o.batch_size = 16;
  ASSERT_TRUE(o.actnorm_init);  // the default
  std::vector<double> losses;
  Trainer trainer(CGlow(config), OutputCoding::continuous(1), scaled_copy, o);
  trainer.run([&](const StepReport& r) { losses.push_back(r.bits_per_dim); });
  // Ignoring x: 1/2 log2(2 pi e (0.1^2 + 0.02^2)) = -1.25 bits/dim.
  const double ignoring_x = 0.5 * std::log2(2 * M_PI * M_E * (0.01 + 0.0004));
  // Measured: -1.86 over the last 10 steps; -1.43 with actnorm_init off.
  const double late = std::accumulate(losses.end() - 10, losses.end(), 0.0) / 10;
  EXPECT_LT(late, ignoring_x - 0.4) << late;
}

TEST(Schedule, WarmsUpThenHoldsThenDecaysToZero) {
  TrainerOptions o;
  o.iterations = 100;
  o.adam.lr = 1.0;
  o.warmup = 10;
  o.decay = 20;
  EXPECT_DOUBLE_EQ(scheduled_lr(o, 0), 0.1);
  EXPECT_DOUBLE_EQ(scheduled_lr(o, 9), 1.0);
  EXPECT_DOUBLE_EQ(scheduled_lr(o, 50), 1.0);
  EXPECT_DOUBLE_EQ(scheduled_lr(o, 80), 1.0);
  EXPECT_DOUBLE_EQ(scheduled_lr(o, 90), 0.5);
  EXPECT_DOUBLE_EQ(scheduled_lr(o, 99), 0.05);
  o.decay = 0;
  EXPECT_DOUBLE_EQ(scheduled_lr(o, 99), 1.0);
}

TEST(GradientsFinite, ClipsAsClampDoesAndFindsEveryNonFiniteValue) {
  // `a` a long gradient and `c` a channels-last one (the one-pass loop, in memory order), `b` one with gaps
  // (every other column: the tensor operations).
  torch::manual_seed(0);
  auto a = torch::zeros({300000}, torch::requires_grad()), b = torch::zeros({5, 7}, torch::requires_grad());
  auto c = torch::zeros({3, 4, 5, 6}, torch::requires_grad());
  const auto ga = torch::randn({300000}), gb = torch::randn({5, 7});
  auto with_gaps = [](const torch::Tensor& t) {  // the same values, every other column of a wider tensor
    auto wide = torch::zeros({5, 14});
    wide.slice(1, 0, 14, 2).copy_(t);
    return wide.slice(1, 0, 14, 2);
  };
  const auto gc = torch::randn({3, 4, 5, 6}).contiguous(at::MemoryFormat::ChannelsLast);
  a.mutable_grad() = ga.clone();
  b.mutable_grad() = with_gaps(gb);
  c.mutable_grad() = gc.clone();
  ASSERT_FALSE(b.grad().is_non_overlapping_and_dense());
  ASSERT_FALSE(c.grad().is_contiguous());
  EXPECT_TRUE(gradients_finite({a, b, c}));
  EXPECT_TRUE(torch::equal(a.grad(), ga));  // no clip value: untouched
  EXPECT_TRUE(gradients_finite({a, b, c}, 0.25));
  EXPECT_TRUE(torch::equal(a.grad(), ga.clamp(-0.25, 0.25)));
  EXPECT_TRUE(torch::equal(b.grad(), gb.clamp(-0.25, 0.25)));
  EXPECT_TRUE(torch::equal(c.grad(), gc.clamp(-0.25, 0.25)));
  const float inf = std::numeric_limits<float>::infinity();
  for (const float bad : {std::numeric_limits<float>::quiet_NaN(), inf, -inf}) {
    for (const int64_t i : {0, 123457, 299999}) {
      for (const double clip : {0.25, 0.0}) {  // a fresh gradient each time: clipping turns infinities finite
        a.mutable_grad() = ga.clone();
        a.mutable_grad()[i].fill_(bad);
        EXPECT_FALSE(gradients_finite({a, b}, clip)) << bad << " at " << i << ", clip " << clip;
      }
    }
    a.mutable_grad() = ga.clone();
    b.mutable_grad() = with_gaps(gb);
    b.mutable_grad()[2][3].fill_(bad);
    EXPECT_FALSE(gradients_finite({a, b}, 0.25)) << bad << " in the gradient with gaps";
    b.mutable_grad() = with_gaps(gb);
    c.mutable_grad() = gc.clone();
    c.mutable_grad()[2][1][4][5].fill_(bad);
    EXPECT_FALSE(gradients_finite({a, b, c}, 0.25)) << bad << " in the channels-last gradient";
  }
  b.mutable_grad().reset();  // parameters without a gradient are passed over
  EXPECT_TRUE(gradients_finite({a, b}, 0.25));
}

TEST(WeightsSnapshot, RestoresTheParametersItCopied) {
  torch::manual_seed(0);
  torch::nn::Linear layer(3, 2);
  const WeightsSnapshot snapshot(*layer, 7);
  const auto weight = layer->weight.clone(), bias = layer->bias.clone();
  {
    torch::NoGradGuard no_grad;
    layer->weight.add_(1);
    layer->bias.mul_(3);
  }
  snapshot.restore(*layer);
  EXPECT_TRUE(torch::equal(layer->weight, weight));
  EXPECT_TRUE(torch::equal(layer->bias, bias));
  EXPECT_EQ(snapshot.iteration(), 7);
  EXPECT_THROW(snapshot.restore(*torch::nn::Conv2d(1, 1, 1)), std::exception) << "another module";
  // As many tensors, of shapes that copy_ would broadcast.
  EXPECT_THROW(WeightsSnapshot(*torch::nn::Linear(1, 1), 0).restore(*layer), std::exception)
      << "another module's shapes";
}

}  // namespace
}  // namespace cglow
