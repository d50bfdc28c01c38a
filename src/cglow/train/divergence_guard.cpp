#include "cglow/train/divergence_guard.h"

#include <algorithm>
#include <iomanip>
#include <sstream>

namespace cglow {
namespace {

double median(std::vector<double> values) {
  const auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), middle, values.end());
  if (values.size() % 2 == 1) return *middle;
  return (*middle + *std::max_element(values.begin(), middle)) / 2;
}

}  // namespace

void DivergenceGuard::add(double loss) {
  recent_.push_back(loss);
  if (static_cast<int64_t>(recent_.size()) > kWindow) recent_.pop_front();
  block_.push_back(loss);
  if (static_cast<int64_t>(block_.size()) == kBlock) {
    reference_ = std::min(reference_, median(block_));
    block_.clear();
  }
}

int64_t DivergenceGuard::leaps(int64_t steps) const {
  if (margin_ <= 0) return 0;
  const auto last = std::min<int64_t>(steps, static_cast<int64_t>(recent_.size()));
  return std::count_if(recent_.end() - last, recent_.end(), [&](double loss) { return loss > reference_ + margin_; });
}

std::string DivergenceGuard::verdict(int64_t iteration, const std::string& unit) const {
  std::ostringstream what;
  what << std::setprecision(4) << "training diverged by iteration " << iteration << ": " << leaps() << " of its last "
       << kWindow << " losses were more than " << margin_ << (unit.empty() ? "" : " " + unit)
       << " above the lowest median of " << kBlock << " steps it had reached, " << reference_ << " (latest " << latest()
       << "; --divergence-margin 0 turns this check off)";
  return what.str();
}

}  // namespace cglow
