// Depth refinement (section 5.5): x is a noisy depth crop, the target the noise residual, as in
// colour denoising; the refined depth is x - prediction. The paper prepares 7-Scenes "as Wang, Fidler
// and Urtasun (2016)": crops of 96x128. How ours makes the noisy input (docs in README, "Depth
// refinement"): depth in metres divided by `max_depth` (so that PSNR's peak 1 is max_depth), plus
// Gaussian noise of `sigma` on the 0-255 scale of that range. Missing pixels are filled for the flow
// (read_depth_frames) and left out of the PSNR.
#pragma once

#include "cglow/data/seven_scenes.h"
#include "cglow/tasks/task.h"

namespace cglow {

class DepthTask : public Task {
 public:
  // Training crops are drawn anywhere in a frame from the trainer's generator; evaluation crops are
  // the frames' centres and their noise is seeded by index.
  DepthTask(std::string name, DepthFrames train, DepthFrames test, double sigma = 10.0, double max_depth = 4.0,
            int64_t crop_height = 96, int64_t crop_width = 128);

  std::string name() const override { return name_; }
  Shape x_shape() const override { return {1, crop_height_, crop_width_}; }
  Shape y_shape() const override { return x_shape(); }
  OutputCoding coding() const override { return OutputCoding::continuous(1); }
  int64_t size(DataSplit split) const override { return frames(split).depth.size(0); }
  Examples examples(DataSplit split, const torch::Tensor& indices, torch::Generator* generator) const override;
  // PSNR (dB, peak max_depth) of the refined depth over the measured pixels of the evaluation crops
  // (crops without any are left out);
  // `predicted` and `truth` are the residuals of the whole test split in order.
  std::map<std::string, double> metrics(const torch::Tensor& predicted, const torch::Tensor& truth) const override;
  torch::Tensor picture_of_target(const torch::Tensor& target) const override;

 private:
  const DepthFrames& frames(DataSplit split) const { return split == DataSplit::train ? train_ : test_; }
  // [B, 1, crop_height, crop_width] of `images` [N, 1, H, W] at the given top-left corners.
  torch::Tensor crops(const torch::Tensor& images, const torch::Tensor& indices, const torch::Tensor& top,
                      const torch::Tensor& left) const;

  std::string name_;
  DepthFrames train_, test_;
  double sigma_;      // on the [0, 1] scale
  double max_depth_;  // metres
  int64_t crop_height_, crop_width_;
};

}  // namespace cglow
