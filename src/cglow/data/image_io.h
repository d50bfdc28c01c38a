// Reading and writing images, with errors that name the file.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace cglow {

// Bad input data: what() is one line naming the file or value.
struct DataError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// An 8-bit image as [C, H, W] floats in [0, 1]: C = 3 (RGB order) or, with `grey`, 1.
torch::Tensor read_image(const std::string& path, bool grey = false);
// A single-channel 8- or 16-bit image with its stored values (such as depth in millimetres): [1, H, W]
// floats. With `sixteen_bit`, an 8-bit file is a DataError.
torch::Tensor read_raw_image(const std::string& path, bool sixteen_bit = false);
// An image of region ids (such as super-pixels), [H, W] int64: a single-channel 8- or 16-bit image's
// values, or a colour image's colours, each distinct colour one id.
torch::Tensor read_region_ids(const std::string& path);
// An 8-bit colour image as stored, [H, W, 3] uint8 in RGB order: for label images coded by colour.
torch::Tensor read_rgb_bytes(const std::string& path);

// [C, H, W] floats resized by area averaging (shrinking) or bilinear interpolation (growing).
torch::Tensor resize_image(const torch::Tensor& image, int64_t height, int64_t width);
// A label map [H, W] (0 .. classes-1) resized by the majority of each class's area.
torch::Tensor resize_labels(const torch::Tensor& labels, int64_t classes, int64_t height, int64_t width);

// [C, H, W] floats in [0, 1] (C = 1 or 3) to an 8-bit PNG; DataError naming the file on failure.
void write_image(const std::string& path, const torch::Tensor& image);

// Creates `folder` (and its parents) for outputs; DataError naming it when it cannot be.
void create_output_folder(const std::string& folder);

// Writes `text` to the file `path` (a run's JSON files); DataError naming it when it cannot.
void write_text(const std::string& path, const std::string& text);
// Adds `line` and a newline at the end of the file `path`, creating it; DataError naming it when it cannot.
void append_line(const std::string& path, const std::string& line);

// The image files (jpg, jpeg, png, ppm, pgm, bmp) of a folder, and with `recursive` of its subfolders
// too, sorted by path; DataError when the folder is missing or holds none.
std::vector<std::string> list_images(const std::string& folder, bool recursive = false);

}  // namespace cglow
