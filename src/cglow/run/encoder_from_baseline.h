// c-Glow's shared encoder started from the U-Net of a trained feed-forward baseline (`cglow train
// --encoder-from RUN`), beyond the paper, which allows any differentiable conditioning network (section
// 4.1). The baseline, trained on per-pixel error, learns in minutes features of x from which a 1x1
// convolution predicts the output; the likelihood alone teaches a fresh encoder such features slowly.
// Only the starting weights change: the flow's layers start as always (but for the prediction shift's
// head, which starts as the baseline's), and everything, the encoder included, then trains by maximum
// likelihood, so the model stays an exact-likelihood c-Glow.
#pragma once

#include <string>

#include "cglow/flow/cglow.h"
#include "cglow/output_coding.h"
#include "cglow/run/run_config.h"

namespace cglow {

// Copies the U-Net of the baseline run in `baseline_run` (config.json and baseline.pt, as `cglow baseline`
// writes them) into `model`'s shared encoder. The baseline must have been trained on `config`'s task at its
// size, and its U-Net must be the encoder's: the same input, width and halvings (without the prediction
// shift, its decoder stages finer than the encoder's and its output convolution are not used). A model
// without the encoder is a std::invalid_argument; a baseline that does not fit, a CheckpointError naming
// its file, with the encoder left as it was. With the prediction shift (model.shift_by_prediction), its
// head starts as the baseline's head, its output coded as y by `coding` (the task's): values less the
// coding's offset; for a binary mask, the foreground's score less the background's on every tile, which
// the "sigmoid" link makes the foreground's probability less 0.5; multi-class scores as they are, for the
// "softmax" link. A model whose prediction_link is not the one for `coding` is a std::invalid_argument.
void start_encoder_from_baseline(CGlow& model, const RunConfig& config, const std::string& baseline_run,
                                 const OutputCoding& coding);

// Keeps `model`'s shared encoder at the weights it has (`cglow train --freeze-encoder`; with --encoder-from,
// the baseline's U-Net): training computes no gradient for it, and the likelihood is still exact, the
// encoder being a fixed function of x. A model without the encoder is a std::invalid_argument.
void freeze_encoder(CGlow& model);

}  // namespace cglow
