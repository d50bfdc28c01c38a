// The data readers on the real data sets where ../shared/datasets has them, and on small files the tests
// write, including every kind of bad input: each must be one DataError naming the file or value.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "cglow/data/image_folder.h"
#include "cglow/data/image_io.h"
#include "cglow/data/lfw_parts.h"
#include "cglow/data/seven_scenes.h"
#include "cglow/data/weizmann_horse.h"
#include "cglow/tasks/registry.h"
#include "cglow/tasks/segmentation_task.h"
#include "testing.h"

namespace cglow {
namespace {

namespace fs = std::filesystem;

const std::string kDatasets = std::string(CGLOW_SOURCE_DIR) + "/../shared/datasets";

class ReadersTest : public testing::TempDirTest {
 protected:
  void write(const std::string& name, const cv::Mat& image) {
    fs::create_directories(fs::path(path(name)).parent_path());
    ASSERT_TRUE(cv::imwrite(path(name), image));
  }
  // The DataError message of `f`, or "" when it does not throw one.
  template <typename F>
  std::string error_of(F f) {
    try {
      f();
    } catch (const DataError& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "one line: " << e.what();
      return e.what();
    }
    return "";
  }
};

cv::Mat grey(int h, int w, int value) { return cv::Mat(h, w, CV_8UC1, cv::Scalar(value)); }
cv::Mat bgr(int h, int w, int b, int g, int r) { return cv::Mat(h, w, CV_8UC3, cv::Scalar(b, g, r)); }

TEST_F(ReadersTest, ImagesRoundTripAndSixteenBitDepthKeepsItsValues) {
  const auto image = torch::rand({3, 5, 7});
  write_image(path("a.png"), image);
  EXPECT_LT((read_image(path("a.png")) - image).abs().max().item<double>(), 0.5 / 255 + 1e-6);
  EXPECT_EQ(read_image(path("a.png"), true).sizes(), torch::IntArrayRef({1, 5, 7}));
  // Channel order on disk: a red image is stored as BGR (0, 0, 255).
  auto red = torch::zeros({3, 2, 2});
  red[0].fill_(1);
  write_image(path("red.png"), red);
  EXPECT_EQ(cv::imread(path("red.png")).at<cv::Vec3b>(0, 0), cv::Vec3b(0, 0, 255));
  cv::Mat depth(4, 6, CV_16UC1, cv::Scalar(0));
  depth.at<uint16_t>(1, 2) = 4321;
  write("depth.png", depth);
  const auto raw = read_raw_image(path("depth.png"));
  EXPECT_EQ(raw.sizes(), torch::IntArrayRef({1, 4, 6}));
  EXPECT_EQ(raw[0][1][2].item<float>(), 4321.0f);
  EXPECT_EQ(raw.sum().item<float>(), 4321.0f);
}

TEST_F(ReadersTest, LabelsResizeByMajorityArea) {
  auto labels = torch::zeros({4, 4}, torch::kLong);
  labels.narrow(1, 0, 3).fill_(2);  // three quarters class 2
  const auto small = resize_labels(labels, 3, 2, 2);
  EXPECT_EQ(small[0][0].item<int64_t>(), 2);
  EXPECT_EQ(small[0][1].item<int64_t>(), 0);  // columns 2-3: half and half -> the lower index wins ties
  EXPECT_EQ(resize_labels(labels, 3, 1, 1).item<int64_t>(), 2);
  // Shrinking one axis while growing the other still votes by area along the shrinking one.
  EXPECT_TRUE(torch::equal(resize_labels(labels, 3, 8, 1), torch::full({8, 1}, 2, torch::kLong)));
  EXPECT_THROW(resize_labels(labels, 2, 2, 2), DataError);
}

TEST_F(ReadersTest, BadImageFilesAreNamed) {
  EXPECT_NE(error_of([&] { read_image(path("absent.jpg")); }).find("absent.jpg"), std::string::npos);
  { std::ofstream(path("corrupt.jpg")) << "not a jpeg at all"; }
  EXPECT_NE(error_of([&] { read_image(path("corrupt.jpg")); }).find("corrupt.jpg"), std::string::npos);
  EXPECT_NE(error_of([&] { list_images(path("nowhere")); }).find("nowhere"), std::string::npos);
  fs::create_directories(path("empty"));
  EXPECT_NE(error_of([&] { list_images(path("empty")); }).find("no images"), std::string::npos);
  EXPECT_NE(error_of([&] { write_image(path("no/such/dir/x.png"), torch::zeros({1, 2, 2})); }).find("x.png"),
            std::string::npos);
}

TEST_F(ReadersTest, MaskFoldersPairByNameAndThreshold) {
  write("img/a.jpg", bgr(16, 16, 10, 20, 30));
  write("img/b.jpg", bgr(32, 32, 10, 20, 30));  // larger than its mask: resized to it first
  cv::Mat mask = grey(16, 16, 0);
  mask(cv::Rect(0, 0, 16, 8)).setTo(200);
  write("mask/a.png", mask);
  write("mask/b.png", mask);
  const auto set = read_mask_folders(path("img"), path("mask"), 8);
  EXPECT_EQ(set.images.sizes(), torch::IntArrayRef({2, 3, 8, 8}));
  EXPECT_EQ(set.names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(set.labels.sum().item<int64_t>(), 2 * 32);  // the top half of each 8x8 mask
  EXPECT_NEAR(set.images[0][0].mean().item<double>(), 30.0 / 255, 0.02);  // RGB order
  EXPECT_FALSE(set.detail_images.defined());
  const auto detailed = read_mask_folders(path("img"), path("mask"), 8, 0, -1, /*detail=*/2);
  EXPECT_TRUE(torch::equal(detailed.labels, set.labels));
  EXPECT_EQ(detailed.detail_images.sizes(), torch::IntArrayRef({2, 3, 16, 16}));
  EXPECT_EQ(detailed.detail_labels.sum().item<int64_t>(), 2 * 128);  // the top half of each 16x16 mask

  EXPECT_EQ(read_mask_folders(path("img"), path("mask"), 8, 1, 1).names, std::vector<std::string>{"b"});
  EXPECT_NE(error_of([&] { read_mask_folders(path("img"), path("mask"), 8, 5, 1); }).find("empty selection"),
            std::string::npos);
  write("img/c.jpg", bgr(16, 16, 1, 2, 3));
  EXPECT_NE(error_of([&] { read_mask_folders(path("img"), path("mask"), 8); }).find("c.jpg has no mask"),
            std::string::npos);
  fs::remove(path("img/c.jpg"));
  write("mask/d.png", mask);
  EXPECT_NE(error_of([&] { read_mask_folders(path("img"), path("mask"), 8); }).find("d.png has no image"),
            std::string::npos);
}

TEST_F(ReadersTest, LfwLabelsAndTheirErrors) {
  write("lfw/lfw_funneled/Jane_Doe/Jane_Doe_0007.jpg", bgr(10, 10, 50, 50, 50));
  cv::Mat labels = bgr(10, 10, 255, 0, 0);                    // blue background
  labels(cv::Rect(0, 0, 10, 3)).setTo(cv::Scalar(0, 0, 255));  // red hair on top
  labels(cv::Rect(3, 4, 4, 4)).setTo(cv::Scalar(0, 255, 0));    // green skin
  write("lfw/labels/Jane_Doe_0007.ppm", labels);                // the distributed format
  { std::ofstream(path("lfw/split.txt")) << "Jane_Doe 7\n\n"; }
  const auto set = read_lfw_parts(path("lfw"), "split.txt", 10);
  EXPECT_EQ(set.classes, 3);
  EXPECT_EQ(set.labels.eq(kLfwHair).sum().item<int64_t>(), 30);
  EXPECT_EQ(set.labels.eq(kLfwSkin).sum().item<int64_t>(), 16);
  EXPECT_EQ(set.names, std::vector<std::string>{"Jane_Doe_0007"});
  const auto detailed = read_lfw_parts(path("lfw"), "split.txt", 5, "", /*detail=*/2);
  EXPECT_EQ(detailed.detail_images.sizes(), torch::IntArrayRef({1, 3, 10, 10}));
  EXPECT_TRUE(torch::equal(detailed.detail_labels[0], set.labels[0]));  // at 10x10, as read at size 10

  labels.at<cv::Vec3b>(9, 9) = cv::Vec3b(10, 20, 30);
  write("lfw/labels/Jane_Doe_0007.ppm", labels);
  const auto colour = error_of([&] { read_lfw_parts(path("lfw"), "split.txt", 10); });
  EXPECT_NE(colour.find("Jane_Doe_0007.ppm has colour (30,20,10) at x=9 y=9"), std::string::npos) << colour;

  write("lfw/labels/Jane_Doe_0007.ppm", bgr(12, 10, 255, 0, 0));
  EXPECT_NE(error_of([&] { read_lfw_parts(path("lfw"), "split.txt", 10); }).find("is 10x12 but its image"),
            std::string::npos);
  { std::ofstream(path("lfw/split.txt")) << "Jane_Doe seven\n"; }
  EXPECT_NE(error_of([&] { read_lfw_parts(path("lfw"), "split.txt", 10); }).find("line 1 is not 'NAME N'"),
            std::string::npos);
  { std::ofstream(path("lfw/split.txt")) << "John_Roe 1\n"; }
  EXPECT_NE(error_of([&] { read_lfw_parts(path("lfw"), "split.txt", 10); }).find("no label image for John_Roe_0001"),
            std::string::npos);
  { std::ofstream(path("lfw/split.txt")) << "\n"; }
  EXPECT_NE(error_of([&] { read_lfw_parts(path("lfw"), "split.txt", 10); }).find("lists no examples"),
            std::string::npos);
  EXPECT_NE(error_of([&] { read_lfw_parts(path("lfw"), "absent.txt", 10); }).find("missing split file"),
            std::string::npos);
}

TEST_F(ReadersTest, LfwDistributedLabelFolderAndSuperPixelMaps) {
  write("lfw/lfw_funneled/Jane_Doe/Jane_Doe_0001.jpg", bgr(8, 8, 50, 50, 50));
  write("lfw/parts_lfw_funneled_gt_images/Jane_Doe_0001.ppm", bgr(8, 8, 255, 0, 0));  // as distributed
  { std::ofstream(path("lfw/split.txt")) << "Jane_Doe 1\r\n"; }
  EXPECT_FALSE(read_lfw_parts(path("lfw"), "split.txt", 4).regions.defined()) << "no super-pixels given";
  // Super-pixel maps as colour images: the left and right halves are two regions.
  cv::Mat regions = bgr(8, 8, 1, 2, 3);
  regions(cv::Rect(4, 0, 4, 8)).setTo(cv::Scalar(3, 2, 1));
  write("sp/Jane_Doe_0001.png", regions);
  const auto set = read_lfw_parts(path("lfw"), "split.txt", 4, path("sp"));
  ASSERT_TRUE(set.regions.defined());
  EXPECT_EQ(set.regions.sizes(), torch::IntArrayRef({1, 4, 4}));
  EXPECT_EQ(std::get<0>(at::_unique(set.regions)).numel(), 2);
  EXPECT_TRUE(torch::equal(set.regions[0].select(1, 0), set.regions[0].select(1, 1)));
  EXPECT_FALSE(torch::equal(set.regions[0].select(1, 1), set.regions[0].select(1, 2)));
  // Single-channel 16-bit maps keep their ids.
  cv::Mat ids(8, 8, CV_16UC1, cv::Scalar(700));
  write("sp16/Jane_Doe_0001.png", ids);
  EXPECT_EQ(read_lfw_parts(path("lfw"), "split.txt", 4, path("sp16")).regions.max().item<int64_t>(), 700);

  write("sp/Jane_Doe_0001.png", bgr(6, 8, 1, 2, 3));
  EXPECT_NE(error_of([&] { read_lfw_parts(path("lfw"), "split.txt", 4, path("sp")); }).find("super-pixel map"),
            std::string::npos);
  fs::remove(path("sp/Jane_Doe_0001.png"));
  EXPECT_NE(error_of([&] { read_lfw_parts(path("lfw"), "split.txt", 4, path("sp")); })
                .find("no super-pixel map for Jane_Doe_0001"),
            std::string::npos);
  EXPECT_NE(error_of([&] { read_lfw_parts(path("lfw"), "split.txt", 4, path("absent")); })
                .find("missing super-pixel folder"),
            std::string::npos);
}

// A 16-bit depth frame in millimetres, as 7-Scenes stores them.
cv::Mat depth_frame(int h, int w, int millimetres) { return cv::Mat(h, w, CV_16UC1, cv::Scalar(millimetres)); }

TEST_F(ReadersTest, SevenScenesDepthFramesFillMissingPixelsAndKeepWhichWereMeasured) {
  for (int i = 0; i < 6; ++i) {
    char name[64];
    std::snprintf(name, sizeof name, "chess/seq-%02d/frame-%06d.depth.png", 1 + i / 3, i % 3);
    write(name, depth_frame(6, 8, 1000 + 100 * i));
  }
  write("chess/seq-01/frame-000000.color.png", bgr(6, 8, 1, 2, 3));  // ignored: not a depth frame
  cv::Mat holes = depth_frame(6, 8, 2000);
  holes.at<uint16_t>(2, 3) = 0;       // missing
  holes.at<uint16_t>(2, 4) = 65535;   // missing, as the distributed files mark it
  holes.at<uint16_t>(2, 2) = 3000;
  write("chess/seq-01/frame-000001.depth.png", holes);

  const auto all = read_depth_frames(path("chess"));
  ASSERT_EQ(all.depth.sizes(), torch::IntArrayRef({6, 1, 6, 8}));
  EXPECT_NE(all.names[3].find("seq-02/frame-000000"), std::string::npos) << "in path order";
  EXPECT_FLOAT_EQ(all.depth[0][0][0][0].item<float>(), 1.0f) << "metres";
  EXPECT_EQ(all.valid[1].logical_not().sum().item<int64_t>(), 2);
  EXPECT_FALSE(all.valid[1][0][2][3].item<bool>());
  // A filled pixel lies between its measured neighbours; the far ones keep 2 m.
  const float filled = all.depth[1][0][2][3].item<float>();
  EXPECT_GT(filled, 2.0f);
  EXPECT_LT(filled, 3.0f);
  EXPECT_FLOAT_EQ(all.depth[1][0][5][7].item<float>(), 2.0f);
  EXPECT_TRUE(torch::isfinite(all.depth).all().item<bool>());

  const auto spaced = read_depth_frames(path("chess"), 3);
  ASSERT_EQ(spaced.names.size(), 3u);
  EXPECT_EQ(spaced.names[1], all.names[2]) << "evenly spaced: frames 0, 2, 4";

  EXPECT_NE(error_of([&] { read_depth_frames(path("nowhere")); }).find("missing depth folder"), std::string::npos);
  fs::create_directories(path("empty"));
  EXPECT_NE(error_of([&] { read_depth_frames(path("empty")); }).find("no frame-*.depth.png"), std::string::npos);
  write("chess/seq-02/frame-000009.depth.png", depth_frame(6, 8, 0));
  EXPECT_NE(error_of([&] { read_depth_frames(path("chess")); }).find("frame-000009.depth.png has no measured pixel"),
            std::string::npos);
  write("chess/seq-02/frame-000009.depth.png", depth_frame(7, 8, 1000));
  EXPECT_NE(error_of([&] { read_depth_frames(path("chess")); }).find("frame-000009.depth.png is 8x7"),
            std::string::npos);
  write("chess/seq-02/frame-000009.depth.png", grey(6, 8, 100));
  EXPECT_NE(error_of([&] { read_depth_frames(path("chess")); }).find("is not a 16-bit"), std::string::npos);
}

TEST_F(ReadersTest, TasksScoreTheDatasetsTestSplitWhereTheFolderHasIt) {
  RunConfig c;
  c.size = 4;
  c.validation = 2;
  // Weizmann Horse: 200 horses -> the last `validation` held out; 203 -> the paper's split, 201-203 test.
  for (int i = 1; i <= 203; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "horse%03d.png", i);
    write(std::string("horse/rgb/") + name, bgr(4, 4, 10, 20, 30));
    write(std::string("horse/figure_ground/") + name, grey(4, 4, 255));
  }
  c.task = "horse";
  c.data = path("horse");
  auto task = make_task(c);
  EXPECT_EQ(task->size(DataSplit::train), 200);
  EXPECT_EQ(task->size(DataSplit::test), 3);
  for (int i = 201; i <= 203; ++i) {
    fs::remove(path("horse/rgb/horse" + std::to_string(i) + ".png"));
    fs::remove(path("horse/figure_ground/horse" + std::to_string(i) + ".png"));
  }
  task = make_task(c);
  EXPECT_EQ(task->size(DataSplit::train), 198);
  EXPECT_EQ(task->size(DataSplit::test), 2);
  EXPECT_FALSE(dynamic_cast<SegmentationTask&>(*task).set(DataSplit::train).detail_images.defined());
  c.zoom = 0.5;  // zoomed crops cut from the images at 3 times the size
  c.zoom_detail = 3;
  task = make_task(c);
  const auto& detailed = dynamic_cast<SegmentationTask&>(*task).set(DataSplit::train);
  EXPECT_EQ(detailed.detail_images.sizes(), torch::IntArrayRef({198, 3, 12, 12}));
  EXPECT_EQ(detailed.detail_labels.sizes(), torch::IntArrayRef({198, 12, 12}));
  EXPECT_FALSE(
      dynamic_cast<SegmentationTask&>(*task).set(DataSplit::test).detail_images.defined());  // crops: training only
  c.zoom = 1;  // without zoom no crops are cut: the detail images are not read
  task = make_task(c);
  EXPECT_FALSE(dynamic_cast<SegmentationTask&>(*task).set(DataSplit::train).detail_images.defined());
  c.mask_tiles = 1;  // each mask one channel of y instead of the paper's three
  EXPECT_EQ(make_task(c)->y_shape(), (Shape{1, 4, 4}));
  c.mask_tiles = kPaperMaskTiles;
  c.zoom_detail = 0;
  EXPECT_THROW(make_task(c), std::invalid_argument);
  c.zoom_detail = 1;

  // BSDS500: images/val is the test split where it is there.
  for (const std::string folder : {"train", "test", "val"})
    for (int i = 0; i < (folder == "val" ? 3 : 4); ++i)
      write("bsds/images/" + folder + "/" + std::to_string(i) + ".jpg", bgr(6, 6, 10, 20, 30));
  c.task = "denoising";
  c.data = path("bsds");
  task = make_task(c);
  EXPECT_EQ(task->size(DataSplit::train), 8);
  EXPECT_EQ(task->size(DataSplit::test), 3);
  fs::remove_all(path("bsds/images/val"));
  EXPECT_EQ(make_task(c)->size(DataSplit::test), 2);
  c.zoom = 0.5;  // zoomed crops are for segmentation only: elsewhere an error, not silently ignored
  testing::expect_invalid_argument([&] { make_task(c); }, "zoom 0.5 applies");  // as the user wrote it, not 0.500000
  c.zoom = 1;
  c.jitter = 0.2;  // so is colour jitter
  EXPECT_THROW(make_task(c), std::invalid_argument);
  c.jitter = 0;
  c.mask_tiles = 1;  // and so are a mask's tiles
  testing::expect_invalid_argument([&] { make_task(c); }, "mask_tiles 1 applies to the binary");
  c.mask_tiles = kPaperMaskTiles;
  c.flips = true;  // mirrored training images are for inpainting and denoising (segmentation always has them)
  EXPECT_NO_THROW(make_task(c));
  c.task = "depth";
  testing::expect_invalid_argument([&] { make_task(c); }, "flips");
  c.task = "denoising";
  c.flips = false;

  // LFW: parts_test.txt where it is there, else parts_validation.txt.
  for (int i = 1; i <= 3; ++i) {
    write("lfw/lfw_funneled/A_B/A_B_000" + std::to_string(i) + ".jpg", bgr(4, 4, 1, 2, 3));
    write("lfw/labels/A_B_000" + std::to_string(i) + ".png", bgr(4, 4, 255, 0, 0));
  }
  { std::ofstream(path("lfw/parts_train.txt")) << "A_B 1\n"; }
  { std::ofstream(path("lfw/parts_validation.txt")) << "A_B 2\n"; }
  c.task = "lfw";
  c.data = path("lfw");
  EXPECT_EQ(make_task(c)->size(DataSplit::test), 1);
  { std::ofstream(path("lfw/parts_test.txt")) << "A_B 2\nA_B 3\n"; }
  EXPECT_EQ(make_task(c)->size(DataSplit::test), 2);
}

TEST_F(ReadersTest, ImageFoldersAreCroppedAtTheCentreAndResized) {
  cv::Mat wide = bgr(10, 20, 0, 0, 0);
  wide(cv::Rect(5, 0, 10, 10)).setTo(cv::Scalar(255, 255, 255));  // the central square is white
  write("faces/a.png", wide);
  write("faces/b.jpg", bgr(12, 12, 0, 0, 255));
  write("faces/person/c.png", bgr(8, 8, 0, 255, 0));  // LFW keeps one folder per person
  const auto images = read_image_folders({path("faces")}, 4);
  EXPECT_EQ(images.sizes(), torch::IntArrayRef({3, 3, 4, 4}));
  EXPECT_NEAR(images[2][1].mean().item<double>(), 1.0, 0.02);  // faces/person/c.png, green, sorted last
  EXPECT_NEAR(images[0].min().item<double>(), 1.0, 1e-6);
  EXPECT_NEAR(images[1][0].mean().item<double>(), 1.0, 0.02);  // red, in RGB order
  EXPECT_NE(error_of([&] { read_image_folders({path("faces")}, 4, 11); }).find("smaller than the 11x11 crop"),
            std::string::npos);
  EXPECT_NE(error_of([&] { read_image_folders({path("none")}, 4); }).find("missing folder"), std::string::npos);
}

TEST_F(ReadersTest, RealWeizmannHorses) {
  const std::string root = kDatasets + "/weizmann_horse";
  if (!fs::exists(root + "/rgb")) GTEST_SKIP() << "no Weizmann Horse data in " << root;
  const auto set = read_weizmann_horse(root, 32, 0, 8);
  EXPECT_EQ(set.images.sizes(), torch::IntArrayRef({8, 3, 32, 32}));
  EXPECT_EQ(set.names.front(), "horse001");
  const double foreground = set.labels.to(torch::kFloat32).mean().item<double>();
  EXPECT_GT(foreground, 0.1);
  EXPECT_LT(foreground, 0.7);
}

TEST_F(ReadersTest, RealLfwParts) {
  const std::string root = kDatasets + "/lfw_parts";
  if (!fs::exists(root + "/parts_validation.txt")) GTEST_SKIP() << "no LFW Part Labels in " << root;
  // The first lines of the real split file, so that the test stays quick.
  std::ifstream in(root + "/parts_validation.txt");
  std::ofstream out(path("head.txt"));
  std::string line;
  for (int i = 0; i < 5 && std::getline(in, line); ++i) out << line << "\n";
  out.close();
  const auto set = read_lfw_parts(root, path("head.txt"), 32);
  EXPECT_EQ(set.images.sizes(), torch::IntArrayRef({5, 3, 32, 32}));
  for (int64_t c = 0; c < 3; ++c) EXPECT_GT(set.labels.eq(c).sum().item<int64_t>(), 0) << "class " << c;
}

}  // namespace
}  // namespace cglow
