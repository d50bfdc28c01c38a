#include "cglow/data/image_io.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace cglow {
namespace {

namespace fs = std::filesystem;

cv::Mat read_mat(const std::string& path, int flags) {
  if (!fs::exists(path)) throw DataError("missing image file " + path);
  cv::Mat image;
  try {
    image = cv::imread(path, flags);
  } catch (const cv::Exception&) {
    image = cv::Mat();
  }
  if (image.empty()) throw DataError("cannot decode image " + path + " (corrupt or not an image)");
  return image;
}

// [H, W, C] cv::Mat -> [C, H, W] tensor of the same element type, copied.
torch::Tensor to_chw(const cv::Mat& image, torch::Dtype dtype) {
  const auto hwc = torch::from_blob(image.data, {image.rows, image.cols, image.channels()},
                                    {static_cast<int64_t>(image.step[0] / image.elemSize1()),
                                     image.channels(), 1},
                                    dtype);
  return hwc.permute({2, 0, 1}).clone(torch::MemoryFormat::Contiguous);  // a copy: the Mat dies
}

cv::Mat to_mat(const torch::Tensor& chw) {
  auto hwc = chw.detach().to(torch::kCPU, torch::kFloat32).permute({1, 2, 0}).contiguous();
  return cv::Mat(static_cast<int>(hwc.size(0)), static_cast<int>(hwc.size(1)), CV_32FC(static_cast<int>(hwc.size(2))),
                 hwc.data_ptr<float>())
      .clone();
}

}  // namespace

torch::Tensor read_image(const std::string& path, bool grey) {
  cv::Mat image = read_mat(path, grey ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
  if (!grey) cv::cvtColor(image, image, cv::COLOR_BGR2RGB);
  return to_chw(image, torch::kUInt8).to(torch::kFloat32) / 255.0;
}

torch::Tensor read_raw_image(const std::string& path, bool sixteen_bit) {
  const cv::Mat image = read_mat(path, cv::IMREAD_ANYDEPTH | cv::IMREAD_GRAYSCALE);
  if (image.depth() != CV_16U && (sixteen_bit || image.depth() != CV_8U))
    throw DataError("image " + path + " is not " + (sixteen_bit ? "a 16-bit" : "an 8- or 16-bit") + " unsigned image");
  if (image.depth() == CV_16U) {
    cv::Mat wide;
    image.convertTo(wide, CV_32S);
    return to_chw(wide, torch::kInt32).to(torch::kFloat32);
  }
  return to_chw(image, torch::kUInt8).to(torch::kFloat32);
}

torch::Tensor read_region_ids(const std::string& path) {
  cv::Mat image = read_mat(path, cv::IMREAD_UNCHANGED);
  if (image.channels() == 1 && (image.depth() == CV_8U || image.depth() == CV_16U)) {
    image.convertTo(image, CV_32S);
    return to_chw(image, torch::kInt32)[0].to(torch::kLong);
  }
  if (image.channels() != 3 || image.depth() != CV_8U)
    throw DataError("region image " + path + " is neither a single-channel image nor an 8-bit colour image");
  const auto bgr = to_chw(image, torch::kUInt8).to(torch::kLong);  // each distinct colour one id
  return bgr[0] + bgr[1] * 256 + bgr[2] * 65536;
}

torch::Tensor read_rgb_bytes(const std::string& path) {
  cv::Mat image = read_mat(path, cv::IMREAD_COLOR);
  cv::cvtColor(image, image, cv::COLOR_BGR2RGB);
  return to_chw(image, torch::kUInt8).permute({1, 2, 0}).contiguous();
}

torch::Tensor resize_image(const torch::Tensor& image, int64_t height, int64_t width) {
  if (image.size(1) == height && image.size(2) == width) return image;
  // Area averaging whenever an axis shrinks, so that label planes vote by area (resize_labels).
  const bool shrinking = height < image.size(1) || width < image.size(2);
  cv::Mat resized;
  cv::resize(to_mat(image), resized, {static_cast<int>(width), static_cast<int>(height)}, 0, 0,
             shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
  return to_chw(resized, torch::kFloat32).view({image.size(0), height, width});
}

torch::Tensor resize_labels(const torch::Tensor& labels, int64_t classes, int64_t height, int64_t width) {
  if (labels.numel() > 0 && (labels.min().item<int64_t>() < 0 || labels.max().item<int64_t>() >= classes))
    throw DataError("label outside 0.." + std::to_string(classes - 1) + " in a label map to resize");
  const auto one_hot = torch::one_hot(labels.to(torch::kLong), classes).permute({2, 0, 1}).to(torch::kFloat32);
  std::vector<torch::Tensor> planes;
  for (int64_t c = 0; c < classes; ++c) planes.push_back(resize_image(one_hot[c].unsqueeze(0), height, width));
  return torch::cat(planes, 0).argmax(0);
}

void write_image(const std::string& path, const torch::Tensor& image) {
  cv::Mat bytes;
  to_mat(image.clamp(0, 1) * 255.0).convertTo(bytes, CV_8U);
  if (bytes.channels() == 3) cv::cvtColor(bytes, bytes, cv::COLOR_RGB2BGR);
  bool written = false;
  try {
    written = cv::imwrite(path, bytes);
  } catch (const cv::Exception&) {
    written = false;
  }
  if (!written) throw DataError("cannot write image " + path);
}

void create_output_folder(const std::string& folder) {
  std::error_code error;
  fs::create_directories(folder, error);
  if (error) throw DataError("cannot create output folder " + folder + ": " + error.message());
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) throw DataError("cannot write " + path);
}

void append_line(const std::string& path, const std::string& line) {
  std::ofstream out(path, std::ios::app);
  out << line << "\n";
  if (!out) throw DataError("cannot write " + path);
}

std::vector<std::string> list_images(const std::string& folder, bool recursive) {
  if (!fs::is_directory(folder)) throw DataError("missing folder " + folder);
  static const std::set<std::string> extensions{".jpg", ".jpeg", ".png", ".ppm", ".pgm", ".bmp"};
  std::vector<std::string> files;
  auto add = [&](const fs::directory_entry& entry) {
    auto extension = entry.path().extension().string();
    std::transform(extension.begin(), extension.end(), extension.begin(), ::tolower);
    if (entry.is_regular_file() && extensions.count(extension)) files.push_back(entry.path().string());
  };
  try {
    if (recursive) {
      for (const auto& entry : fs::recursive_directory_iterator(folder)) add(entry);
    } else {
      for (const auto& entry : fs::directory_iterator(folder)) add(entry);
    }
  } catch (const fs::filesystem_error& e) {
    throw DataError("cannot list folder " + folder + ": " + e.what());
  }
  if (files.empty()) throw DataError("no images in folder " + folder);
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace cglow
