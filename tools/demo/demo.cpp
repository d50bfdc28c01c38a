// A first look at c-Glow: inpaint the hidden centre of Fashion-MNIST images (the built-in default data).
// Trains a small model for a few minutes on the CPU, then writes samples, their mean and their
// per-pixel standard deviation as a PNG grid.
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cglow/checkpoint.h"
#include "cglow/data/fashion_mnist.h"
#include "cglow/data/image_grid.h"
#include "cglow/inference.h"
#include "cglow/run/progress.h"
#include "cglow/runtime.h"
#include "cglow/tasks/inpainting_task.h"
#include "cglow/train/trainer.h"

int main(int argc, char** argv) {
  CLI::App app{"cglow-demo: train a small c-Glow to inpaint Fashion-MNIST and draw its samples"};
  std::string data_dir = cglow::kFashionMnistDir;
  std::string out_dir = "cglow-demo-out";
  cglow::TrainerOptions options;
  options.iterations = 3000;
  options.batch_size = 32;
  options.adam.lr = 1e-3;
  options.clip_value = 0;  // with batches of 32 the gradients are tame
  int threads = 0;
  app.add_option("--data", data_dir, "Fashion-MNIST folder (IDX files, gzip)")->capture_default_str();
  app.add_option("--out", out_dir, "where the model and pictures go")->capture_default_str();
  app.add_option("--iterations", options.iterations, "training iterations")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--batch", options.batch_size, "mini-batch size")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--lr", options.adam.lr, "Adam learning rate")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--threads", threads, "CPU threads (0: one per hardware thread)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--seed", options.seed, "random seed")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  try {
    cglow::configure_runtime(threads);
    torch::manual_seed(options.seed);
    std::filesystem::create_directories(out_dir);

    const auto task = cglow::InpaintingTask::fashion_mnist(data_dir, 500);
    const auto coding = task->coding();
    cglow::GlowConfig config;
    config.x = task->x_shape();
    config.y = task->y_shape();
    config.levels = 2;
    config.steps = 4;
    config.cond_channels = 16;
    config.cond_width = 64;
    config.coupling_width = 64;
    cglow::Trainer trainer(cglow::CGlow(config), coding, cglow::batch_sampler(task), options);
    auto& model = trainer.model();
    std::cout << "c-Glow inpainting on Fashion-MNIST: " << task->size(cglow::DataSplit::train) << " training images, "
              << config.y.height << "x" << config.y.width << " hidden centre\n";

    const auto test_size = task->size(cglow::DataSplit::test);
    const auto test = task->examples(cglow::DataSplit::test, torch::arange(test_size), nullptr);
    auto test_bpd = [&] {
      torch::NoGradGuard no_grad;
      auto generator = at::detail::createCPUGenerator(options.seed);  // the same dequantisation noise each time
      const auto y = coding.dequantize(coding.encode(test.target), generator);
      return cglow::bits_per_dim(model->log_prob(y, test.x), config.y.numel(), coding).mean().item<double>();
    };
    std::cout << "test bits/dim at start: " << test_bpd() << "\n";

    cglow::Progress bar(options.iterations, 0);
    trainer.run([&](const cglow::StepReport& r) {
      bar.step(r.bits_per_dim);
      if (r.iteration % 25 == 0 || r.iteration == options.iterations) std::cout << bar.line(r.iteration) << std::flush;
    });
    std::cout << "\ntest bits/dim after training: " << test_bpd() << "\n";

    const std::string model_path = out_dir + "/model.pt";
    cglow::save_model(model, model_path);

    constexpr int64_t kShown = 8, kSamples = 4;
    const auto x = test.x.narrow(0, 0, kShown), truth = test.target.narrow(0, 0, kShown);
    const auto prediction = cglow::predict(model, x, 10);
    const auto mean = coding.decode(prediction.mean);
    const double psnr = task->metrics(mean, truth).at("psnr_hidden_block");
    std::vector<std::vector<torch::Tensor>> rows;
    for (int64_t i = 0; i < kShown; ++i) {
      std::vector<torch::Tensor> row{x[i], task->fill(x[i], truth[i])};
      for (int64_t s = 0; s < kSamples; ++s) row.push_back(task->fill(x[i], coding.decode(prediction.samples[i][s])));
      row.push_back(task->fill(x[i], mean[i]));
      row.push_back(prediction.stddev[i] / prediction.stddev.max().clamp_min(1e-8));
      rows.push_back(row);
    }
    const std::string grid_path = out_dir + "/samples.png";
    cglow::write_image_grid(grid_path, rows, /*min_cell=*/96);
    std::printf("mean-of-10-samples PSNR on the hidden centre (%lld test images): %.2f dB\n",
                static_cast<long long>(kShown), psnr);
    std::cout << "wrote " << model_path << " and " << grid_path
              << " (columns: input, truth, 4 samples, mean of 10, standard deviation)\n";
  } catch (const std::exception& e) {
    std::cerr << "cglow-demo: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
