#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "cglow/checkpoint.h"
#include "testing.h"

namespace cglow {
namespace {

namespace fs = std::filesystem;

class CheckpointTest : public testing::TempDirTest {
 protected:
  GlowConfig config_ = testing::small_config({3, 8, 8}, {2, 8, 8});
};

TEST_F(CheckpointTest, RoundTripGivesBitwiseIdenticalLogLikelihoods) {
  torch::manual_seed(1);
  CGlow model(config_);
  testing::perturb(*model, 0.05);
  save_model(model, path("m.pt"));
  auto loaded = load_model(path("m.pt"));
  EXPECT_EQ(describe_differences(loaded->config(), config_), "");
  torch::NoGradGuard no_grad;
  const auto x = torch::rand({4, 3, 8, 8}), y = torch::randn({4, 2, 8, 8});
  EXPECT_TRUE(torch::equal(model->log_prob(y, x), loaded->log_prob(y, x)));
  // load_weights into a fresh model of the same configuration too.
  torch::manual_seed(2);
  CGlow fresh(config_);
  EXPECT_FALSE(torch::equal(model->log_prob(y, x), fresh->log_prob(y, x)));
  load_weights(fresh, path("m.pt"));
  EXPECT_TRUE(torch::equal(model->log_prob(y, x), fresh->log_prob(y, x)));
}

// The convolutions run channels-last (cglow/channels_last.h), also with weights saved in another layout:
// checkpoints written before they did, whose weights are NCHW.
TEST_F(CheckpointTest, ConvolutionWeightsAreChannelsLastAfterBuildingAndLoading) {
  auto conv_weights = [](CGlow& model) {
    std::vector<torch::Tensor> out;
    for (const auto& m : model->modules(/*include_self=*/false))
      if (auto* conv = dynamic_cast<torch::nn::Conv2dImpl*>(m.get())) out.push_back(conv->weight);
    return out;
  };
  auto all_channels_last = [&](CGlow& model) {
    for (const auto& w : conv_weights(model))
      if (!w.is_contiguous(at::MemoryFormat::ChannelsLast)) return false;
    return true;
  };
  torch::manual_seed(1);
  CGlow model(config_);
  ASSERT_FALSE(conv_weights(model).empty());
  EXPECT_TRUE(all_channels_last(model));
  testing::perturb(*model, 0.05);
  torch::NoGradGuard no_grad;
  const auto x = torch::rand({4, 3, 8, 8}), y = torch::randn({4, 2, 8, 8});
  const auto expected = model->log_prob(y, x);
  for (auto& w : conv_weights(model)) w.set_data(w.contiguous());  // as an older cglow saved them
  ASSERT_FALSE(all_channels_last(model));
  save_model(model, path("nchw.pt"));
  auto loaded = load_model(path("nchw.pt"));
  EXPECT_TRUE(all_channels_last(loaded));
  EXPECT_LT((loaded->log_prob(y, x) - expected).abs().max().item<double>(), 1e-4);
}

TEST_F(CheckpointTest, AnotherConfigurationIsAClearError) {
  CGlow model(config_);
  save_model(model, path("m.pt"));
  auto other_config = config_;
  other_config.steps = 3;
  other_config.coupling_width = 32;
  CGlow other(other_config);
  try {
    load_weights(other, path("m.pt"));
    FAIL() << "loading into another configuration must fail";
  } catch (const CheckpointError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("m.pt"), std::string::npos) << what;
    EXPECT_NE(what.find("steps: 2 vs 3"), std::string::npos) << what;
    EXPECT_NE(what.find("coupling_width: 16 vs 32"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << "one line: " << what;
  }
}

TEST_F(CheckpointTest, MissingAndCorruptFilesAreClearErrors) {
  EXPECT_THROW(load_model(path("absent.pt")), CheckpointError);
  {
    std::ofstream(path("corrupt.pt")) << "not a checkpoint";
  }
  try {
    load_model(path("corrupt.pt"));
    FAIL() << "a corrupt file must not load";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("corrupt.pt"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
  // A LibTorch archive that is not a cglow model.
  torch::serialize::OutputArchive archive;
  archive.write("something", torch::ones({2}));
  save_archive_atomically(archive, path("foreign.pt"));
  EXPECT_THROW(load_model(path("foreign.pt")), CheckpointError);
}

TEST_F(CheckpointTest, WeightsLoadOnlyIntoAModuleOfTheSameArchitecture) {
  using torch::nn::Conv2d;
  using torch::nn::Sequential;
  torch::manual_seed(2);
  Sequential saved(Conv2d(3, 4, 3), Conv2d(4, 2, 1));
  torch::serialize::OutputArchive out;
  saved->save(out);
  save_archive_atomically(out, path("w.pt"));
  auto load_into = [&](Sequential module) {
    torch::serialize::InputArchive in;
    load_archive(in, path("w.pt"), torch::kCPU);
    load_weights(*module, in, "w.pt does not fit: ");
  };
  Sequential same(Conv2d(3, 4, 3), Conv2d(4, 2, 1));
  load_into(same);
  for (const auto& p : saved->named_parameters())
    EXPECT_TRUE(torch::equal(same->named_parameters()[p.key()], p.value())) << p.key();
  EXPECT_TRUE(same[0]->as<Conv2d>()->weight.is_contiguous(at::MemoryFormat::ChannelsLast));
  auto expect_misfit = [&](Sequential module, const std::string& why) {
    try {
      load_into(module);
      FAIL() << "loaded: " << why;
    } catch (const CheckpointError& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.rfind("w.pt does not fit: ", 0), 0u) << what;
      EXPECT_NE(what.find(why), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
  };
  expect_misfit(Sequential(Conv2d(3, 5, 3), Conv2d(5, 2, 1)), "its 0.weight is 4x3x3x3 where the model's is 5x3x3x3");
  expect_misfit(Sequential(Conv2d(3, 4, 3)), "it holds 1.bias, which the model has not");
  expect_misfit(Sequential(Conv2d(3, 4, 3), Conv2d(4, 2, 1), Conv2d(2, 2, 1)), "it lacks the model's 2.bias");
}

TEST_F(CheckpointTest, WritesReplaceWholeFilesAndFailuresLeaveNothingBehind) {
  torch::manual_seed(1);
  CGlow first(config_);
  save_model(first, path("m.pt"));
  torch::manual_seed(2);
  CGlow second(config_);
  save_model(second, path("m.pt"));  // over the first
  torch::NoGradGuard no_grad;
  const auto x = torch::rand({2, 3, 8, 8}), y = torch::randn({2, 2, 8, 8});
  EXPECT_TRUE(torch::equal(load_model(path("m.pt"))->log_prob(y, x), second->log_prob(y, x)));

  // A folder that does not exist: a clear error naming the file, and no file anywhere.
  try {
    save_model(second, path("missing/m.pt"));
    FAIL() << "writing into a missing folder must fail";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("missing/m.pt"), std::string::npos) << e.what();
  }
  for (const auto& entry : fs::directory_iterator(dir_))
    EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos) << entry.path();
}

}  // namespace
}  // namespace cglow
