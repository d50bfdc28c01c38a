#include "cglow/data/seven_scenes.h"

#include <algorithm>
#include <filesystem>

#include "cglow/data/image_io.h"

namespace cglow {
namespace {

namespace fs = std::filesystem;

bool is_depth_frame(const fs::path& p) {
  const auto name = p.filename().string();
  const std::string suffix = ".depth.png";
  return name.rfind("frame-", 0) == 0 && name.size() > suffix.size() &&
         name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

torch::Tensor fill_missing_depth(const torch::Tensor& depth, const torch::Tensor& valid) {
  namespace F = torch::nn::functional;
  auto known = valid.to(torch::kFloat32).unsqueeze(0);
  auto filled = (depth * known[0]).unsqueeze(0);
  const auto pool = F::AvgPool2dFuncOptions(3).stride(1).padding(1).count_include_pad(false);
  while (!known.all().item<bool>()) {
    const auto weight = F::avg_pool2d(known, pool);
    const auto grown = known.eq(0) & weight.gt(0);
    filled = torch::where(grown, F::avg_pool2d(filled * known, pool) / weight.clamp_min(1e-12), filled);
    known = torch::where(grown, torch::ones_like(known), known);
  }
  return filled[0];
}

DepthFrames read_depth_frames(const std::string& folder, int64_t count) {
  std::error_code error;
  if (!fs::is_directory(folder, error)) throw DataError("missing depth folder " + folder);
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(folder))
    if (entry.is_regular_file() && is_depth_frame(entry.path())) files.push_back(entry.path());
  if (files.empty()) throw DataError("no frame-*.depth.png files under " + folder);
  std::sort(files.begin(), files.end());
  if (count > 0 && count < static_cast<int64_t>(files.size())) {
    std::vector<fs::path> spaced;
    for (int64_t i = 0; i < count; ++i) spaced.push_back(files[i * files.size() / count]);
    files = spaced;
  }
  DepthFrames frames;
  std::vector<torch::Tensor> depths, valids;
  for (const auto& file : files) {
    const auto raw = read_raw_image(file.string(), /*sixteen_bit=*/true);
    if (!depths.empty() && !raw.sizes().equals(depths.front().sizes()))
      throw DataError("depth frame " + file.string() + " is " + std::to_string(raw.size(2)) + "x" +
                      std::to_string(raw.size(1)) + ", unlike " + frames.names.front());
    const auto valid = raw.gt(0) & raw.lt(65535);
    if (!valid.any().item<bool>()) throw DataError("depth frame " + file.string() + " has no measured pixel");
    depths.push_back(fill_missing_depth(raw / 1000.0, valid));
    valids.push_back(valid);
    frames.names.push_back(file.string());
  }
  frames.depth = torch::stack(depths);
  frames.valid = torch::stack(valids);
  return frames;
}

}  // namespace cglow
