// cglow-bench: speed and memory of c-Glow on the paper's horse configuration (L=3, K=8, nc=64, nw=128,
// coupling width 256, 3xSxS), one `name value` line per figure so that scripts can read them. Each
// figure is the median of several timed runs after warm-up. Started by a launcher (WORLD_SIZE > 1, as
// scripts/bench-distributed does), every process trains its own batch with c10d gradient averaging
// and rank 0 reports the throughput of all.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <vector>

#include <CLI/CLI.hpp>

#include "cglow/flow/cglow.h"
#include "cglow/inference.h"
#include "cglow/cuda_precision.h"
#include "cglow/output_coding.h"
#include "cglow/runtime.h"
#include "cglow/train/adam.h"
#include "cglow/train/data_parallel.h"
#include "cglow/train/trainer.h"

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// The median wall time of `repeats` runs of `work` after `warmup` untimed ones.
double median_seconds(int warmup, int repeats, const torch::Device& device, const std::function<void()>& work) {
  auto sync = [&] {
    if (device.is_cuda()) torch::cuda::synchronize();
  };
  for (int i = 0; i < warmup; ++i) work();
  sync();
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    const double start = now();
    work();
    sync();
    times.push_back(now() - start);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;  // kilobytes on Linux
}

void report(const char* name, double value) { std::printf("%s %.4g\n", name, value); }

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cglow-bench: training and prediction speed of c-Glow on the paper's horse configuration"};
  int64_t size = 64, batch = 2, samples = 10;
  int threads = 0;
  int warmup = 2, repeats = 5;
  std::string device_name = "cpu";
  bool bf16 = false;
  app.add_option("--size", size, "image side (x and y are 3 x size x size)")->capture_default_str();
  app.add_option("--batch", batch, "mini-batch size")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--threads", threads, "CPU threads (0: one per hardware thread)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--device", device_name, "cpu, cuda or cuda:N")->capture_default_str();
  app.add_flag("--bf16", bf16, "CUDA: run the conditioning networks under bf16 autocast");
  app.add_option("--samples", samples, "samples per predicted image (M)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--warmup", warmup, "untimed runs first")->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--repeats", repeats, "timed runs (the median is reported)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);

  try {
    threads = cglow::configure_runtime(threads);
    torch::manual_seed(0);
    const torch::Device device(device_name);
    if (device.is_cuda() && !torch::cuda::is_available())
      throw std::runtime_error("--device " + device_name + ": this LibTorch has no CUDA device");
    if (device.is_cuda()) cglow::allow_tf32();

    cglow::GlowConfig config;  // the defaults are the paper's horse configuration
    config.x = config.y = {3, size, size};
    cglow::CGlow model(config);
    model->to(device);
    model->set_bf16_conditioning(bf16);
    int64_t parameter_count = 0;
    for (const auto& p : model->parameters()) parameter_count += p.numel();
    std::printf("# c-Glow L=%lld K=%lld nc=%lld nw=%lld width=%lld, 3x%lldx%lld, batch %lld, %d threads, %s, "
                "%.1f M parameters\n",
                static_cast<long long>(config.levels), static_cast<long long>(config.steps),
                static_cast<long long>(config.cond_channels), static_cast<long long>(config.cond_width),
                static_cast<long long>(config.coupling_width), static_cast<long long>(size),
                static_cast<long long>(size), static_cast<long long>(batch), threads, device.str().c_str(),
                parameter_count / 1e6);

    const auto coding = cglow::OutputCoding::binary(3);
    const auto options = torch::TensorOptions().device(device);
    const auto x = torch::rand({batch, 3, size, size}, options);
    const auto masks = torch::randint(0, 2, {batch, size, size}, options.dtype(torch::kLong));
    cglow::Adam optimizer(model->parameters(), {2e-4, 0.9, 0.999});
    const auto where = cglow::launch_environment();
    std::unique_ptr<cglow::DataParallel> parallel;
    int64_t processes = 1;
    if (where && where->world_size > 1) {
      parallel = std::make_unique<cglow::DataParallel>(*where, device, std::chrono::seconds(300));
      parallel->broadcast(model->parameters());
      processes = parallel->world_size();
    }

    // A training step as the trainer takes it: the gradient check and clipping before Adam's update.
    const auto parameters = model->parameters();
    const double clip_value = cglow::TrainerOptions{}.clip_value;
    const double train = median_seconds(warmup, repeats, device, [&] {
      const auto y = coding.dequantize(coding.encode(masks));
      const auto loss = cglow::bits_per_dim(model->log_prob(y, x), config.y.numel(), coding).mean();
      optimizer.zero_grad();
      loss.backward();
      if (parallel) {
        std::vector<torch::Tensor> gradients;
        for (const auto& p : parameters) gradients.push_back(p.grad());
        parallel->average(gradients, "averaging the gradients");
      }
      if (cglow::gradients_finite(parameters, clip_value)) optimizer.step();
    });
    // The part of the step that is ours alone, not LibTorch's: over the last step's gradients.
    const double update = median_seconds(warmup, repeats, device, [&] {
      if (cglow::gradients_finite(parameters, clip_value)) optimizer.step();
    });
    if (parallel && parallel->rank() != 0) return 0;  // rank 0 reports
    const double rss_after_training = peak_rss_mb();
    const double predict = median_seconds(warmup, repeats, device, [&] { cglow::predict(model, x, samples); });

    // A large 3x3 convolution: what this machine's convolutions can reach.
    auto conv = torch::nn::Conv2d(torch::nn::Conv2dOptions(256, 256, 3).padding(1));
    conv->to(device);
    const auto big = torch::rand({2, 256, 64, 64}, options);
    const double conv_seconds = median_seconds(warmup, repeats, device, [&] {
      torch::NoGradGuard no_grad;
      conv->forward(big);
    });
    const double conv_flops = 2.0 * 256 * 256 * 9 * 64 * 64 * 2;

    // Training: forward once, backward about twice the forward.
    const double train_flops = 3.0 * batch * (model->condition_flops() + model->flops());
    const double predict_flops = batch * (model->condition_flops() + samples * model->flops());
    report("processes", static_cast<double>(processes));
    report("train_s_per_iter", train);
    report("train_examples_per_s", static_cast<double>(batch * processes) / train);
    report("update_s_per_iter", update);
    report("predict_s_per_image", predict / batch);
    report("peak_rss_mb", rss_after_training);
    report("achieved_gflops", train_flops / train / 1e9);
    report("predict_gflops", predict_flops / predict / 1e9);
    report("conv_peak_gflops", conv_flops / conv_seconds / 1e9);
    report("train_gflop_per_iter", train_flops / 1e9);
  } catch (const std::exception& e) {
    std::cerr << "cglow-bench: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
