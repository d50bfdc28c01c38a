#include "cglow/tasks/inpainting_task.h"

#include <stdexcept>

#include "cglow/centre_window.h"
#include "cglow/data/fashion_mnist.h"
#include "cglow/metrics/psnr.h"

namespace cglow {

InpaintingTask::InpaintingTask(std::string name, torch::Tensor train_images, torch::Tensor test_images, bool flips)
    : name_(std::move(name)), train_(std::move(train_images)), test_(std::move(test_images)), flips_(flips) {
  if (train_.dim() != 4 || train_.size(2) != train_.size(3) || train_.size(2) % 4 != 0)
    throw std::invalid_argument(name_ + ": inpainting needs square images with a side divisible by 4");
  if (train_.size(0) == 0 || test_.size(0) == 0)
    throw std::invalid_argument(name_ + ": an empty training or test split");
  if (!train_.sizes().slice(1).equals(test_.sizes().slice(1)))
    throw std::invalid_argument(name_ + ": training and test images differ in size");
}

std::shared_ptr<InpaintingTask> InpaintingTask::fashion_mnist(const std::string& dir, int64_t test_images,
                                                              bool flips) {
  const auto pad = [](const torch::Tensor& images) { return torch::constant_pad_nd(images, {2, 2, 2, 2}); };
  const auto test = fashion_mnist_images(dir, false);
  if (test_images < 1 || test_images > test.size(0))
    throw std::invalid_argument("Fashion-MNIST has " + std::to_string(test.size(0)) + " test images, asked for " +
                                std::to_string(test_images));
  return std::make_shared<InpaintingTask>("fashion-mnist-inpainting", pad(fashion_mnist_images(dir, true)),
                                          pad(test.narrow(0, 0, test_images)), flips);
}

Shape InpaintingTask::x_shape() const { return {train_.size(1), side(), side()}; }

Shape InpaintingTask::y_shape() const { return {train_.size(1), hidden_side(), hidden_side()}; }

OutputCoding InpaintingTask::coding() const { return OutputCoding::continuous(train_.size(1), 1.0 / 255, 0.5); }

Examples InpaintingTask::examples(DataSplit split, const torch::Tensor& indices, torch::Generator* generator) const {
  auto x = images(split).index_select(0, indices);
  // A mirrored face (or garment) is as likely an image: twice the training images, where longer
  // training over-fits.
  if (generator && flips_) x = flip_where(x, torch::rand({x.size(0)}, *generator) < 0.5);
  auto hidden = centre_window(x, hidden_side(), hidden_side());
  auto target = hidden.clone();
  hidden.zero_();
  return {x, target};
}

std::map<std::string, double> InpaintingTask::metrics(const torch::Tensor& predicted,
                                                      const torch::Tensor& truth) const {
  return {{"psnr_hidden_block", psnr_per_image(predicted.clamp(0, 1), truth).mean().item<double>()}};
}

torch::Tensor InpaintingTask::fill(const torch::Tensor& x, const torch::Tensor& block) const {
  auto out = x.clone();
  centre_window(out, hidden_side(), hidden_side()).copy_(block);
  return out;
}

}  // namespace cglow
