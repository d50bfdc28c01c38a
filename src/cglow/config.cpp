#include "cglow/config.h"

#include <set>
#include <stdexcept>

namespace cglow {
namespace {

std::string shape_text(const Shape& s) {
  return std::to_string(s.channels) + "x" + std::to_string(s.height) + "x" + std::to_string(s.width);
}

void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("invalid c-Glow configuration: " + what);
}

}  // namespace

void GlowConfig::validate() const {
  require(x.channels > 0 && x.height > 0 && x.width > 0, "input shape x must be positive, got " + shape_text(x));
  require(y.channels > 0 && y.height > 0 && y.width > 0, "output shape y must be positive, got " + shape_text(y));
  require(levels >= 1, "levels (L) must be >= 1, got " + std::to_string(levels));
  require(steps >= 1, "steps (K) must be >= 1, got " + std::to_string(steps));
  require(cond_channels >= 1 && cond_width >= 1 && cond_grid >= 1 && coupling_cond_channels >= 1 &&
              coupling_width >= 1,
          "conditioning and coupling widths must be >= 1");
  require(encoder_width >= 0, "encoder_width must be >= 0, got " + std::to_string(encoder_width));
  require(!actnorm_per_pixel || encoder_width > 0, "actnorm_per_pixel needs the shared encoder (encoder_width > 0)");
  require(!x_beside_features || encoder_width > 0, "x_beside_features needs the shared encoder (encoder_width > 0)");
  require(!finer_features || encoder_width > 0, "finer_features needs the shared encoder (encoder_width > 0)");
  require(encoder_extra_depth >= 0, "encoder_extra_depth must be >= 0, got " + std::to_string(encoder_extra_depth));
  require(encoder_extra_depth == 0 || encoder_width > 0, "encoder_extra_depth needs the shared encoder (encoder_width > 0)");
  require(!shift_by_prediction || encoder_width > 0,
          "shift_by_prediction needs the shared encoder (encoder_width > 0)");
  require(prediction_link == "identity" || prediction_link == "sigmoid" || prediction_link == "softmax",
          "prediction_link must be identity, sigmoid or softmax, got '" + prediction_link + "'");
  const int64_t scale = int64_t{1} << levels;
  require(y.height % scale == 0 && y.width % scale == 0,
          "output " + shape_text(y) + " must be divisible by 2^L = " + std::to_string(scale) +
              " in height and width (each of the " + std::to_string(levels) + " levels squeezes by 2)");
  for (int64_t l = 1; l <= levels; ++l) {
    const int64_t h = y.height >> l, w = y.width >> l;
    require(x.height % h == 0 && x.width % w == 0,
            "input " + shape_text(x) + " must be a whole multiple of level " + std::to_string(l) +
                "'s resolution " + std::to_string(h) + "x" + std::to_string(w) +
                " (the conditioning networks downscale x by an integer stride)");
    const int64_t ratio = x.height / h;
    require(encoder_width == 0 || ((ratio & (ratio - 1)) == 0 && x.width / w == ratio),
            "with an encoder, input " + shape_text(x) + " must be level " + std::to_string(l) + "'s resolution " +
                std::to_string(h) + "x" + std::to_string(w) + " times the same power of two in both axes");
  }
  require(!finer_features || encoder_stage(0) >= 1,
          "finer_features needs input " + shape_text(x) + " finer than the first level's resolution " +
              std::to_string(y.height / 2) + "x" + std::to_string(y.width / 2));
  // Without extra depth the level checks above already make x divisible down to the encoder's bottom.
  if (encoder_extra_depth > 0) {
    const int64_t bottom = int64_t{1} << encoder_depth();
    require(x.height % bottom == 0 && x.width % bottom == 0,
            "input " + shape_text(x) + " must be divisible by 2^" + std::to_string(encoder_depth()) + " = " +
                std::to_string(bottom) + " for the encoder's " + std::to_string(encoder_extra_depth) +
                " halving(s) below the coarsest level (encoder_extra_depth)");
  }
}

int64_t GlowConfig::encoder_stage(int64_t level) const {
  int64_t stage = 0;
  while ((x.height >> stage) > (y.height >> (level + 1))) ++stage;
  return stage;
}

void to_json(nlohmann::json& j, const Shape& s) { j = {s.channels, s.height, s.width}; }

void from_json(const nlohmann::json& j, Shape& s) {
  if (!j.is_array() || j.size() != 3)
    throw std::invalid_argument("a shape must be [channels, height, width], got " + j.dump());
  s = {j[0].get<int64_t>(), j[1].get<int64_t>(), j[2].get<int64_t>()};
}

void to_json(nlohmann::json& j, const GlowConfig& c) {
  j = {{"x", c.x},
       {"y", c.y},
       {"levels", c.levels},
       {"steps", c.steps},
       {"cond_channels", c.cond_channels},
       {"cond_width", c.cond_width},
       {"cond_grid", c.cond_grid},
       {"coupling_cond_channels", c.coupling_cond_channels},
       {"coupling_width", c.coupling_width},
       {"split_prior_conditioned", c.split_prior_conditioned},
       {"encoder_width", c.encoder_width},
       {"actnorm_per_pixel", c.actnorm_per_pixel},
       {"x_beside_features", c.x_beside_features},
       {"finer_features", c.finer_features},
       {"encoder_extra_depth", c.encoder_extra_depth},
       {"shift_by_prediction", c.shift_by_prediction},
       {"prediction_link", c.prediction_link}};
}

void from_json(const nlohmann::json& j, GlowConfig& c) {
  const nlohmann::json defaults = GlowConfig{};
  for (const auto& item : j.items())
    if (!defaults.contains(item.key()))
      throw std::invalid_argument("unknown model configuration key '" + item.key() + "'");
  nlohmann::json merged = defaults;
  merged.update(j);
  c.x = merged.at("x").get<Shape>();
  c.y = merged.at("y").get<Shape>();
  c.levels = merged.at("levels").get<int64_t>();
  c.steps = merged.at("steps").get<int64_t>();
  c.cond_channels = merged.at("cond_channels").get<int64_t>();
  c.cond_width = merged.at("cond_width").get<int64_t>();
  c.cond_grid = merged.at("cond_grid").get<int64_t>();
  c.coupling_cond_channels = merged.at("coupling_cond_channels").get<int64_t>();
  c.coupling_width = merged.at("coupling_width").get<int64_t>();
  c.split_prior_conditioned = merged.at("split_prior_conditioned").get<bool>();
  c.encoder_width = merged.at("encoder_width").get<int64_t>();
  c.actnorm_per_pixel = merged.at("actnorm_per_pixel").get<bool>();
  c.x_beside_features = merged.at("x_beside_features").get<bool>();
  c.finer_features = merged.at("finer_features").get<bool>();
  c.encoder_extra_depth = merged.at("encoder_extra_depth").get<int64_t>();
  c.shift_by_prediction = merged.at("shift_by_prediction").get<bool>();
  c.prediction_link = merged.at("prediction_link").get<std::string>();
}

std::string describe_differences(const GlowConfig& a, const GlowConfig& b) {
  const nlohmann::json ja = a, jb = b;
  std::string out;
  for (const auto& item : ja.items()) {
    const auto& other = jb.at(item.key());
    if (item.value() == other) continue;
    if (!out.empty()) out += "; ";
    out += item.key() + ": " + item.value().dump() + " vs " + other.dump();
  }
  return out;
}

}  // namespace cglow
