// The documents are read as instructions: a broken link, or a command naming a preset or --config file
// that no longer exists, would surface only when a reader follows it, so the tests follow them all.
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <vector>

#include <gtest/gtest.h>

#include "cglow/run/run_config.h"

namespace cglow {
namespace {

namespace fs = std::filesystem;

const fs::path kRoot = CGLOW_SOURCE_DIR;

// README.md and every Markdown file under docs/.
std::vector<fs::path> documents() {
  std::vector<fs::path> files{kRoot / "README.md"};
  for (const auto& entry : fs::recursive_directory_iterator(kRoot / "docs"))
    if (entry.path().extension() == ".md") files.push_back(entry.path());
  return files;
}

std::string text_of(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Each first capture group of `pattern` in `text`.
std::vector<std::string> matches(const std::string& text, const std::regex& pattern) {
  std::vector<std::string> found;
  for (std::sregex_iterator it(text.begin(), text.end(), pattern), end; it != end; ++it) found.push_back((*it)[1]);
  return found;
}

TEST(Docs, EveryLinkPointsToAFile) {
  const std::regex link(R"(\]\(([^)\s]+)\))");
  int links = 0;
  for (const auto& doc : documents()) {
    for (auto target : matches(text_of(doc), link)) {
      if (target.rfind("http", 0) == 0 || target[0] == '#') continue;
      target = target.substr(0, target.find('#'));
      ++links;
      EXPECT_TRUE(fs::exists(doc.parent_path() / target)) << doc << " links to " << target;
    }
  }
  EXPECT_GE(links, 8);  // docs/RESULTS.md alone links its four task files and four pictures
}

TEST(Docs, EveryCommandNamesAPresetAndConfigFileThatExist) {
  const std::regex preset_flag(R"(--preset ([a-z0-9-]+))"), config_flag(R"(--config (docs/[A-Za-z0-9_./-]+\.json))");
  std::set<std::string> presets, configs;
  for (const auto& doc : documents()) {
    const auto text = text_of(doc);
    for (const auto& name : matches(text, preset_flag)) {
      presets.insert(name);
      EXPECT_NO_THROW(preset(name)) << doc << " runs --preset " << name;
    }
    for (const auto& file : matches(text, config_flag)) {
      configs.insert(file);
      EXPECT_TRUE(fs::exists(kRoot / file)) << doc << " runs --config " << file;
    }
  }
  // The paper's presets and the *-encoder ones for horses (3 sizes), LFW parts (2), denoising, inpainting.
  EXPECT_GE(presets.size(), 14u);
  EXPECT_GE(configs.size(), 10u);
}

}  // namespace
}  // namespace cglow
