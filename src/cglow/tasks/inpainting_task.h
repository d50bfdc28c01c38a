// Image inpainting (section 5.6): x is the image with its central block hidden (set to zero), the
// target the hidden block; a block of half the side hides 25% of the pixels, as in the paper.
#pragma once

#include "cglow/tasks/task.h"

namespace cglow {

class InpaintingTask : public Task {
 public:
  // Square images [N, C, S, S] in [0, 1], S divisible by 4. With `flips`, each training image is
  // mirrored left to right with probability 1/2.
  InpaintingTask(std::string name, torch::Tensor train_images, torch::Tensor test_images, bool flips = false);

  // Fashion-MNIST from its IDX files in `dir`, padded from 28x28 to 32x32: the built-in default task.
  static std::shared_ptr<InpaintingTask> fashion_mnist(const std::string& dir, int64_t test_images = 1000,
                                                       bool flips = false);

  std::string name() const override { return name_; }
  Shape x_shape() const override;
  Shape y_shape() const override;
  // 8-bit pixel values, centred.
  OutputCoding coding() const override;
  int64_t size(DataSplit split) const override { return images(split).size(0); }
  Examples examples(DataSplit split, const torch::Tensor& indices, torch::Generator* generator) const override;
  // PSNR (dB, peak 1) on the hidden block only, averaged over images.
  std::map<std::string, double> metrics(const torch::Tensor& predicted, const torch::Tensor& truth) const override;
  torch::Tensor picture_of_target(const torch::Tensor& target) const override { return target.clamp(0, 1); }

  // The whole image: x with `block` [C, S/2, S/2] put back into its centre.
  torch::Tensor fill(const torch::Tensor& x, const torch::Tensor& block) const;

 private:
  const torch::Tensor& images(DataSplit split) const { return split == DataSplit::train ? train_ : test_; }
  int64_t side() const { return train_.size(2); }
  int64_t hidden_side() const { return side() / 2; }  // the hidden block's side: 25% of the pixels

  std::string name_;
  torch::Tensor train_, test_;
  bool flips_;
};

}  // namespace cglow
