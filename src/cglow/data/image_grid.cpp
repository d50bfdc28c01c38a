#include "cglow/data/image_grid.h"

#include <stdexcept>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace cglow {
namespace {

constexpr int kGap = 2;  // pixels of white between cells

cv::Mat to_bgr(const torch::Tensor& cell, int height, int width) {
  if (cell.dim() != 3 || (cell.size(0) != 1 && cell.size(0) != 3))
    throw std::invalid_argument("a grid cell must be [1 or 3, H, W]");
  auto rgb = cell.detach().to(torch::kCPU, torch::kFloat32).clamp(0, 1).expand({3, -1, -1});
  auto bytes = (rgb * 255).round().to(torch::kUInt8).permute({1, 2, 0}).flip({2}).contiguous();
  cv::Mat image(static_cast<int>(bytes.size(0)), static_cast<int>(bytes.size(1)), CV_8UC3, bytes.data_ptr<uint8_t>());
  cv::Mat scaled;
  cv::resize(image, scaled, {width, height}, 0, 0, cv::INTER_NEAREST);  // copies out of `bytes`
  return scaled;
}

}  // namespace

void write_image_grid(const std::string& path, const std::vector<std::vector<torch::Tensor>>& rows,
                      int min_cell) {
  int height = 1, width = 1, columns = 0;
  for (const auto& row : rows) {
    columns = std::max(columns, static_cast<int>(row.size()));
    for (const auto& cell : row) {
      height = std::max(height, static_cast<int>(cell.size(-2)));
      width = std::max(width, static_cast<int>(cell.size(-1)));
    }
  }
  const int factor = (std::max(min_cell, height) + height - 1) / height;
  height *= factor;
  width *= factor;
  const int rows_n = static_cast<int>(rows.size());
  cv::Mat canvas(rows_n * (height + kGap) + kGap, columns * (width + kGap) + kGap, CV_8UC3, cv::Scalar(255, 255, 255));
  for (int r = 0; r < rows_n; ++r)
    for (int c = 0; c < static_cast<int>(rows[r].size()); ++c)
      to_bgr(rows[r][c], height, width)
          .copyTo(canvas(cv::Rect(kGap + c * (width + kGap), kGap + r * (height + kGap), width, height)));
  bool written = false;
  try {
    written = cv::imwrite(path, canvas);
  } catch (const cv::Exception&) {
    written = false;
  }
  if (!written) throw std::runtime_error("cannot write image " + path);
}

}  // namespace cglow
