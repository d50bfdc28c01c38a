// Colour image denoising (section 5.4): x is the noisy image x_hat = clean + N(0, sigma^2), the target the
// noise residual x_hat - clean (Zhang et al. 2017); the denoised image is x_hat - prediction.
#pragma once

#include "cglow/tasks/task.h"

namespace cglow {

class DenoisingTask : public Task {
 public:
  // Clean images [N, C, S, S] in [0, 1]; sigma on the 0-255 scale (25 in the paper). Training noise is
  // drawn anew each time from the trainer's generator; the noise of evaluation image i is seeded by i,
  // so that runs compare. With `flips`, each clean training image is mirrored left to right with
  // probability 1/2.
  DenoisingTask(std::string name, torch::Tensor train_images, torch::Tensor test_images, double sigma = 25.0,
                bool flips = false);

  std::string name() const override { return name_; }
  Shape x_shape() const override;
  Shape y_shape() const override { return x_shape(); }
  OutputCoding coding() const override;
  int64_t size(DataSplit split) const override { return images(split).size(0); }
  Examples examples(DataSplit split, const torch::Tensor& indices, torch::Generator* generator) const override;
  // PSNR (dB, peak 1) of the denoised images, x_hat - predicted against x_hat - true residual = clean.
  std::map<std::string, double> metrics(const torch::Tensor& predicted, const torch::Tensor& truth) const override;
  torch::Tensor picture_of_target(const torch::Tensor& target) const override;

 private:
  const torch::Tensor& images(DataSplit split) const { return split == DataSplit::train ? train_ : test_; }

  std::string name_;
  torch::Tensor train_, test_;
  double sigma_;  // on the [0, 1] scale
  bool flips_;
};

}  // namespace cglow
