#include "cglow/data/image_grid.h"

#include <stdexcept>

#include "cglow/data/image_io.h"

namespace cglow {
namespace {

constexpr int64_t kGap = 2;  // pixels of white between cells

// A cell as RGB [3, height, width], scaled by nearest neighbour so that pixels stay visible.
torch::Tensor to_rgb(const torch::Tensor& cell, int64_t height, int64_t width) {
  if (cell.dim() != 3 || (cell.size(0) != 1 && cell.size(0) != 3))
    throw std::invalid_argument("a grid cell must be [1 or 3, H, W]");
  const auto rgb = cell.detach().to(torch::kCPU, torch::kFloat32).clamp(0, 1).expand({3, -1, -1}).unsqueeze(0);
  namespace F = torch::nn::functional;
  return F::interpolate(rgb,
                        F::InterpolateFuncOptions().size(std::vector<int64_t>{height, width}).mode(torch::kNearest))[0];
}

}  // namespace

void write_image_grid(const std::string& path, const std::vector<std::vector<torch::Tensor>>& rows,
                      int min_cell) {
  int64_t height = 1, width = 1, columns = 0;
  for (const auto& row : rows) {
    columns = std::max(columns, static_cast<int64_t>(row.size()));
    for (const auto& cell : row) {
      height = std::max(height, cell.size(-2));
      width = std::max(width, cell.size(-1));
    }
  }
  const int64_t factor = (std::max<int64_t>(min_cell, height) + height - 1) / height;
  height *= factor;
  width *= factor;
  const auto rows_n = static_cast<int64_t>(rows.size());
  auto canvas = torch::ones({3, rows_n * (height + kGap) + kGap, columns * (width + kGap) + kGap});
  for (int64_t r = 0; r < rows_n; ++r)
    for (int64_t c = 0; c < static_cast<int64_t>(rows[r].size()); ++c)
      canvas.narrow(1, kGap + r * (height + kGap), height)
          .narrow(2, kGap + c * (width + kGap), width)
          .copy_(to_rgb(rows[r][c], height, width));
  write_image(path, canvas);
}

}  // namespace cglow
