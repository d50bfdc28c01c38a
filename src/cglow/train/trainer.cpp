#include "cglow/train/trainer.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "cglow/checkpoint.h"

namespace cglow {
namespace {

// One pass over a dense float32 CPU tensor, in memory order whatever its layout (convolutions' weights are
// channels-last), in a loop the compiler vectorises: a value is finite unless its exponent bits are all
// ones (infinity or NaN).
bool finite_clipped_in_one_pass(torch::Tensor& g, float clip) {
  float* data = g.data_ptr<float>();
  const int64_t n = g.numel();
  uint32_t not_finite = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float v = data[i];
    uint32_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    not_finite |= (bits & 0x7f800000u) == 0x7f800000u;
    if (clip > 0) data[i] = std::min(std::max(v, -clip), clip);
  }
  // As an in-place operation would: a graph that saved this tensor fails loudly instead of using new values.
  if (clip > 0) g.unsafeGetTensorImpl()->bump_version();
  return not_finite == 0;
}

}  // namespace

bool gradients_finite(const std::vector<torch::Tensor>& parameters, double clip_value) {
  torch::NoGradGuard no_grad;
  const auto clip = static_cast<float>(clip_value);
  for (const auto& p : parameters) {
    auto g = p.grad();
    if (!g.defined()) continue;
    if (g.device().is_cpu() && g.scalar_type() == torch::kFloat32 && g.is_non_overlapping_and_dense()) {
      if (!finite_clipped_in_one_pass(g, clip)) return false;
    } else {
      if (!torch::isfinite(g).all().item<bool>()) return false;
      if (clip > 0) g.clamp_(-clip_value, clip_value);
    }
  }
  return true;
}

std::string skipped_notice(int64_t iteration) {
  return "skipped iteration " + std::to_string(iteration) + ": the loss or a gradient was not finite";
}

std::string non_finite_verdict(int64_t iteration, int64_t steps) {
  return "training stopped at iteration " + std::to_string(iteration) +
         ": the loss or its gradient was not finite for " + std::to_string(steps) + " steps in a row";
}

Trainer::Trainer(CGlow model, OutputCoding coding, BatchSampler sampler, TrainerOptions options,
                 DataParallel* parallel)
    : model_(std::move(model)),
      coding_(coding),
      sampler_(std::move(sampler)),
      options_(options),
      parallel_(parallel),
      adam_(model_->parameters(), options.adam),
      generator_(at::detail::createCPUGenerator(options.seed)),
      guard_(options.divergence_margin) {}

double scheduled_lr(const TrainerOptions& options, int64_t iteration) {
  double factor = 1.0;
  if (options.warmup > 0 && iteration < options.warmup)
    factor = static_cast<double>(iteration + 1) / static_cast<double>(options.warmup);
  if (const int64_t left = options.iterations - iteration; options.decay > 0 && left < options.decay)
    factor = std::min(factor, static_cast<double>(left) / static_cast<double>(options.decay));
  return options.adam.lr * factor;
}

void Trainer::synchronise_start() {
  auto state = model_->parameters();
  for (const auto& buffer : model_->buffers()) state.push_back(buffer);
  parallel_->broadcast(state);
  // Values every process must share: equal everywhere exactly when the mean of their squares is the
  // square of their mean.
  const std::vector<std::pair<const char*, double>> shared{
      {"iteration (resume them all from the same checkpoint)", static_cast<double>(iteration_)},
      {"--iterations", static_cast<double>(options_.iterations)},
      {"--batch", static_cast<double>(options_.batch_size)}};
  std::vector<double> values;
  for (const auto& item : shared) values.push_back(item.second), values.push_back(item.second * item.second);
  const auto moments =
      torch::tensor(values, torch::TensorOptions(torch::kFloat64).device(model_->parameters().front().device()));
  parallel_->average({moments}, "checking that the processes agree");
  const auto mean = moments.cpu();
  for (size_t i = 0; i < shared.size(); ++i) {
    const double m = mean[2 * i].item<double>(), square = mean[2 * i + 1].item<double>();
    if (square != m * m)
      throw DistributedError(std::string("the processes differ in their ") + shared[i].first + ": rank " +
                             std::to_string(parallel_->rank()) + " has " +
                             std::to_string(static_cast<int64_t>(shared[i].second)));
  }
}

// From the first global batch (every process draws all of it), drawn with a copy of the generator so
// that training sees the batches it would see without it: N processes of batch B start as one of N*B.
void Trainer::initialize_actnorms(const Shard& shard, torch::Device device) {
  auto generator = generator_.clone();
  const auto batch = sampler_(options_.batch_size * shard.count, generator, Shard{});
  if (!torch::isfinite(batch.y).all().item<bool>() || !torch::isfinite(batch.x).all().item<bool>())
    throw TrainingError("the first training batch holds non-finite values (NaN or infinity): the actnorm "
                        "initialisation needs finite data");
  model_->initialize_actnorms(batch.y.to(device), batch.x.to(device));
}

void Trainer::run(const std::function<void(const StepReport&)>& on_step, const std::atomic<bool>* stop) {
  const auto parameters = model_->parameters();
  const auto device = parameters.front().device();
  const int64_t dims = model_->config().y.numel();
  const Shard shard = parallel_ ? Shard{parallel_->rank(), parallel_->world_size()} : Shard{};
  if (iteration_ == 0 && options_.actnorm_init) initialize_actnorms(shard, device);
  if (parallel_) synchronise_start();
  int64_t bad_in_a_row = 0;
  bool stopping = false;
  while (iteration_ < options_.iterations && !stopping) {
    const bool stop_requested = stop && stop->load();
    if (!parallel_ && stop_requested) break;
    StepReport report;
    report.lr = scheduled_lr(options_, iteration_);
    const auto batch = sampler_(options_.batch_size, generator_, shard);
    const auto loss = bits_per_dim(model_->log_prob(batch.y.to(device), batch.x.to(device)), dims, coding_).mean();
    report.bits_per_dim = loss.item<double>();
    adam_.zero_grad();
    if (std::isfinite(report.bits_per_dim)) loss.backward();
    if (parallel_) {
      // Every process takes part in every all-reduce, whatever its own loss: a non-finite one sends
      // NaN gradients, so that the average is non-finite and all skip the step together. The loss
      // and the stop request ride along.
      const bool finite = std::isfinite(report.bits_per_dim);
      std::vector<torch::Tensor> shared;
      for (const auto& p : parameters) {
        if (!p.requires_grad()) continue;  // frozen (--freeze-encoder) in every process alike: nothing to average
        if (!finite) p.mutable_grad() = torch::full_like(p, std::numeric_limits<float>::quiet_NaN());
        if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
        shared.push_back(p.grad());
      }
      const auto extras = torch::tensor({finite ? report.bits_per_dim : 0.0, finite ? 0.0 : 1.0,
                                         stop_requested ? 1.0 : 0.0},
                                        torch::TensorOptions(torch::kFloat64).device(device));
      shared.push_back(extras);
      parallel_->average(shared, "averaging the gradients");
      const auto agreed = extras.cpu();
      report.bits_per_dim = agreed[1].item<double>() > 0 ? std::numeric_limits<double>::quiet_NaN()
                                                         : agreed[0].item<double>();
      stopping = agreed[2].item<double>() > 0;
    }
    report.skipped = !std::isfinite(report.bits_per_dim) || !gradients_finite(parameters, options_.clip_value);
    if (report.skipped) {
      adam_.zero_grad();
      if (++bad_in_a_row >= options_.max_bad_steps)
        throw TrainingError(non_finite_verdict(iteration_ + 1, bad_in_a_row));
    } else {
      bad_in_a_row = 0;
      adam_.step(report.lr);
      guard_.add(report.bits_per_dim);
    }
    report.iteration = ++iteration_;
    if (guard_.diverged()) throw TrainingError(guard_.verdict(iteration_, "bits/dim"));
    if (on_step) on_step(report);
  }
}

void Trainer::save(const std::string& path) {
  torch::serialize::OutputArchive archive, optimizer;
  write_model(archive, model_);
  adam_.save(optimizer);
  archive.write("optimizer", optimizer);
  archive.write("iteration", torch::tensor(iteration_));
  archive.write("generator", generator_.get_state());
  archive.write("divergence_reference", torch::tensor(guard_.reference(), torch::kFloat64));
  save_archive_atomically(archive, path);
}

void Trainer::resume(const std::string& path) {
  torch::serialize::InputArchive archive, optimizer;
  load_archive(archive, path, model_->parameters().front().device());
  // Everything is read and checked before anything changes.
  const GlowConfig saved = read_config(archive, path);
  const std::string differences = describe_differences(saved, model_->config());
  if (!differences.empty())
    throw CheckpointError("checkpoint " + path + " holds a model of another configuration (saved vs wanted: " +
                          differences + ")");
  torch::Tensor iteration, generator_state, divergence_reference;
  if (!archive.try_read("optimizer", optimizer) || !archive.try_read("iteration", iteration) ||
      !archive.try_read("generator", generator_state))
    throw CheckpointError("checkpoint " + path + " holds a model but no training state: it cannot be resumed");
  read_model(archive, model_, path);
  try {
    adam_.load(optimizer);
  } catch (const std::exception& e) {
    throw CheckpointError("checkpoint " + path + " has unusable optimiser state: " + e.what());
  }
  iteration_ = iteration.item<int64_t>();
  generator_.set_state(generator_state.to(torch::kCPU));
  if (archive.try_read("divergence_reference", divergence_reference))  // absent from older checkpoints
    guard_.set_reference(divergence_reference.item<double>());
}

}  // namespace cglow
