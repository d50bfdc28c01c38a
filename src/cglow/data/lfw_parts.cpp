#include "cglow/data/lfw_parts.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cglow/data/image_io.h"

namespace cglow {
namespace {

namespace fs = std::filesystem;

std::string label_file(const std::string& root, const std::string& base) {
  for (const auto& candidate : {root + "/labels/" + base + ".png", root + "/labels/" + base + ".ppm",
                                root + "/parts_lfw_funneled_gt_images/" + base + ".ppm"})
    if (fs::exists(candidate)) return candidate;
  throw DataError("no label image for " + base + " in " + root + "/labels or " + root +
                  "/parts_lfw_funneled_gt_images");
}

std::string superpixel_file(const std::string& folder, const std::string& base) {
  for (const char* extension : {".png", ".ppm", ".pgm"})
    if (fs::exists(folder + "/" + base + extension)) return folder + "/" + base + extension;
  throw DataError("no super-pixel map for " + base + " in " + folder);
}

std::string size_text(const torch::Tensor& map) {
  return std::to_string(map.size(-1)) + "x" + std::to_string(map.size(-2));
}

}  // namespace

torch::Tensor lfw_labels_from_colours(const torch::Tensor& rgb, const std::string& path) {
  const auto on = rgb.eq(255), off = rgb.eq(0);
  const auto r = on.select(2, 0) & off.select(2, 1) & off.select(2, 2);
  const auto g = off.select(2, 0) & on.select(2, 1) & off.select(2, 2);
  const auto b = off.select(2, 0) & off.select(2, 1) & on.select(2, 2);
  const auto known = r | g | b;
  if (!known.all().item<bool>()) {
    const auto bad = (~known).nonzero()[0];
    const int64_t y = bad[0].item<int64_t>(), x = bad[1].item<int64_t>();
    const auto colour = rgb[y][x];
    throw DataError("label image " + path + " has colour (" + std::to_string(colour[0].item<int>()) + "," +
                    std::to_string(colour[1].item<int>()) + "," + std::to_string(colour[2].item<int>()) +
                    ") at x=" + std::to_string(x) + " y=" + std::to_string(y) +
                    ", outside the palette (pure red hair, green skin, blue background)");
  }
  return r.to(torch::kLong) * kLfwHair + g.to(torch::kLong) * kLfwSkin + b.to(torch::kLong) * kLfwBackground;
}

SegmentationSet read_lfw_parts(const std::string& root, const std::string& split_file, int64_t size,
                               const std::string& superpixels, int64_t detail) {
  const std::string split = fs::exists(split_file) ? split_file : root + "/" + split_file;
  std::ifstream in(split);
  if (!in) throw DataError("missing split file " + split);
  SegmentationSetBuilder examples(size, 3, detail);
  if (!superpixels.empty() && !fs::is_directory(superpixels))
    throw DataError("missing super-pixel folder " + superpixels);
  std::vector<torch::Tensor> regions;
  std::string line;
  for (int line_number = 1; std::getline(in, line); ++line_number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();  // split files written on Windows
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    std::istringstream fields(line);
    std::string name;
    int number = -1;
    if (!(fields >> name >> number) || number < 0)
      throw DataError(split + " line " + std::to_string(line_number) + " is not 'NAME N': " + line);
    char digits[16];
    std::snprintf(digits, sizeof digits, "%04d", number);
    const std::string base = name + "_" + digits;
    const std::string image_path = root + "/lfw_funneled/" + name + "/" + base + ".jpg";
    const std::string labels_path = label_file(root, base);
    const auto image = read_image(image_path);
    const auto labels = lfw_labels_from_colours(read_rgb_bytes(labels_path), labels_path);
    if (labels.size(0) != image.size(1) || labels.size(1) != image.size(2))
      throw DataError("label image " + labels_path + " is " + size_text(labels) + " but its image " + image_path +
                      " is " + size_text(image));
    if (!superpixels.empty()) {
      const auto path = superpixel_file(superpixels, base);
      const auto ids = read_region_ids(path);
      if (!ids.sizes().equals(labels.sizes()))
        throw DataError("super-pixel map " + path + " is " + size_text(ids) + " but its image " + image_path +
                        " is " + size_text(image));
      namespace F = torch::nn::functional;
      regions.push_back(F::interpolate(ids.to(torch::kFloat64).view({1, 1, ids.size(0), ids.size(1)}),
                                       F::InterpolateFuncOptions()
                                           .size(std::vector<int64_t>{size, size})
                                           .mode(torch::kNearest))
                            .view({size, size})
                            .to(torch::kLong));
    }
    examples.add(image, labels, base);
  }
  if (examples.empty()) throw DataError("split file " + split + " lists no examples");
  auto set = examples.build();
  if (!regions.empty()) set.regions = torch::stack(regions);
  return set;
}

}  // namespace cglow
