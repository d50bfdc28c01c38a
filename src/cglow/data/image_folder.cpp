#include "cglow/data/image_folder.h"

#include "cglow/centre_window.h"
#include "cglow/data/image_io.h"

namespace cglow {

torch::Tensor read_image_folders(const std::vector<std::string>& folders, int64_t size, int64_t crop) {
  std::vector<torch::Tensor> images;
  for (const auto& folder : folders) {
    for (const auto& file : list_images(folder, /*recursive=*/true)) {
      const auto image = read_image(file);
      const int64_t h = image.size(1), w = image.size(2);
      const int64_t side = crop > 0 ? crop : std::min(h, w);
      if (side > h || side > w)
        throw DataError("image " + file + " is " + std::to_string(w) + "x" + std::to_string(h) +
                        ", smaller than the " + std::to_string(side) + "x" + std::to_string(side) + " crop");
      const auto square = centre_window(image, side, side);
      images.push_back(resize_image(square.contiguous(), size, size));
    }
  }
  return torch::stack(images);
}

}  // namespace cglow
