#include "cglow/data/fashion_mnist.h"

#include <zlib.h>

#include <array>
#include <memory>
#include <stdexcept>
#include <vector>

namespace cglow {
namespace {

constexpr int32_t kImageMagic = 2051;
constexpr int32_t kLabelMagic = 2049;

// gzread reads plain files too, so one reader serves both forms.
struct GzFile {
  explicit GzFile(const std::string& file_path) : path(file_path), file(gzopen(file_path.c_str(), "rb")) {
    if (!file) throw std::runtime_error("cannot open " + path);
  }
  ~GzFile() { gzclose(file); }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;

  void read(void* out, size_t bytes) {
    if (gzread(file, out, static_cast<unsigned>(bytes)) != static_cast<int>(bytes))
      throw std::runtime_error(path + " is truncated or corrupt");
  }
  int32_t read_big_endian() {
    std::array<unsigned char, 4> b{};
    read(b.data(), b.size());
    return static_cast<int32_t>((uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3]);
  }

  std::string path;
  gzFile file;
};

// Reads the header (magic, then `dims` sizes) and the uint8 payload.
torch::Tensor read_idx(const std::string& path, int32_t magic, int dims) {
  GzFile in(path);
  const int32_t found = in.read_big_endian();
  if (found != magic)
    throw std::runtime_error(path + " is not an IDX file of this kind (magic " + std::to_string(found) +
                             ", expected " + std::to_string(magic) + ")");
  std::vector<int64_t> sizes;
  int64_t count = 1;
  for (int i = 0; i < dims; ++i) {
    const int32_t size = in.read_big_endian();
    if (size <= 0) throw std::runtime_error(path + " has a non-positive size in its header");
    sizes.push_back(size);
    count *= size;
  }
  auto out = torch::empty(sizes, torch::kUInt8);
  in.read(out.data_ptr<uint8_t>(), static_cast<size_t>(count));
  return out;
}

}  // namespace

torch::Tensor read_idx_images(const std::string& path) { return read_idx(path, kImageMagic, 3); }

torch::Tensor read_idx_labels(const std::string& path) { return read_idx(path, kLabelMagic, 1); }

torch::Tensor fashion_mnist_images(const std::string& dir, bool train) {
  const std::string file = dir + (train ? "/train-images-idx3-ubyte.gz" : "/t10k-images-idx3-ubyte.gz");
  return read_idx_images(file).unsqueeze(1).to(torch::kFloat32) / 255.0;
}

}  // namespace cglow
