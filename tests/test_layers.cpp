// Every invertible layer, and the whole flow, put through the same checks (one table, one line a case):
// the inverse undoes the forward pass, the log-determinant is the Jacobian's, gradients are finite, the
// conditioning networks learn, and x changes the output exactly where the layer is conditional.
#include <functional>
#include <map>

#include <gtest/gtest.h>

#include "cglow/flow/cglow.h"
#include "cglow/flow/cond_actnorm.h"
#include "cglow/flow/cond_affine_coupling.h"
#include "cglow/flow/cond_inv_conv1x1.h"
#include "cglow/flow/cond_shift.h"
#include "cglow/flow/split.h"
#include "cglow/flow/squeeze.h"
#include "testing.h"

namespace cglow {
namespace {

using testing::perturb;
using testing::relative_error;
using testing::small_config;

using Factory = std::function<std::shared_ptr<FlowLayerImpl>(const GlowConfig&, Shape)>;

struct LayerCase {
  std::string name;
  GlowConfig config;  // x is the input shape; y matters for the whole flow only
  Shape in;           // the layer's input shape
  bool conditional;   // whether x should change the layer's output
  Factory make;
};

// Names, not bytes, in failure messages.
void PrintTo(const LayerCase& c, std::ostream* os) { *os << c.name; }

template <typename Layer>
Factory layer() {
  return [](const GlowConfig& c, Shape in) { return std::make_shared<Layer>(c, in); };
}
Factory squeeze() {
  return [](const GlowConfig&, Shape) { return std::make_shared<SqueezeImpl>(); };
}
Factory whole_flow() {
  return [](const GlowConfig& c, Shape) { return std::make_shared<CGlowImpl>(c); };
}

GlowConfig with_conditioned_split(GlowConfig c) {
  c.split_prior_conditioned = true;
  return c;
}

// The shared U-Net encoder feeding the coupling layers and split priors (beyond the paper).
GlowConfig with_shared_encoder(GlowConfig c) {
  c.split_prior_conditioned = true;
  c.encoder_width = 4;
  return c;
}

// And its actnorm parameters per pixel, from the encoder too.
GlowConfig with_per_pixel_actnorm(GlowConfig c) {
  c = with_shared_encoder(c);
  c.actnorm_per_pixel = true;
  return c;
}

// And x itself beside the encoder's features.
GlowConfig with_x_beside_features(GlowConfig c) {
  c = with_per_pixel_actnorm(c);
  c.x_beside_features = true;
  return c;
}

// And the encoder's features one stage finer beside those of each level's resolution.
GlowConfig with_finer_features(GlowConfig c) {
  c = with_x_beside_features(c);
  c.finer_features = true;
  return c;
}

// And an encoder one halving deeper than the last level's resolution.
GlowConfig with_encoder_extra_depth(GlowConfig c) {
  c = with_per_pixel_actnorm(c);
  c.encoder_extra_depth = 1;
  return c;
}

// And the prediction shift on the encoder's full-resolution features before the first level, its head's
// outputs taken as they are or, for labels, through a link.
GlowConfig with_shift_by_prediction(GlowConfig c, const std::string& link = "identity") {
  c = with_finer_features(c);
  c.shift_by_prediction = true;
  c.prediction_link = link;
  return c;
}

const Shape kX{3, 8, 8};

std::vector<LayerCase> cases() {
  const auto cfg = small_config(kX, {2, 8, 8});
  return {
      {"CondActNorm", cfg, {4, 4, 4}, true, layer<CondActNormImpl>()},
      {"CondActNormOddShape", cfg, {6, 2, 4}, true, layer<CondActNormImpl>()},
      {"CondInvConv1x1", cfg, {4, 4, 4}, true, layer<CondInvConv1x1Impl>()},
      {"CondInvConv1x1OddShape", cfg, {6, 2, 4}, true, layer<CondInvConv1x1Impl>()},
      {"CondShift", cfg, {2, 8, 8}, true, layer<CondShiftImpl>()},
      {"CondShiftOddShape", cfg, {3, 2, 4}, true, layer<CondShiftImpl>()},
      {"CondAffineCoupling", cfg, {4, 4, 4}, true, layer<CondAffineCouplingImpl>()},
      {"CondAffineCouplingOddShape", cfg, {6, 2, 4}, true, layer<CondAffineCouplingImpl>()},
      {"Squeeze", cfg, {2, 4, 4}, false, squeeze()},
      {"SqueezeOddShape", cfg, {3, 2, 6}, false, squeeze()},
      {"Split", cfg, {4, 4, 4}, false, layer<SplitImpl>()},
      {"SplitConditioned", with_conditioned_split(cfg), {6, 2, 4}, true, layer<SplitImpl>()},
      {"CGlow", cfg, cfg.y, true, whole_flow()},
      {"CGlowConditionedSplit", with_conditioned_split(cfg), cfg.y, true, whole_flow()},
      // y smaller than x, as in inpainting; three levels down to 1x1.
      {"CGlowInpaintingShapes", small_config({3, 16, 16}, {1, 8, 8}, 3, 1), {1, 8, 8}, true, whole_flow()},
      {"CGlowSharedEncoder", with_shared_encoder(cfg), cfg.y, true, whole_flow()},
      {"CGlowSharedEncoderWide", with_shared_encoder(small_config({3, 8, 16}, {2, 8, 16})), {2, 8, 16}, true,
       whole_flow()},
      {"CGlowSharedEncoderInpaintingShapes", with_shared_encoder(small_config({3, 16, 16}, {1, 8, 8}, 3, 1)), {1, 8, 8},
       true, whole_flow()},
      {"CGlowPerPixelActNorm", with_per_pixel_actnorm(cfg), cfg.y, true, whole_flow()},
      {"CGlowPerPixelActNormInpaintingShapes", with_per_pixel_actnorm(small_config({3, 16, 16}, {1, 8, 8}, 3, 1)),
       {1, 8, 8}, true, whole_flow()},
      {"CGlowXBesideFeatures", with_x_beside_features(cfg), cfg.y, true, whole_flow()},
      {"CGlowXBesideFeaturesInpaintingShapes", with_x_beside_features(small_config({3, 16, 16}, {1, 8, 8}, 3, 1)),
       {1, 8, 8}, true, whole_flow()},
      {"CGlowFinerFeatures", with_finer_features(cfg), cfg.y, true, whole_flow()},
      {"CGlowFinerFeaturesInpaintingShapes", with_finer_features(small_config({3, 16, 16}, {1, 8, 8}, 3, 1)),
       {1, 8, 8}, true, whole_flow()},
      {"CGlowEncoderExtraDepth", with_encoder_extra_depth(cfg), cfg.y, true, whole_flow()},
      {"CGlowShiftByPrediction", with_shift_by_prediction(cfg), cfg.y, true, whole_flow()},
      {"CGlowShiftByPredictionInpaintingShapes",
       with_shift_by_prediction(small_config({3, 16, 16}, {1, 8, 8}, 3, 1)), {1, 8, 8}, true, whole_flow()},
      {"CGlowShiftByPredictionSigmoid", with_shift_by_prediction(cfg, "sigmoid"), cfg.y, true, whole_flow()},
      {"CGlowShiftByPredictionSoftmax", with_shift_by_prediction(cfg, "softmax"), cfg.y, true, whole_flow()},
  };
}

class LayerTest : public ::testing::TestWithParam<LayerCase> {
 protected:
  // The case's layer, seeded, moved away from its initial value and converted to `dtype`.
  std::shared_ptr<FlowLayerImpl> perturbed(torch::Dtype dtype) {
    torch::manual_seed(7);
    auto l = GetParam().make(GetParam().config, GetParam().in);
    perturb(*l, 0.1);
    l->to(dtype);
    return l;
  }
  torch::Tensor random_y(int64_t batch, torch::Dtype dtype) {
    const auto& s = GetParam().in;
    return torch::randn({batch, s.channels, s.height, s.width}, torch::dtype(dtype));
  }
  torch::Tensor random_x(int64_t batch, torch::Dtype dtype) {
    const auto& s = GetParam().config.x;
    return torch::rand({batch, s.channels, s.height, s.width}, torch::dtype(dtype));
  }
};

Condition row(const Condition& c, int64_t b) {
  Condition out;
  for (const auto& t : c) out.push_back(t.narrow(0, b, 1));
  return out;
}

// How far float32 may drift on a round trip. A single layer comes back within about one rounding step
// (1e-7), a whole perturbed flow within 0.5e-6 to 1.1e-5 depending on the CPU's kernels (the wide shared
// encoder: under 1e-5 on an AVX-512 Xeon, 1.07e-5 on an AVX2 EPYC), as rounding compounds through its
// perturbed 1x1 convolutions and scales. A wrong inverse is off by order 1; exactness is checked in float64.
constexpr double kFloat32RoundTrip = 1e-4;

TEST_P(LayerTest, InverseOfForwardIsIdentityInFloat32) {
  auto l = perturbed(torch::kFloat32);
  torch::NoGradGuard no_grad;
  const auto y = random_y(3, torch::kFloat32), x = random_x(3, torch::kFloat32);
  const auto c = l->condition(x);
  const auto out = l->forward(y, c);
  ASSERT_EQ(out.z.numel(), y.numel());
  ASSERT_EQ(out.logdet.sizes(), torch::IntArrayRef({3}));
  EXPECT_LT(relative_error(l->inverse(out.z, c), y), kFloat32RoundTrip);
}

TEST_P(LayerTest, InverseOfForwardIsIdentityInFloat64) {
  auto l = perturbed(torch::kFloat64);
  torch::NoGradGuard no_grad;
  const auto y = random_y(3, torch::kFloat64), x = random_x(3, torch::kFloat64);
  const auto c = l->condition(x);
  EXPECT_LT(relative_error(l->inverse(l->forward(y, c).z, c), y), 1e-10);
  // And the other way round: forward undoes inverse.
  const auto z = l->forward(y, c).z;
  EXPECT_LT(relative_error(l->forward(l->inverse(z, c), c).z, z), 1e-10);
}

TEST_P(LayerTest, LogDetEqualsLogDetOfAutogradJacobian) {
  auto l = perturbed(torch::kFloat64);
  const int64_t batch = 2;
  const auto y = random_y(batch, torch::kFloat64), x = random_x(batch, torch::kFloat64);
  Condition c;
  {
    torch::NoGradGuard no_grad;
    c = l->condition(x);
  }
  for (int64_t b = 0; b < batch; ++b) {
    const auto yb = y.narrow(0, b, 1).clone().requires_grad_(true);
    const auto out = l->forward(yb, row(c, b));
    const auto z = out.z.flatten();
    const int64_t d = yb.numel();
    auto jacobian = torch::empty({d, d}, torch::kFloat64);
    for (int64_t i = 0; i < d; ++i)
      jacobian[i] = torch::autograd::grad({z[i]}, {yb}, {}, /*retain_graph=*/true)[0].flatten();
    const auto expected = std::get<1>(torch::linalg_slogdet(jacobian)).item<double>();
    EXPECT_NEAR(out.logdet.item<double>(), expected, 1e-8) << "sample " << b;
  }
}

TEST_P(LayerTest, GradientsAreFinite) {
  auto l = perturbed(torch::kFloat32);
  const auto y = random_y(3, torch::kFloat32).requires_grad_(true), x = random_x(3, torch::kFloat32);
  const auto out = l->forward(y, l->condition(x));
  (-(standard_normal_log_prob(out.z.flatten(1)) + out.logdet).mean()).backward();
  EXPECT_TRUE(torch::isfinite(y.grad()).all().item<bool>());
  for (const auto& p : l->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_TRUE(torch::isfinite(p.value().grad()).all().item<bool>()) << p.key();
  }
}

// From the initialisation, a few Adam steps on the likelihood must reach every parameter tensor (every
// conditioning network among them), and afterwards x must change the output of a conditional layer and
// must not change that of an unconditional one. The authors' code fails this: its actnorm and 1x1
// conditioning networks start with two zero layers before a ReLU and never get a gradient.
TEST_P(LayerTest, ConditioningNetworksLearnAndXChangesTheOutput) {
  torch::manual_seed(3);
  auto l = GetParam().make(GetParam().config, GetParam().in);
  std::map<std::string, double> gradient_mass;
  if (!l->parameters().empty()) {
    torch::optim::Adam optimizer(l->parameters(), torch::optim::AdamOptions(1e-3));
    for (int step = 0; step < 3; ++step) {
      const auto y = random_y(4, torch::kFloat32), x = random_x(4, torch::kFloat32);
      const auto out = l->forward(y, l->condition(x));
      optimizer.zero_grad();
      (-(standard_normal_log_prob(out.z.flatten(1)) + out.logdet).mean()).backward();
      for (const auto& p : l->named_parameters()) gradient_mass[p.key()] += p.value().grad().abs().sum().item<double>();
      optimizer.step();
    }
  }
  for (const auto& p : l->named_parameters())
    EXPECT_GT(gradient_mass[p.key()], 0.0) << p.key() << " never received a gradient";

  torch::NoGradGuard no_grad;
  const auto y = random_y(2, torch::kFloat32);
  const auto x1 = random_x(2, torch::kFloat32), x2 = random_x(2, torch::kFloat32);
  const auto z1 = l->forward(y, l->condition(x1)).z, z2 = l->forward(y, l->condition(x2)).z;
  if (GetParam().conditional)
    EXPECT_GT(relative_error(z1, z2), 1e-6) << "x does not change the output";
  else
    EXPECT_TRUE(torch::equal(z1, z2)) << "an unconditional layer depends on x";

  // In the whole flow, every conditional layer must see x, not just the flow as a whole.
  // (The flow's condition() lists every layer's conditions in layer order.)
  if (auto flow = std::dynamic_pointer_cast<CGlowImpl>(l)) {
    const auto c1 = flow->condition(x1), c2 = flow->condition(x2);
    size_t t = 0;
    for (size_t i = 0; i < flow->layers().size(); ++i)
      for (size_t k = 0; k < flow->layers()[i]->condition_size(); ++k, ++t)
        EXPECT_GT(relative_error(c1[t], c2[t]), 1e-7) << "layer " << i << " condition " << k << " ignores x";
    EXPECT_EQ(t, c1.size());
  }
}

// Glow's data-dependent initialisation: outputs far from unit scale come out of the initialised flow
// with zero mean and unit variance (each actnorm standardises its input; the rest starts near the identity).
TEST_P(LayerTest, ActNormInitialisationStandardisesTheLatents) {
  torch::manual_seed(5);
  auto flow = std::dynamic_pointer_cast<CGlowImpl>(GetParam().make(GetParam().config, GetParam().in));
  if (!flow) GTEST_SKIP() << "a whole-flow check";
  torch::NoGradGuard no_grad;
  const auto y = 3.0 + 0.05 * random_y(64, torch::kFloat32), x = random_x(64, torch::kFloat32);
  EXPECT_GT(flow->forward(y, flow->condition(x)).z.pow(2).mean().item<double>(), 4.0);
  flow->initialize_actnorms(y, x);
  const auto z = flow->forward(y, flow->condition(x)).z;
  EXPECT_LT(z.mean().abs().item<double>(), 0.05);
  EXPECT_NEAR(z.std().item<double>(), 1.0, 0.1);
}

// From a batch of 2, the first level's actnorms (4x4 pixels) see 32 values per channel, the second's
// (2x2) 8 and the third's (1x1) 2: too few to estimate a spread from, so those two keep their identity
// start. From a batch of 8 only the third's do.
TEST(ActNormInitialisation, KeepsTheIdentityWhereAChannelHasTooFewValues) {
  torch::manual_seed(5);
  for (const int64_t batch : {2, 8}) {
    CGlow flow(testing::small_config({1, 8, 8}, {1, 8, 8}, 3, 1));
    flow->initialize_actnorms(3.0 + 0.05 * torch::randn({batch, 1, 8, 8}), torch::rand({batch, 1, 8, 8}));
    std::vector<bool> initialised;
    for (const auto& p : flow->named_parameters())
      if (p.key().find("base_log_scale") != std::string::npos)
        initialised.push_back(p.value().abs().sum().item<double>() > 0);
    EXPECT_EQ(initialised, (std::vector<bool>{true, batch >= 8, false})) << "batch " << batch;
  }
}

// Opt-in: runs where LibTorch has CUDA (the GPU script), skips elsewhere.
TEST_P(LayerTest, CudaMatchesCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  auto l = perturbed(torch::kFloat32);
  torch::NoGradGuard no_grad;
  const auto y = random_y(3, torch::kFloat32), x = random_x(3, torch::kFloat32);
  const auto cpu = l->forward(y, l->condition(x));
  l->to(torch::kCUDA);
  const auto yc = y.cuda(), xc = x.cuda();
  const auto c = l->condition(xc);
  const auto gpu = l->forward(yc, c);
  EXPECT_LT(relative_error(gpu.z.cpu(), cpu.z), 1e-4);
  EXPECT_LT((gpu.logdet.cpu() - cpu.logdet).abs().max().item<double>(),
            1e-4 * (1 + cpu.logdet.abs().max().item<double>()));
  EXPECT_LT(relative_error(l->inverse(gpu.z, c).cpu(), y), kFloat32RoundTrip);
}

INSTANTIATE_TEST_SUITE_P(AllLayers, LayerTest, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<LayerCase>& param) { return param.param.name; });

}  // namespace
}  // namespace cglow
