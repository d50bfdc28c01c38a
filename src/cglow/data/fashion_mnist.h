// Fashion-MNIST in the IDX format of its distribution (gzip-compressed), as Debian's
// dataset-fashion-mnist package installs it: the built-in default data set.
#pragma once

#include <string>

#include <torch/torch.h>

namespace cglow {

// Where Debian's dataset-fashion-mnist package puts the files.
constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// An IDX image file (magic 2051), gzip-compressed or not: [N, H, W] uint8. Throws std::runtime_error
// naming the file when it is missing, truncated or not an image file.
torch::Tensor read_idx_images(const std::string& path);
// An IDX label file (magic 2049): [N] uint8.
torch::Tensor read_idx_labels(const std::string& path);

// The training or test images of Fashion-MNIST in `dir`, as floats in [0, 1]: [N, 1, 28, 28].
torch::Tensor fashion_mnist_images(const std::string& dir, bool train);

}  // namespace cglow
