// A group of conditioning networks evaluated together must be that many independent networks: network
// g's output depends on network g's weights only. And the flow's grouped evaluation must give every
// layer exactly the condition the layer computes on its own.
#include <gtest/gtest.h>

#include "cglow/cond/conditioning_net.h"
#include "cglow/cond/coupling_cond_net.h"
#include "cglow/flow/cglow.h"
#include "testing.h"

namespace cglow {
namespace {

constexpr int64_t kNetworks = 3;

// Each parameter's block for network g: the leading dimension split into kNetworks equal parts (output
// channels for convolutions, the network index for the fully connected layers).
torch::Tensor block(const torch::Tensor& t, int64_t g) {
  const int64_t size = t.size(0) / kNetworks;
  return t.narrow(0, g * size, size);
}

void expect_independent_networks(ConditioningNetworkImpl& group, const torch::Tensor& x) {
  for (int64_t g = 0; g < kNetworks; ++g) {
    group.zero_grad();
    group.forward(x).select(1, g).pow(2).sum().backward();
    for (const auto& p : group.named_parameters()) {
      for (int64_t other = 0; other < kNetworks; ++other) {
        const double mass = block(p.value().grad(), other).abs().sum().item<double>();
        if (other == g)
          EXPECT_GT(mass, 0.0) << p.key() << ": network " << g << " does not use its own weights";
        else
          EXPECT_EQ(mass, 0.0) << p.key() << ": network " << g << " uses network " << other << "'s weights";
      }
    }
  }
}

TEST(ConditioningGroup, ActnormAndConvNetworksAreIndependent) {
  torch::manual_seed(1);
  ConditioningNet group(Shape{3, 16, 16}, 4, 8, 4, 5, kNetworks);
  // The last layer starts small but not zero: every weight gets a gradient from the first step.
  expect_independent_networks(*group, torch::rand({2, 3, 16, 16}));
  EXPECT_EQ(group->forward(torch::rand({2, 3, 16, 16})).sizes(), torch::IntArrayRef({2, kNetworks, 5}));
}

TEST(ConditioningGroup, CouplingNetworksAreIndependent) {
  torch::manual_seed(2);
  CouplingCondNet group(Shape{3, 16, 16}, 4, 2, 4, 8, kNetworks);
  expect_independent_networks(*group, torch::rand({2, 3, 16, 16}));
  EXPECT_EQ(group->forward(torch::rand({2, 3, 16, 16})).sizes(), torch::IntArrayRef({2, kNetworks, 2, 4, 8}));
}

TEST(ConditioningGroup, FlowConditionEqualsEachLayersOwn) {
  torch::manual_seed(3);
  auto config = testing::small_config({3, 8, 8}, {2, 8, 8});
  config.split_prior_conditioned = true;
  CGlow model(config);
  testing::perturb(*model, 0.1);
  torch::NoGradGuard no_grad;
  const auto x = torch::rand({2, 3, 8, 8});
  const auto grouped = model->condition(x);
  Condition separate;
  for (const auto& layer : model->layers()) {
    const auto c = layer->condition(x);
    separate.insert(separate.end(), c.begin(), c.end());
  }
  ASSERT_EQ(grouped.size(), separate.size());
  for (size_t i = 0; i < grouped.size(); ++i) EXPECT_TRUE(torch::equal(grouped[i], separate[i])) << "tensor " << i;
}

}  // namespace
}  // namespace cglow
