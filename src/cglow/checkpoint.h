// Model files: the configuration travels with the weights, so a model can be rebuilt from its file alone
// and a file can never be loaded into a model of another shape.
#pragma once

#include <map>
#include <stdexcept>
#include <string>

#include <torch/torch.h>

#include "cglow/config.h"
#include "cglow/flow/cglow.h"

namespace cglow {

// A checkpoint that cannot be read or does not fit; what() is one line naming the file.
struct CheckpointError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Writes the archive to a temporary file beside `path`, flushes it to disk and renames it over `path`,
// so that a crash mid-write leaves the previous file intact.
void save_archive_atomically(torch::serialize::OutputArchive& archive, const std::string& path);

// Reads an archive, turning LibTorch's multi-line errors into one CheckpointError naming the file.
void load_archive(torch::serialize::InputArchive& archive, const std::string& path, torch::Device device);

// Every tensor in `archive`, sub-archives included, by name ("a.b.c", as named_parameters gives them).
std::map<std::string, torch::Tensor> read_tensors(torch::serialize::InputArchive& archive);

// Loads `module`'s parameters and buffers from `archive`, which must hold exactly those, at the same shapes,
// and stores its convolutions channels-last (channels_last.h). Anything else is a CheckpointError: `misfit`
// (naming the file) followed by what does not fit.
void load_weights(torch::nn::Module& module, torch::serialize::InputArchive& archive, const std::string& misfit);

// The model's configuration and weights, in an archive under "config" and "model".
void write_model(torch::serialize::OutputArchive& archive, CGlow& model);
GlowConfig read_config(torch::serialize::InputArchive& archive, const std::string& path);
// Throws CheckpointError listing the differences when the archive holds another configuration.
void read_model(torch::serialize::InputArchive& archive, CGlow& model, const std::string& path);

void save_model(CGlow& model, const std::string& path);
CGlow load_model(const std::string& path, torch::Device device = torch::kCPU);
void load_weights(CGlow& model, const std::string& path);

}  // namespace cglow
