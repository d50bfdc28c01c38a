#include "cglow/run/encoder_from_baseline.h"

#include <sstream>

#include "cglow/baseline/feed_forward.h"
#include "cglow/checkpoint.h"
#include "cglow/cond/prediction_head.h"
#include "cglow/run/evaluate_run.h"

namespace cglow {
namespace {

// `model`'s shared encoder; `option`, which needs it, is a std::invalid_argument where it has none.
UNet encoder_for(CGlow& model, const std::string& option) {
  const auto encoder = model->encoder();
  if (!encoder)
    throw std::invalid_argument(option + " needs c-Glow's shared encoder (model.encoder_width > 0), which this run "
                                "has not");
  return encoder;
}

}  // namespace

void start_encoder_from_baseline(CGlow& model, const RunConfig& config, const std::string& baseline_run,
                                 const OutputCoding& coding) {
  const auto encoder = encoder_for(model, "--encoder-from " + baseline_run);
  if (!is_baseline_run(baseline_run))
    throw CheckpointError("--encoder-from " + baseline_run + ": not a baseline run (no baseline.pt beside " +
                          "config.json, as cglow baseline writes them)");
  const auto trained = read_run_config(baseline_run);
  const std::string weights = baseline_run + "/baseline.pt";
  if (trained.task != config.task || trained.size != config.size)
    throw CheckpointError(weights + " was trained on task " + trained.task + " at size " +
                          std::to_string(trained.size) + ", this run is task " + config.task + " at size " +
                          std::to_string(config.size));
  torch::serialize::InputArchive archive;
  load_archive(archive, weights, torch::kCPU);
  const auto saved = read_tensors(archive);
  // The width and depth the weights have, not the ones asked for: the baseline halves fewer times where x's
  // sides do not divide, and a hand-edited config.json may say anything.
  const auto first = saved.find("unet.down0.0.weight");
  const int64_t width = first == saved.end() ? 0 : first->second.size(0);
  int64_t depth = 0;
  while (saved.count("unet.down" + std::to_string(depth + 1) + ".0.weight")) ++depth;
  const std::string misfit = weights + " (a U-Net of width " + std::to_string(width) + ", depth " +
                             std::to_string(depth) + ") does not fit the encoder (width " +
                             std::to_string(model->config().encoder_width) + ", depth " +
                             std::to_string(encoder->depth()) + "): ";
  auto params = encoder->named_parameters();
  // The encoder's path down must be the whole of the baseline's: one halving more or less changes what
  // every decoder stage reads, though its weights' shapes may match.
  for (const auto& [name, tensor] : saved)
    if (name.rfind("unet.down", 0) == 0 && !params.contains(name.substr(5)))
      throw CheckpointError(misfit + "it holds " + name + ", which the encoder has not");
  // All checked before any is copied: a misfit leaves the encoder as it was.
  for (const auto& p : params) {
    const auto found = saved.find("unet." + p.key());
    if (found == saved.end()) throw CheckpointError(misfit + "it lacks unet." + p.key());
    if (found->second.sizes() != p.value().sizes()) {
      std::ostringstream text;
      text << misfit << "its unet." << p.key() << " is " << found->second.sizes() << " where the encoder's is "
           << p.value().sizes();
      throw CheckpointError(text.str());
    }
  }
  // The prediction shift starts at the baseline's prediction, coded as y is (images centred on 0; for
  // labels, through the head's link, the y expected under the baseline's class probabilities).
  const auto head = model->prediction_head();
  const bool binary = coding.kind() == OutputCoding::Kind::binary;
  if (head) {
    const auto link = prediction_link_for(coding);
    if (model->config().prediction_link != link)
      throw std::invalid_argument("--encoder-from " + baseline_run + ": the model's prediction_link is " +
                                  model->config().prediction_link + ", where task " + config.task +
                                  "'s outputs need " + link);
    // A binary baseline scores both classes; its foreground's score less its background's is the
    // sigmoid's argument.
    const int64_t outputs = baseline_outputs(coding, head->head()->weight.size(0));
    for (const std::string name : {"head.weight", "head.bias"}) {
      const auto found = saved.find(name);
      if (found == saved.end()) throw CheckpointError(weights + " lacks " + name + ", which the prediction shift takes");
      auto expected = head->head()->named_parameters()[name.substr(5)].sizes().vec();
      expected[0] = outputs;
      if (found->second.sizes() != expected) {
        std::ostringstream text;
        text << weights << ": its " << name << " is " << found->second.sizes() << " where the prediction head takes "
             << torch::IntArrayRef(expected);
        throw CheckpointError(text.str());
      }
    }
  }
  torch::NoGradGuard no_grad;
  for (auto& p : params) p.value().copy_(saved.at("unet." + p.key()));
  if (head) {
    const auto weight = saved.at("head.weight"), bias = saved.at("head.bias");
    if (binary) {  // every tile the same score
      head->head()->weight.copy_((weight[1] - weight[0]).expand_as(head->head()->weight));
      head->head()->bias.copy_((bias[1] - bias[0]).expand_as(head->head()->bias));
    } else {
      head->head()->weight.copy_(weight);
      head->head()->bias.copy_(coding.kind() == OutputCoding::Kind::continuous
                                   ? coding.encode(bias.view({1, -1, 1, 1})).view({-1})
                                   : bias);
    }
  }
}

void freeze_encoder(CGlow& model) {
  for (auto& p : encoder_for(model, "--freeze-encoder")->parameters()) p.set_requires_grad(false);
}

}  // namespace cglow
