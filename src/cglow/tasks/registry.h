// The tasks a run can name, built from their data folders.
#pragma once

#include <memory>

#include "cglow/run/run_config.h"
#include "cglow/tasks/task.h"

namespace cglow {

// fashion-mnist (inpainting, the built-in default), horse (Weizmann Horse: rgb/, figure_ground/),
// masks (any folder of images, `masks` a folder of masks with the same names), lfw (LFW Part Labels:
// parts_train.txt for training, parts_validation.txt for evaluation), denoising (BSDS500's root or any
// image folder; Gaussian noise of sigma 25) and inpainting (CelebA's img_align_celeba or any image
// folder), both centre-cropped (`crop`) and resized (`size`). All but lfw and fashion-mnist hold out
// their last `validation` images. std::invalid_argument or DataError naming what is wrong.
std::shared_ptr<Task> make_task(const RunConfig& config);

}  // namespace cglow
