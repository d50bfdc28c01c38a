#include "cglow/tasks/registry.h"

#include <filesystem>
#include <stdexcept>

#include <c10/util/StringUtil.h>

#include "cglow/data/fashion_mnist.h"
#include "cglow/data/image_folder.h"
#include "cglow/data/image_io.h"
#include "cglow/data/lfw_parts.h"
#include "cglow/data/weizmann_horse.h"
#include "cglow/data/seven_scenes.h"
#include "cglow/tasks/denoising_task.h"
#include "cglow/tasks/depth_task.h"
#include "cglow/tasks/inpainting_task.h"
#include "cglow/tasks/segmentation_task.h"

namespace cglow {
namespace {

namespace fs = std::filesystem;

SegmentationSet slice(const SegmentationSet& s, int64_t first, int64_t count) {
  const auto part = [&](const torch::Tensor& t) { return t.defined() ? t.narrow(0, first, count) : torch::Tensor(); };
  return {part(s.images), part(s.labels), {s.names.begin() + first, s.names.begin() + first + count}, s.classes,
          part(s.regions), part(s.detail_images), part(s.detail_labels)};
}

// A segmentation task with the run's training augmentation (flips, and zoom and jitter as configured)
// and its masks' tiles.
std::shared_ptr<Task> segmentation(const std::string& name, SegmentationSet train, SegmentationSet test,
                                   const RunConfig& c) {
  return std::make_shared<SegmentationTask>(name, std::move(train), std::move(test), true, c.zoom, c.jitter,
                                            c.mask_tiles);
}

// The last `validation` examples are held out for evaluation.
std::shared_ptr<Task> held_out(const std::string& name, const SegmentationSet& all, const RunConfig& c) {
  const int64_t n = all.images.size(0), validation = c.validation;
  if (validation < 1 || validation >= n)
    throw std::invalid_argument(name + ": cannot hold out " + std::to_string(validation) + " of " +
                                std::to_string(n) + " images for validation");
  return segmentation(name, slice(all, 0, n - validation), slice(all, n - validation, validation), c);
}

// The last `validation` of `images` are held out: {training, evaluation}.
std::pair<torch::Tensor, torch::Tensor> split_images(const std::string& name, const torch::Tensor& images,
                                                     int64_t validation) {
  const int64_t n = images.size(0);
  if (validation < 1 || validation >= n)
    throw std::invalid_argument(name + ": cannot hold out " + std::to_string(validation) + " of " +
                                std::to_string(n) + " images for validation");
  return {images.narrow(0, 0, n - validation), images.narrow(0, n - validation, validation)};
}

// BSDS500's layout (images/train and images/test, both used for training as the paper does), or a
// plain folder of images.
std::vector<std::string> image_folders(const std::string& root) {
  if (fs::is_directory(root + "/images/train")) return {root + "/images/train", root + "/images/test"};
  return {root};
}

std::string required(const std::string& folder, const std::string& task, const std::string& option) {
  if (folder.empty()) throw std::invalid_argument("task " + task + " needs " + option);
  return folder;
}

}  // namespace

std::shared_ptr<Task> make_task(const RunConfig& c) {
  const bool segments = c.task == "horse" || c.task == "masks" || c.task == "lfw";
  if (c.zoom != 1 && !segments)
    throw std::invalid_argument(
        c10::str("zoom ", c.zoom, " applies to the segmentation tasks (horse, masks, lfw), not ", c.task));
  if (c.jitter != 0 && !segments)
    throw std::invalid_argument(
        c10::str("jitter ", c.jitter, " applies to the segmentation tasks (horse, masks, lfw), not ", c.task));
  if (c.mask_tiles != kPaperMaskTiles && c.task != "horse" && c.task != "masks")
    throw std::invalid_argument(c10::str("mask_tiles ", c.mask_tiles,
                                         " applies to the binary segmentation tasks (horse, masks), not ", c.task));
  if (c.flips && c.task == "depth")
    throw std::invalid_argument("flips apply to inpainting, denoising and fashion-mnist (horse, masks and lfw "
                                "always flip), not depth");
  if (c.zoom_detail < 1)
    throw std::invalid_argument("zoom_detail must be 1 or more, got " + std::to_string(c.zoom_detail));
  // Without zoom there are no crops to cut, so a preset's zoom_detail need not be undone with --zoom 1.
  const int64_t detail = c.zoom < 1 ? c.zoom_detail : 1;
  if (c.task == "fashion-mnist")
    return InpaintingTask::fashion_mnist(c.data.empty() ? kFashionMnistDir : c.data, 1000, c.flips);
  if (c.task == "horse") {
    const auto all =
        read_weizmann_horse(required(c.data, c.task, "--data (rgb/, figure_ground/)"), c.size, 0, -1, detail);
    // The paper's split where the whole database is there: horses 1-200 train, the rest test.
    const int64_t n = all.images.size(0);
    if (n > kWeizmannTrainingHorses)
      return segmentation("horse", slice(all, 0, kWeizmannTrainingHorses),
                          slice(all, kWeizmannTrainingHorses, n - kWeizmannTrainingHorses), c);
    return held_out("horse", all, c);
  }
  if (c.task == "masks")
    return held_out("masks",
                    read_mask_folders(required(c.data, c.task, "--data (images)"),
                                      required(c.masks, c.task, "--masks"), c.size, 0, -1, detail),
                    c);
  if (c.task == "lfw") {
    const auto root = required(c.data, c.task, "--data (lfw_funneled/, labels/, parts_*.txt)");
    // Scored on the test split where it is there, else on the validation split.
    const std::string evaluation = fs::exists(root + "/parts_test.txt") ? "parts_test.txt" : "parts_validation.txt";
    return segmentation("lfw", read_lfw_parts(root, "parts_train.txt", c.size, "", detail),
                        read_lfw_parts(root, evaluation, c.size, c.superpixels), c);
  }
  if (c.task == "denoising" || c.task == "inpainting") {
    const auto root = required(c.data, c.task, "--data (a folder of images, or BSDS500's root)");
    const auto images = read_image_folders(image_folders(root), c.size, c.crop);
    // BSDS500's images/val (where the CBSD68 test images come from) is the test split where it is there.
    const auto [train, test] = fs::is_directory(root + "/images/val")
                                   ? std::make_pair(images, read_image_folders({root + "/images/val"}, c.size, c.crop))
                                   : split_images(c.task, images, c.validation);
    if (c.task == "denoising") return std::make_shared<DenoisingTask>("denoising", train, test, 25.0, c.flips);
    return std::make_shared<InpaintingTask>("inpainting", train, test, c.flips);
  }
  if (c.task == "depth") {
    auto all = read_depth_frames(required(c.data, c.task, "--data (a folder with frame-*.depth.png files)"), c.frames);
    const auto [train, test] = split_images(c.task, all.depth, c.validation);
    const int64_t n_train = train.size(0);
    DepthFrames train_frames{train, all.valid.narrow(0, 0, n_train), {all.names.begin(), all.names.begin() + n_train}};
    DepthFrames test_frames{
        test, all.valid.narrow(0, n_train, c.validation), {all.names.begin() + n_train, all.names.end()}};
    return std::make_shared<DepthTask>("depth", std::move(train_frames), std::move(test_frames));
  }
  throw std::invalid_argument("unknown task '" + c.task +
                              "' (tasks: fashion-mnist, horse, masks, lfw, denoising, inpainting, depth)");
}

}  // namespace cglow
