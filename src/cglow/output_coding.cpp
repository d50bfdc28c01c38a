#include "cglow/output_coding.h"

#include <cmath>
#include <stdexcept>

namespace cglow {
namespace {

void check_labels(const torch::Tensor& target, int64_t classes) {
  if (target.dim() != 3)
    throw std::invalid_argument("labels must be [batch, height, width], got " + std::to_string(target.dim()) +
                                " dimensions");
  if (target.numel() == 0) return;
  const auto lo = target.min().item<int64_t>(), hi = target.max().item<int64_t>();
  if (lo < 0 || hi >= classes)
    throw std::invalid_argument("label value " + std::to_string(lo < 0 ? lo : hi) + " is outside 0.." +
                                std::to_string(classes - 1));
}

}  // namespace

OutputCoding OutputCoding::continuous(int64_t channels, double bin_width, double offset) {
  if (channels < 1) throw std::invalid_argument("continuous outputs need at least one channel");
  if (bin_width < 0) throw std::invalid_argument("bin width must be >= 0, got " + std::to_string(bin_width));
  return {Kind::continuous, channels, bin_width, offset};
}

OutputCoding OutputCoding::binary(int64_t tiles) {
  if (tiles < 1) throw std::invalid_argument("a binary mask needs at least one tile, got " + std::to_string(tiles));
  return {Kind::binary, tiles, 1.0};
}

OutputCoding OutputCoding::multiclass(int64_t classes) {
  if (classes < 2) throw std::invalid_argument("multi-class outputs need >= 2 classes, got " + std::to_string(classes));
  return {Kind::multiclass, classes, 1.0};
}

torch::Tensor OutputCoding::encode(const torch::Tensor& target) const {
  switch (kind_) {
    case Kind::continuous:
      if (target.dim() != 4 || target.size(1) != channels_)
        throw std::invalid_argument("continuous targets must be [batch, " + std::to_string(channels_) +
                                    ", height, width]");
      return target.to(torch::kFloat32) - offset_;
    case Kind::binary:
      check_labels(target, 2);
      return target.to(torch::kFloat32).unsqueeze(1).expand({-1, channels_, -1, -1}) - kLabelOffset;
    case Kind::multiclass:
      check_labels(target, channels_);
      return torch::one_hot(target.to(torch::kLong), channels_).permute({0, 3, 1, 2}).to(torch::kFloat32) -
             kLabelOffset;
  }
  throw std::logic_error("unknown output kind");
}

torch::Tensor OutputCoding::dequantize(const torch::Tensor& y, c10::optional<torch::Generator> generator) const {
  if (bin_width_ == 0.0) return y;
  const auto u = torch::rand(y.sizes(), generator, y.options()) - 0.5;
  return y + u * bin_width_;
}

torch::Tensor OutputCoding::decode(const torch::Tensor& y) const {
  switch (kind_) {
    case Kind::continuous:
      return y + offset_;
    case Kind::binary:
      return (y.mean(1) >= 0).to(torch::kLong);
    case Kind::multiclass:
      return y.argmax(1);
  }
  throw std::logic_error("unknown output kind");
}

double OutputCoding::log_bin_width() const { return bin_width_ > 0 ? std::log(bin_width_) : 0.0; }

torch::Tensor bits_per_dim(const torch::Tensor& log_prob, int64_t dims, const OutputCoding& coding) {
  const double d = static_cast<double>(dims);
  return -(log_prob + d * coding.log_bin_width()) / (d * std::log(2.0));
}

}  // namespace cglow
