// A group of conditioning networks evaluated together must be that many independent networks: network
// g's output depends on network g's weights only. And the flow's grouped evaluation must give every
// layer exactly the condition the layer computes on its own.
#include <gtest/gtest.h>

#include "cglow/cond/conditioning_net.h"
#include "cglow/cond/coupling_cond_net.h"
#include "cglow/cond/recompute.h"
#include "cglow/flow/cglow.h"
#include "cglow/flow/cond_affine_coupling.h"
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

// With x_beside_features the coupling layers see x even when the shared encoder tells them nothing
// (every encoder weight zero, so its features are the same for every x); without it, they do not.
TEST(XBesideFeatures, ReachesTheCouplingsPastTheEncoder) {
  for (const bool beside : {true, false}) {
    torch::manual_seed(4);
    auto config = testing::small_config({3, 8, 8}, {2, 8, 8});
    config.encoder_width = 4;
    config.x_beside_features = beside;
    CGlow model(config);
    torch::NoGradGuard no_grad;
    for (auto& p : model->named_parameters())
      if (p.key().rfind("encoder.", 0) == 0) p.value().zero_();
    const auto a = model->condition(torch::rand({1, 3, 8, 8})), b = model->condition(torch::rand({1, 3, 8, 8}));
    size_t at = 0, couplings = 0;
    for (const auto& layer : model->layers()) {
      if (dynamic_cast<CondAffineCouplingImpl*>(layer.get())) {
        ++couplings;
        EXPECT_EQ(torch::equal(a[at], b[at]), !beside) << "x beside the features: " << beside << ", tensor " << at;
      }
      at += layer->condition_size();
    }
    EXPECT_EQ(couplings, 4u);
  }
}

// The gradients of the first coupling layer's condition, for x of `config`'s shape, in the weights of
// `model` whose names start with `prefix`: a network that reaches that condition gives them all non-zero.
std::vector<torch::Tensor> first_coupling_gradients(CGlow& model, const GlowConfig& config, const std::string& prefix) {
  std::vector<torch::Tensor> weights;
  for (auto& p : model->named_parameters())
    if (p.key().rfind(prefix, 0) == 0) weights.push_back(p.value());
  EXPECT_FALSE(weights.empty()) << prefix;
  const auto condition = model->condition(torch::rand({2, config.x.channels, config.x.height, config.x.width}));
  size_t at = 0;
  for (const auto& layer : model->layers()) {
    if (dynamic_cast<CondAffineCouplingImpl*>(layer.get())) break;
    at += layer->condition_size();
  }
  return torch::autograd::grad({condition.at(at).square().sum()}, weights, {}, true, false, true);
}

void expect_all_nonzero(const std::vector<torch::Tensor>& grads) {
  for (size_t i = 0; i < grads.size(); ++i) {
    ASSERT_TRUE(grads[i].defined()) << "weight " << i;
    EXPECT_GT(grads[i].abs().sum().item<double>(), 0.0) << "weight " << i;
  }
}

// With finer_features the first level's couplings read the encoder's full-resolution decoder stage
// (which exists only then): their condition has a gradient in its weights.
TEST(FinerFeatures, ReachTheFirstLevelsCouplings) {
  torch::manual_seed(4);
  auto config = testing::small_config({3, 8, 8}, {2, 8, 8});
  config.encoder_width = 4;
  config.finer_features = true;
  CGlow model(config);
  expect_all_nonzero(first_coupling_gradients(model, config, "encoder.up0."));
}

// With encoder_extra_depth the encoder halves x below the last level's resolution (8x8 -> 1x1 here,
// the last level at 2x2), and that bottom stage reaches even the first level's couplings (at 4x4)
// through the decoder.
TEST(EncoderExtraDepth, ReachesTheFirstLevelsCouplings) {
  torch::manual_seed(4);
  auto config = testing::small_config({3, 8, 8}, {2, 8, 8});
  config.encoder_width = 4;
  config.encoder_extra_depth = 1;
  CGlow model(config);
  expect_all_nonzero(first_coupling_gradients(model, config, "encoder.down3."));
  config.encoder_extra_depth = 0;  // without it, the encoder stops at the last level's 2x2
  CGlow shallow(config);
  for (auto& p : shallow->named_parameters()) EXPECT_NE(p.key().rfind("encoder.down3.", 0), 0u) << p.key();
}

}  // namespace
}  // namespace cglow

namespace cglow {
namespace {

// Recomputing in the backward pass gives the gradients of the plain forward pass, for x and every
// parameter, and leaves frozen parameters alone.
TEST(Recompute, GradientsEqualThoseOfThePlainForwardPass) {
  torch::manual_seed(4);
  torch::nn::Sequential layers(torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 6, 3).padding(1)),
                               torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.1).inplace(true)),
                               torch::nn::Conv2d(torch::nn::Conv2dOptions(6, 4, 2).stride(2)));
  const auto x = torch::rand({2, 3, 8, 8}).requires_grad_(true);
  const auto weights = torch::randn({2, 4, 4, 4});
  auto gradients = [&](bool recompute) {
    layers->zero_grad();
    x.mutable_grad().reset();
    const auto out = recompute ? forward_recomputed(layers, x) : layers->forward(x);
    (out * weights).sum().backward();
    std::vector<torch::Tensor> g{x.grad().clone()};
    for (const auto& p : layers->parameters()) g.push_back(p.grad().defined() ? p.grad().clone() : torch::Tensor());
    return g;
  };
  const auto plain = gradients(false), recomputed = gradients(true);
  ASSERT_EQ(plain.size(), recomputed.size());
  for (size_t i = 0; i < plain.size(); ++i) EXPECT_TRUE(torch::allclose(plain[i], recomputed[i], 1e-5, 1e-6)) << i;

  layers->parameters()[0].requires_grad_(false);
  const auto frozen = gradients(true);
  // No gradient reaches a frozen parameter (zero_grad left it at zero), and the others are unchanged.
  EXPECT_TRUE(!frozen[1].defined() || frozen[1].abs().sum().item<double>() == 0.0);
  EXPECT_TRUE(torch::allclose(frozen[2], plain[2], 1e-5, 1e-6));
}

}  // namespace
}  // namespace cglow
