#include "cglow/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <vector>

#include "cglow/channels_last.h"

namespace cglow {
namespace {

constexpr const char* kConfigKey = "config";
constexpr const char* kModelKey = "model";

// The first line of a LibTorch error, without its C++ backtrace.
std::string first_line(const c10::Error& e) {
  std::string what = e.what_without_backtrace();
  return what.substr(0, what.find('\n'));
}

std::string shape_text(c10::IntArrayRef sizes) {
  std::string text;
  for (const auto size : sizes) text += (text.empty() ? "" : "x") + std::to_string(size);
  return text;
}

// Flushes a file, or a directory's entries, to disk. Returns an error text, empty on success.
std::string fsync_path(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0 || ::fsync(fd) != 0) {
    const std::string reason = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return reason;
  }
  ::close(fd);
  return "";
}

// Unique among the processes and threads that may write beside one another.
std::string temporary_name(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  return path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

}  // namespace

void save_archive_atomically(torch::serialize::OutputArchive& archive, const std::string& path) {
  const std::string temporary = temporary_name(path);
  auto fail = [&](const std::string& reason) {
    std::remove(temporary.c_str());
    throw CheckpointError("cannot write " + path + ": " + reason);
  };
  try {
    archive.save_to(temporary);
  } catch (const c10::Error& e) {
    fail(first_line(e));
  }
  if (const auto error = fsync_path(temporary); !error.empty()) fail(error);
  if (std::rename(temporary.c_str(), path.c_str()) != 0) fail(std::strerror(errno));
  // The rename itself is durable only once the directory is flushed.
  const auto directory = std::filesystem::path(path).parent_path();
  if (const auto error = fsync_path(directory.empty() ? "." : directory.string()); !error.empty())
    throw CheckpointError("cannot flush the folder of " + path + ": " + error);
}

void load_archive(torch::serialize::InputArchive& archive, const std::string& path, torch::Device device) {
  if (::access(path.c_str(), R_OK) != 0)
    throw CheckpointError("cannot read checkpoint " + path + ": " + std::strerror(errno));
  try {
    archive.load_from(path, device);
  } catch (const c10::Error& e) {
    throw CheckpointError("cannot read checkpoint " + path + " (corrupt, or not a cglow file): " + first_line(e));
  }
}

std::map<std::string, torch::Tensor> read_tensors(torch::serialize::InputArchive& archive) {
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& key : archive.keys()) {
    torch::serialize::InputArchive sub;
    c10::IValue value;
    if (archive.try_read(key, sub)) {
      for (auto& [name, tensor] : read_tensors(sub)) tensors[key + "." + name] = tensor;
    } else if (archive.try_read(key, value) && value.isTensor()) {
      tensors[key] = value.toTensor();
    }
  }
  return tensors;
}

void load_weights(torch::nn::Module& module, torch::serialize::InputArchive& archive, const std::string& misfit) {
  auto tensors = module.named_parameters();
  for (const auto& t : module.named_buffers()) tensors.insert(t.key(), t.value());
  std::map<std::string, std::vector<int64_t>> saved;
  for (const auto& [name, tensor] : read_tensors(archive)) saved[name] = tensor.sizes().vec();
  // Loading takes each of the module's tensors from the file whatever its shape, and ignores the file's
  // others: weights of a wider network would fail later, deep in a convolution, and those of a deeper
  // one would be scored with a stage left out.
  for (const auto& [name, shape] : saved)
    if (!tensors.contains(name)) throw CheckpointError(misfit + "it holds " + name + ", which the model has not");
  std::set<std::string> lacking;  // sorted, as the names the file holds are
  for (const auto& t : tensors)
    if (!saved.count(t.key())) lacking.insert(t.key());
  if (!lacking.empty()) throw CheckpointError(misfit + "it lacks the model's " + *lacking.begin());
  for (const auto& t : tensors)
    if (saved[t.key()] != t.value().sizes().vec())
      throw CheckpointError(misfit + "its " + t.key() + " is " + shape_text(saved[t.key()]) +
                            " where the model's is " + shape_text(t.value().sizes()));
  try {
    module.load(archive);
  } catch (const c10::Error& e) {
    throw CheckpointError(misfit + first_line(e));
  }
  store_convolutions_channels_last(module);
}

void write_model(torch::serialize::OutputArchive& archive, CGlow& model) {
  archive.write(kConfigKey, c10::IValue(nlohmann::json(model->config()).dump()));
  torch::serialize::OutputArchive weights;
  model->save(weights);
  archive.write(kModelKey, weights);
}

GlowConfig read_config(torch::serialize::InputArchive& archive, const std::string& path) {
  c10::IValue value;
  if (!archive.try_read(kConfigKey, value) || !value.isString())
    throw CheckpointError("checkpoint " + path + " has no model configuration: not a cglow file");
  try {
    return nlohmann::json::parse(value.toStringRef()).get<GlowConfig>();
  } catch (const std::exception& e) {
    throw CheckpointError("checkpoint " + path + " has an unreadable model configuration: " + e.what());
  }
}

void read_model(torch::serialize::InputArchive& archive, CGlow& model, const std::string& path) {
  const GlowConfig saved = read_config(archive, path);
  const std::string differences = describe_differences(saved, model->config());
  if (!differences.empty())
    throw CheckpointError("checkpoint " + path + " holds a model of another configuration (saved vs wanted: " +
                          differences + ")");
  const std::string misfit = "checkpoint " + path + " has missing or mismatched weights: ";
  torch::serialize::InputArchive weights;
  try {
    archive.read(kModelKey, weights);
  } catch (const c10::Error& e) {
    throw CheckpointError(misfit + first_line(e));
  }
  load_weights(*model, weights, misfit);
}

void save_model(CGlow& model, const std::string& path) {
  torch::serialize::OutputArchive archive;
  write_model(archive, model);
  save_archive_atomically(archive, path);
}

CGlow load_model(const std::string& path, torch::Device device) {
  torch::serialize::InputArchive archive;
  load_archive(archive, path, device);
  CGlow model(read_config(archive, path));
  model->to(device);
  read_model(archive, model, path);
  return model;
}

void load_weights(CGlow& model, const std::string& path) {
  torch::serialize::InputArchive archive;
  const auto device = model->parameters().empty() ? torch::Device(torch::kCPU) : model->parameters()[0].device();
  load_archive(archive, path, device);
  read_model(archive, model, path);
}

}  // namespace cglow
