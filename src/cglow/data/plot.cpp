#include "cglow/data/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include "cglow/data/image_io.h"

namespace cglow {
namespace {

constexpr int kWidth = 640, kHeight = 400, kMargin = 40;

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", v);
  return text;
}

}  // namespace

void write_line_plot(const std::string& path, const std::vector<double>& x, const std::vector<double>& y,
                     const std::string& title) {
  std::vector<cv::Point2d> points;
  for (size_t i = 0; i < std::min(x.size(), y.size()); ++i)
    if (std::isfinite(x[i]) && std::isfinite(y[i])) points.emplace_back(x[i], y[i]);
  cv::Mat canvas(kHeight, kWidth, CV_8UC3, cv::Scalar(255, 255, 255));
  const cv::Scalar ink(0, 0, 0), line(180, 80, 20);
  cv::rectangle(canvas, {kMargin, kMargin}, {kWidth - kMargin, kHeight - kMargin}, ink);
  cv::putText(canvas, title, {kMargin, kMargin - 12}, cv::FONT_HERSHEY_SIMPLEX, 0.5, ink);
  if (!points.empty()) {
    auto [xmin, xmax] = std::minmax_element(points.begin(), points.end(), [](auto a, auto b) { return a.x < b.x; });
    auto [ymin, ymax] = std::minmax_element(points.begin(), points.end(), [](auto a, auto b) { return a.y < b.y; });
    const double x0 = xmin->x, x1 = std::max(xmax->x, x0 + 1e-12), y0 = ymin->y, y1 = std::max(ymax->y, y0 + 1e-12);
    std::vector<cv::Point> pixels;
    for (const auto& p : points)
      pixels.emplace_back(kMargin + static_cast<int>((p.x - x0) / (x1 - x0) * (kWidth - 2 * kMargin)),
                          kHeight - kMargin - static_cast<int>((p.y - y0) / (y1 - y0) * (kHeight - 2 * kMargin)));
    cv::polylines(canvas, pixels, false, line, 2, cv::LINE_AA);
    const auto small = [&](const std::string& text, cv::Point at) {
      cv::putText(canvas, text, at, cv::FONT_HERSHEY_SIMPLEX, 0.4, ink);
    };
    small(number(y1), {4, kMargin + 4});
    small(number(y0), {4, kHeight - kMargin});
    small(number(x0), {kMargin, kHeight - kMargin + 16});
    small(number(x1), {kWidth - kMargin - 40, kHeight - kMargin + 16});
  }
  // BGR bytes [H, W, 3] -> RGB [3, H, W] in [0, 1], written like every other picture.
  const auto bgr = torch::from_blob(canvas.data, {kHeight, kWidth, 3}, torch::kUInt8);
  write_image(path, bgr.flip({2}).permute({2, 0, 1}).to(torch::kFloat32) / 255.0);
}

}  // namespace cglow
