// Everything a training run needs: which task on which data, the model, the training options and where
// the outputs go. Read from a JSON file, overridden from the command line, saved beside every run.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "cglow/config.h"
#include "cglow/output_coding.h"
#include "cglow/train/trainer.h"

namespace cglow {

struct RunConfig {
  std::string task = "fashion-mnist";  // fashion-mnist, horse, masks, lfw, denoising, inpainting, depth
  std::string data;                    // the data folder ("" for the task's default)
  std::string masks;                   // the masks task: the folder of masks beside `data`'s images
  std::string superpixels;             // lfw: super-pixel maps of the validation images (optional)
  int64_t size = 32;                   // image side of the tasks read from image folders
  int64_t crop = 0;                    // denoising, inpainting: centred square crop before resizing (0: largest)
  double zoom = 1;                     // horse, masks, lfw: training crops keep a random [zoom, 1] of each side
  int64_t zoom_detail = 1;             // with zoom below 1: crops are cut from the images at zoom_detail x size
                                       // and area-averaged down (1: resized back up from the model's size)
  double jitter = 0;                   // horse, masks, lfw: training images' brightness, contrast, saturation
                                       // scaled by random factors in [1 - jitter, 1 + jitter]
  int64_t mask_tiles = kPaperMaskTiles;  // horse, masks: binary masks tiled to this many channels of y
  bool flips = false;                  // inpainting, denoising, fashion-mnist: training images flipped left-right
                                       // at random (horse, masks and lfw always flip theirs)
  int64_t validation = 20;             // horse, masks, denoising, inpainting, depth: the last N are held out
  int64_t frames = 220;                // depth: this many frames of `data`, evenly spaced (0: all)
  GlowConfig model;                    // x and y are set from the task
  TrainerOptions training;
  double minutes = 0;                  // a budget: training stops (saving a checkpoint) after this long (0: none)
  int64_t baseline_width = 32;         // cglow baseline: the first width of its U-Net
  int64_t baseline_depth = 3;          // cglow baseline: its U-Net's halvings of the resolution, at most
  std::string encoder_from;            // cglow train: a baseline run whose U-Net starts the shared encoder
                                       // (encoder_from_baseline.h; "": none)
  bool freeze_encoder = false;         // cglow train: the shared encoder keeps its starting weights
  int64_t checkpoint_every = 1000;
  int64_t log_every = 10;
  int64_t picture_every = 500;         // samples_ITER.png and loss.png; also at the end
  std::string out = "runs/default";
  std::string device = "cpu";          // cpu or cuda (a distributed run: cuda:LOCAL_RANK)
  int64_t timeout = 300;               // distributed runs: seconds a process waits for the others
};

// Whether a run that has trained for `seconds` has spent its time budget (config.minutes).
inline bool budget_spent(const RunConfig& c, double seconds) { return c.minutes > 0 && seconds > 60 * c.minutes; }

void to_json(nlohmann::json& j, const RunConfig& c);
// Missing keys keep their values; unknown keys are an error naming them.
void from_json(const nlohmann::json& j, RunConfig& c);

// The paper's settings for a task (section 5): L, K, nc, nw, and the image size where it has one.
// Throws std::invalid_argument listing the presets for an unknown name.
RunConfig preset(const std::string& name);
// The names of all presets, comma-separated.
std::string preset_names();

}  // namespace cglow
