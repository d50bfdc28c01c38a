#include "cglow/data/weizmann_horse.h"

#include <filesystem>
#include <map>

#include "cglow/data/image_io.h"

namespace cglow {
namespace {

namespace fs = std::filesystem;

constexpr double kMaskThreshold = 127.0 / 255.0;

std::map<std::string, std::string> by_stem(const std::vector<std::string>& files) {
  std::map<std::string, std::string> out;
  for (const auto& f : files) {
    const auto [where, added] = out.emplace(fs::path(f).stem().string(), f);
    if (!added) throw DataError("two files with one name: " + where->second + " and " + f);
  }
  return out;
}

}  // namespace

SegmentationSet read_mask_folders(const std::string& images_dir, const std::string& masks_dir, int64_t size,
                                  int64_t first, int64_t count, int64_t detail) {
  const auto images = by_stem(list_images(images_dir)), masks = by_stem(list_images(masks_dir));
  for (const auto& [stem, path] : images)
    if (!masks.count(stem)) throw DataError("image " + path + " has no mask in " + masks_dir);
  for (const auto& [stem, path] : masks)
    if (!images.count(stem)) throw DataError("mask " + path + " has no image in " + images_dir);

  std::vector<std::string> stems;
  for (const auto& item : images) stems.push_back(item.first);
  const int64_t n = static_cast<int64_t>(stems.size());
  const int64_t end = count < 0 ? n : std::min(n, first + count);
  if (first < 0 || first >= end)
    throw DataError("empty selection: " + std::to_string(count < 0 ? n - first : count) + " examples from number " +
                    std::to_string(first) + " of the " + std::to_string(n) + " in " + images_dir);

  SegmentationSetBuilder examples(size, 2, detail);
  for (int64_t i = first; i < end; ++i) {
    const auto& stem = stems[i];
    const auto mask = read_image(masks.at(stem), /*grey=*/true);
    const auto image = resize_image(read_image(images.at(stem)), mask.size(1), mask.size(2));
    examples.add(image, mask[0].gt(kMaskThreshold).to(torch::kLong), stem);
  }
  return examples.build();
}

SegmentationSet read_weizmann_horse(const std::string& root, int64_t size, int64_t first, int64_t count,
                                    int64_t detail) {
  return read_mask_folders(root + "/rgb", root + "/figure_ground", size, first, count, detail);
}

}  // namespace cglow
