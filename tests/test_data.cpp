#include <zlib.h>

#include <filesystem>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "cglow/data/fashion_mnist.h"
#include "cglow/data/image_grid.h"
#include "cglow/data/plot.h"

namespace cglow {
namespace {

namespace fs = std::filesystem;

fs::path temp_dir() {
  auto dir = fs::temp_directory_path() / ("cglow_data_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

void write_gz(const fs::path& path, const std::vector<unsigned char>& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

TEST(Idx, ReadsImagesItWrote) {
  const auto dir = temp_dir();
  // Magic 2051, 2 images of 2x3.
  std::vector<unsigned char> bytes{0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3};
  for (unsigned char v = 0; v < 12; ++v) bytes.push_back(v * 20);
  write_gz(dir / "images.gz", bytes);
  const auto images = read_idx_images((dir / "images.gz").string());
  EXPECT_EQ(images.sizes(), torch::IntArrayRef({2, 2, 3}));
  EXPECT_EQ(images[1][1][2].item<int>(), 220);

  bytes.resize(bytes.size() - 1);
  write_gz(dir / "short.gz", bytes);
  try {
    read_idx_images((dir / "short.gz").string());
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("short.gz is truncated"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_idx_labels((dir / "images.gz").string()), std::runtime_error);  // wrong magic
  EXPECT_THROW(read_idx_images((dir / "absent.gz").string()), std::runtime_error);
  fs::remove_all(dir);
}

TEST(Idx, ReadsDebiansFashionMnist) {
  if (!fs::exists(std::string(kFashionMnistDir) + "/t10k-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "Fashion-MNIST not installed (Debian package dataset-fashion-mnist)";
  const auto images = fashion_mnist_images(kFashionMnistDir, false);
  EXPECT_EQ(images.sizes(), torch::IntArrayRef({10000, 1, 28, 28}));
  EXPECT_GE(images.min().item<double>(), 0.0);
  EXPECT_LE(images.max().item<double>(), 1.0);
  EXPECT_GT(images.mean().item<double>(), 0.1);
  EXPECT_EQ(read_idx_labels(std::string(kFashionMnistDir) + "/t10k-labels-idx1-ubyte.gz").size(0), 10000);
}

TEST(Plot, WritesALineAndRejectsAnUnwritablePath) {
  const auto dir = temp_dir();
  write_line_plot((dir / "loss.png").string(), {1, 2, 3, 4}, {5.0, 3.0, NAN, 2.0}, "loss");
  const auto image = cv::imread((dir / "loss.png").string());
  ASSERT_FALSE(image.empty());
  EXPECT_EQ(image.cols, 640);
  EXPECT_LT(cv::mean(image)[0], 254.0) << "something was drawn";
  EXPECT_THROW(write_line_plot((dir / "no/such/loss.png").string(), {1}, {1}, "x"), std::runtime_error);
  fs::remove_all(dir);
}

TEST(ImageGrid, WritesRowsOfCellsScaledToTheLargest) {
  const auto dir = temp_dir();
  const auto path = (dir / "grid.png").string();
  write_image_grid(path, {{torch::zeros({1, 4, 4}), torch::ones({3, 8, 8})}, {torch::rand({1, 8, 8})}});
  const auto image = cv::imread(path);
  ASSERT_FALSE(image.empty());
  EXPECT_EQ(image.rows, 2 * (8 + 2) + 2);
  EXPECT_EQ(image.cols, 2 * (8 + 2) + 2);
  EXPECT_EQ(image.at<cv::Vec3b>(3, 3)[0], 0);     // first cell black
  EXPECT_EQ(image.at<cv::Vec3b>(3, 13)[0], 255);  // second cell white
  // Scaled up by a whole factor: 8 -> 24 pixels for a minimum of 20.
  write_image_grid(path, {{torch::zeros({1, 8, 8})}}, 20);
  EXPECT_EQ(cv::imread(path).rows, 24 + 2 * 2);
  EXPECT_THROW(write_image_grid((dir / "no/such/dir/grid.png").string(), {{torch::zeros({1, 2, 2})}}),
               std::runtime_error);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cglow
