#include "cglow/tasks/task.h"

namespace cglow {

torch::Tensor evaluation_noise(const torch::Tensor& indices, c10::IntArrayRef shape) {
  std::vector<torch::Tensor> noise;
  for (int64_t i = 0; i < indices.size(0); ++i) {
    auto seeded = at::detail::createCPUGenerator(static_cast<uint64_t>(indices[i].item<int64_t>()));
    noise.push_back(torch::randn(shape, seeded));
  }
  return torch::stack(noise);
}

torch::Tensor flip_where(const torch::Tensor& t, const torch::Tensor& flip) {
  std::vector<int64_t> shape(t.dim(), 1);
  shape[0] = t.size(0);
  return torch::where(flip.view(shape), t.flip({t.dim() - 1}), t);
}

torch::Tensor residual_picture(const torch::Tensor& residual, double sigma) {
  return (0.5 + residual / (8 * sigma)).clamp(0, 1);
}

BatchSampler batch_sampler(std::shared_ptr<const Task> task) {
  return [task](int64_t batch_size, torch::Generator& generator, const Shard& shard) {
    // Every process draws the whole global batch (its examples and a seed for each) and builds its own
    // part. An example's augmentation and dequantisation noise come from its own seed, so it is the
    // same whichever process builds it: N processes of batch B train as one process of batch N*B.
    const int64_t global = batch_size * shard.count;
    const auto indices = torch::randint(task->size(DataSplit::train), {global}, generator, torch::kLong);
    const auto seeds = torch::randint(int64_t{1} << 62, {global}, generator, torch::kLong);
    const auto coding = task->coding();
    std::vector<torch::Tensor> xs, ys;
    for (int64_t i = shard.rank * batch_size; i < (shard.rank + 1) * batch_size; ++i) {
      auto own = at::detail::createCPUGenerator(static_cast<uint64_t>(seeds[i].item<int64_t>()));
      const auto examples = task->examples(DataSplit::train, indices.narrow(0, i, 1), &own);
      xs.push_back(examples.x);
      ys.push_back(coding.dequantize(coding.encode(examples.target), own));
    }
    return TrainingBatch{torch::cat(xs), torch::cat(ys)};
  };
}

}  // namespace cglow
