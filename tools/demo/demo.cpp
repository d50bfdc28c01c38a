// A first look at c-Glow: inpaint the hidden centre of Fashion-MNIST images (the built-in default data).
// Trains a small model for a few minutes on the CPU, then writes samples, their mean and their
// per-pixel standard deviation as a PNG grid.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cglow/checkpoint.h"
#include "cglow/data/fashion_mnist.h"
#include "cglow/data/image_grid.h"
#include "cglow/flow/cglow.h"
#include "cglow/inference.h"
#include "cglow/output_coding.h"
#include "cglow/runtime.h"
#include "cglow/train/adam.h"

namespace {

constexpr int64_t kSide = 32;   // images padded from 28 to 32 so that two levels of squeezing divide them
constexpr int64_t kBlock = 16;  // the hidden centre: a quarter of the pixels, as in the paper's inpainting
constexpr int64_t kOffset = (kSide - kBlock) / 2;

struct Pairs {
  torch::Tensor x;       // the image with its centre hidden (zero), [N, 1, 32, 32]
  torch::Tensor y;       // the hidden centre, [N, 1, 16, 16], in [0, 1]
  torch::Tensor images;  // the whole padded images, for pictures
};

Pairs make_pairs(const torch::Tensor& images28) {
  const int64_t pad = (kSide - 28) / 2;
  auto images = torch::constant_pad_nd(images28, {pad, pad, pad, pad});
  auto x = images.clone();
  x.narrow(2, kOffset, kBlock).narrow(3, kOffset, kBlock).zero_();
  auto y = images.narrow(2, kOffset, kBlock).narrow(3, kOffset, kBlock).clone();
  return {x, y, images};
}

torch::Tensor fill_centre(const torch::Tensor& x, const torch::Tensor& centre) {
  auto out = x.clone();
  out.narrow(1, kOffset, kBlock).narrow(2, kOffset, kBlock).copy_(centre);
  return out;
}

std::string duration(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%d:%02d", static_cast<int>(seconds) / 60, static_cast<int>(seconds) % 60);
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cglow-demo: train a small c-Glow to inpaint Fashion-MNIST and draw its samples"};
  std::string data_dir = cglow::kFashionMnistDir;
  std::string out_dir = "cglow-demo-out";
  int64_t iterations = 3000, batch = 32;
  int threads = 0;
  double lr = 1e-3;
  uint64_t seed = 1;
  app.add_option("--data", data_dir, "Fashion-MNIST folder (IDX files, gzip)")->capture_default_str();
  app.add_option("--out", out_dir, "where the model and pictures go")->capture_default_str();
  app.add_option("--iterations", iterations, "training iterations")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--batch", batch, "mini-batch size")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--lr", lr, "Adam learning rate")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--threads", threads, "CPU threads (0: one per hardware thread)")->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--seed", seed, "random seed")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  try {
    cglow::configure_runtime(threads);
    torch::manual_seed(seed);
    std::filesystem::create_directories(out_dir);

    const auto train = make_pairs(cglow::fashion_mnist_images(data_dir, true));
    const auto test = make_pairs(cglow::fashion_mnist_images(data_dir, false).narrow(0, 0, 500));
    const auto coding = cglow::OutputCoding::continuous(1, 1.0 / 255);  // 8-bit pixels

    cglow::GlowConfig config;
    config.x = {1, kSide, kSide};
    config.y = {1, kBlock, kBlock};
    config.levels = 2;
    config.steps = 4;
    config.cond_channels = 16;
    config.cond_width = 64;
    config.coupling_width = 64;
    cglow::CGlow model(config);
    cglow::Adam optimizer(model->parameters(), {lr});
    std::cout << "c-Glow inpainting on Fashion-MNIST: " << train.x.size(0) << " training images, "
              << config.y.height << "x" << config.y.width << " hidden centre, "
              << model->parameters().size() << " parameter tensors\n";

    auto test_bpd = [&] {
      torch::NoGradGuard no_grad;
      auto y = coding.dequantize(test.y - 0.5);
      return cglow::bits_per_dim(model->log_prob(y, test.x), config.y.numel(), coding).mean().item<double>();
    };
    std::cout << "test bits/dim at start: " << test_bpd() << "\n";

    const auto start = std::chrono::steady_clock::now();
    double smoothed = 0;
    for (int64_t it = 1; it <= iterations; ++it) {
      const auto index = torch::randint(train.x.size(0), {batch}, torch::kLong);
      const auto y = coding.dequantize(train.y.index_select(0, index) - 0.5);
      const auto loss = cglow::bits_per_dim(model->log_prob(y, train.x.index_select(0, index)), config.y.numel(), coding).mean();
      optimizer.zero_grad();
      loss.backward();
      // Guards against the rare spike of a flow's gradient early in training.
      torch::nn::utils::clip_grad_norm_(model->parameters(), 50.0);
      optimizer.step();
      smoothed = it == 1 ? loss.item<double>() : 0.95 * smoothed + 0.05 * loss.item<double>();
      if (it % 25 == 0 || it == iterations) {
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const double rate = it / elapsed;
        std::printf("\riter %6lld/%lld  loss %.3f bits/dim  %.1f it/s  elapsed %s  ETA %s   ", static_cast<long long>(it),
                    static_cast<long long>(iterations), smoothed, rate, duration(elapsed).c_str(),
                    duration((iterations - it) / rate).c_str());
        std::fflush(stdout);
      }
    }
    std::cout << "\ntest bits/dim after training: " << test_bpd() << "\n";

    const std::string model_path = out_dir + "/model.pt";
    cglow::save_model(model, model_path);

    constexpr int64_t kShown = 8, kSamples = 4;
    const auto x = test.x.narrow(0, 0, kShown);
    const auto prediction = cglow::predict(model, x, 10);
    const auto mse = (prediction.mean + 0.5 - test.y.narrow(0, 0, kShown)).pow(2).mean().item<double>();
    std::vector<std::vector<torch::Tensor>> rows;
    for (int64_t i = 0; i < kShown; ++i) {
      std::vector<torch::Tensor> row{x[i], test.images[i]};
      for (int64_t s = 0; s < kSamples; ++s) row.push_back(fill_centre(x[i], prediction.samples[i][s] + 0.5));
      row.push_back(fill_centre(x[i], prediction.mean[i] + 0.5));
      row.push_back(prediction.stddev[i] / prediction.stddev.max().clamp_min(1e-8));
      rows.push_back(row);
    }
    const std::string grid_path = out_dir + "/samples.png";
    cglow::write_image_grid(grid_path, rows, /*min_cell=*/96);
    std::printf("mean-of-10-samples PSNR on the hidden centre (8 test images): %.2f dB\n", -10 * std::log10(mse));
    std::cout << "wrote " << model_path << " and " << grid_path
              << " (columns: input, truth, 4 samples, mean of 10, standard deviation)\n";
  } catch (const std::exception& e) {
    std::cerr << "cglow-demo: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
