#include "cglow/tasks/task.h"

namespace cglow {

BatchSampler batch_sampler(std::shared_ptr<const Task> task) {
  return [task](int64_t batch_size, torch::Generator& generator) {
    const auto indices = torch::randint(task->size(Split::train), {batch_size}, generator, torch::kLong);
    const auto examples = task->examples(Split::train, indices, &generator);
    const auto coding = task->coding();
    return TrainingBatch{examples.x, coding.dequantize(coding.encode(examples.target), generator)};
  };
}

}  // namespace cglow
