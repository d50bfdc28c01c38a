#include <gtest/gtest.h>

#include "cglow/train/adam.h"

namespace cglow {
namespace {

// The one-pass update is torch::optim::Adam's mathematics.
TEST(Adam, MatchesLibTorchsAdam) {
  torch::manual_seed(1);
  // The third is laid out as the convolutions' weights are (channels-last): the one-pass update walks it
  // in memory order, and its moments must be laid out alike.
  std::vector<torch::Tensor> ours{torch::randn({300, 70}), torch::randn({5}),
                                  torch::randn({4, 6, 3, 3}).contiguous(at::MemoryFormat::ChannelsLast)},
      theirs, initial;
  for (auto& p : ours) {
    initial.push_back(p.clone());
    p.requires_grad_(true);
    theirs.push_back(p.detach().clone().requires_grad_(true));
  }
  Adam adam(ours, {1e-2, 0.9, 0.999, 1e-8});
  torch::optim::Adam reference(theirs, torch::optim::AdamOptions(1e-2).betas({0.9, 0.999}).eps(1e-8));
  for (int step = 0; step < 20; ++step) {
    const auto target = torch::randn({300, 70}), target2 = torch::randn({4, 6, 3, 3});
    adam.zero_grad();
    reference.zero_grad();
    // The second parameter gets no gradient in the first five steps: its bias correction starts later.
    auto loss = [&](const std::vector<torch::Tensor>& p) {
      const auto both = (p[0] - target).pow(2).sum() + (p[2] - target2).pow(2).sum();
      return step < 5 ? both : both + p[1].pow(4).sum();
    };
    loss(ours).backward();
    loss(theirs).backward();
    adam.step();
    reference.step();
  }
  EXPECT_EQ(adam.steps(), 20);
  for (size_t i = 0; i < ours.size(); ++i) {
    EXPECT_GT((ours[i] - initial[i]).abs().max().item<double>(), 1e-2) << "parameter " << i << " did not move";
    EXPECT_LT((ours[i] - theirs[i]).abs().max().item<double>(), 1e-5) << "parameter " << i;
  }
}

// A gradient set by hand can be laid out unlike its parameter and moments: the one-pass update, which walks
// memory, must then not take element i of one for element i of the other. Dimensions of size 1 may differ
// in stride (a 1x1 convolution's weight and its gradient do), and that alone must not matter either.
TEST(Adam, GradientsLaidOutUnlikeTheirParametersUpdateTheRightEntries) {
  torch::manual_seed(2);
  std::vector<torch::Tensor> ours{torch::randn({4, 6, 3, 3}).contiguous(at::MemoryFormat::ChannelsLast),
                                  torch::randn({4, 1, 1, 6}).permute({0, 3, 1, 2})},  // [4, 6, 1, 1]
      theirs;
  ASSERT_EQ(ours[1].strides(), torch::IntArrayRef({6, 1, 6, 6}));
  for (auto& p : ours) {
    p.requires_grad_(true);
    theirs.push_back(p.detach().clone().requires_grad_(true));
  }
  Adam adam(ours, {1e-2, 0.9, 0.999, 1e-8});
  torch::optim::Adam reference(theirs, torch::optim::AdamOptions(1e-2).betas({0.9, 0.999}).eps(1e-8));
  for (int step = 0; step < 3; ++step) {
    for (size_t i = 0; i < ours.size(); ++i) {
      const auto g = torch::randn(ours[i].sizes());  // NCHW-contiguous
      ours[i].mutable_grad() = g.clone();
      theirs[i].mutable_grad() = g.clone();
    }
    adam.step();
    reference.step();
  }
  for (size_t i = 0; i < ours.size(); ++i)
    EXPECT_LT((ours[i] - theirs[i]).abs().max().item<double>(), 1e-5) << "parameter " << i;
}

TEST(Adam, ZeroGradDropsGradientsAndSkipsParametersWithout) {
  auto p = torch::ones({3}).requires_grad_(true);
  Adam adam({p}, {});
  (p * 2).sum().backward();
  adam.zero_grad();
  EXPECT_FALSE(p.grad().defined());
  adam.step();
  EXPECT_TRUE(torch::equal(p.detach(), torch::ones({3})));
}

TEST(Adam, SaveAndLoadResumeExactly) {
  torch::manual_seed(2);
  auto a = torch::randn({50}).requires_grad_(true);
  auto b = a.detach().clone().requires_grad_(true);
  Adam first({a}, {1e-2}), second({b}, {1e-2});
  auto train = [](Adam& adam, torch::Tensor& p, int steps, int seed) {
    for (int i = 0; i < steps; ++i) {
      torch::manual_seed(seed + i);
      adam.zero_grad();
      (p - torch::randn({50})).pow(2).sum().backward();
      adam.step();
    }
  };
  train(first, a, 10, 0);
  train(second, b, 5, 0);
  torch::serialize::OutputArchive out;
  second.save(out);
  std::stringstream buffer;
  out.save_to(buffer);
  torch::serialize::InputArchive in;
  in.load_from(buffer);
  Adam resumed({b}, {1e-2});
  resumed.load(in);
  EXPECT_EQ(resumed.steps(), 5);
  train(resumed, b, 5, 5);
  EXPECT_TRUE(torch::equal(a, b));
}

}  // namespace
}  // namespace cglow
