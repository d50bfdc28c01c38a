#include "cglow/train/divergence_guard.h"

#include <algorithm>

namespace cglow {
namespace {

double median(std::vector<double> values) {
  const auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), middle, values.end());
  if (values.size() % 2 == 1) return *middle;
  return (*middle + *std::max_element(values.begin(), middle)) / 2;
}

}  // namespace

void DivergenceGuard::add(double bits_per_dim) {
  recent_.push_back(bits_per_dim);
  if (static_cast<int64_t>(recent_.size()) > kRecent) recent_.pop_front();
  block_.push_back(bits_per_dim);
  if (static_cast<int64_t>(block_.size()) == kBlock) {
    reference_ = std::min(reference_, median(block_));
    block_.clear();
  }
}

int64_t DivergenceGuard::leaps() const {
  if (margin_ <= 0) return 0;
  return std::count_if(recent_.begin(), recent_.end(), [&](double loss) { return loss > reference_ + margin_; });
}

}  // namespace cglow
