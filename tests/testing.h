// Helpers shared by the tests.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "cglow/config.h"

namespace cglow::testing {

// A c-Glow small enough that the tests run in seconds on two cores.
inline GlowConfig small_config(Shape x, Shape y, int64_t levels = 2, int64_t steps = 2) {
  GlowConfig c;
  c.x = x;
  c.y = y;
  c.levels = levels;
  c.steps = steps;
  c.cond_channels = 4;
  c.cond_width = 8;
  c.coupling_cond_channels = 4;
  c.coupling_width = 16;
  return c;
}

// Moves every parameter away from its initial value, so that layers that start as the identity (zero-
// initialised couplings and priors) are checked as the non-trivial maps they become in training.
inline void perturb(torch::nn::Module& module, double scale) {
  torch::NoGradGuard no_grad;
  // Drawn in index order, not in memory order as randn_like would (convolution weights are channels-last):
  // a test's model does not depend on how its weights lie in memory.
  for (auto& p : module.parameters()) p.add_(torch::randn(p.sizes(), p.options()) * scale);
}

// Expects `run` to throw std::invalid_argument whose message holds `message` (what a user reads).
inline void expect_invalid_argument(const std::function<void()>& run, const std::string& message) {
  try {
    run();
    ADD_FAILURE() << "no error; expected one holding: " << message;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
  }
}

inline double relative_error(const torch::Tensor& a, const torch::Tensor& b) {
  return ((a - b).norm() / b.norm().clamp_min(1e-30)).item<double>();
}

// A test with a fresh folder of its own under the system's temporary folder, removed afterwards.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("cglow_" + std::string(test->name()) + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::filesystem::path dir_;
};

}  // namespace cglow::testing
