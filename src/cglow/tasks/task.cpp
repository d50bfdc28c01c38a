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

torch::Tensor residual_picture(const torch::Tensor& residual, double sigma) {
  return (0.5 + residual / (8 * sigma)).clamp(0, 1);
}

BatchSampler batch_sampler(std::shared_ptr<const Task> task) {
  return [task](int64_t batch_size, torch::Generator& generator) {
    const auto indices = torch::randint(task->size(Split::train), {batch_size}, generator, torch::kLong);
    const auto examples = task->examples(Split::train, indices, &generator);
    const auto coding = task->coding();
    return TrainingBatch{examples.x, coding.dequantize(coding.encode(examples.target), generator)};
  };
}

}  // namespace cglow
