// The documents are read as instructions: a broken link, a path to a file that has moved, or a command
// naming a preset that no longer exists would surface only when a reader follows it, so the tests
// follow them all.
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

struct Mention {
  fs::path doc;
  std::string text;  // the first capture group of the pattern
};

// Every match of `pattern` in every document.
std::vector<Mention> mentions(const std::regex& pattern) {
  std::vector<Mention> found;
  for (const auto& doc : documents()) {
    const auto text = text_of(doc);
    for (std::sregex_iterator it(text.begin(), text.end(), pattern), end; it != end; ++it)
      found.push_back({doc, (*it)[1]});
  }
  return found;
}

TEST(Docs, EveryLinkPointsToAFile) {
  const std::regex link(R"(\]\(([^)\s]+)\))");
  int links = 0;
  for (const auto& [doc, target] : mentions(link)) {
    if (target.rfind("http", 0) == 0 || target[0] == '#') continue;
    const auto file = target.substr(0, target.find('#'));
    ++links;
    EXPECT_TRUE(fs::exists(doc.parent_path() / file)) << doc << " links to " << file;
  }
  EXPECT_GE(links, 8);  // docs/RESULTS.md alone links its four task files and four pictures
}

// Paths named from the repository root, as commands (`--config docs/results/x-beside.json`) and
// pointers in the text (`docs/results/denoising.md`) give them; not ../shared/docs/, outside it.
TEST(Docs, EveryFileUnderDocsTheyNameExists) {
  const std::regex named(R"((?:^|[^/\w.])(docs/[\w./-]+\.(?:md|json|png)))");
  std::set<std::string> files;
  for (const auto& [doc, file] : mentions(named)) {
    files.insert(file);
    EXPECT_TRUE(fs::exists(kRoot / file)) << doc << " names " << file;
  }
  EXPECT_GE(files.size(), 10u);
}

TEST(Docs, EveryPresetTheirCommandsRunExists) {
  const std::regex preset_flag(R"(--preset ([a-z0-9-]+))");
  std::set<std::string> presets;
  for (const auto& [doc, name] : mentions(preset_flag)) {
    presets.insert(name);
    EXPECT_NO_THROW(preset(name)) << doc << " runs --preset " << name;
  }
  // The paper's presets and the *-encoder ones for horses (3 sizes), LFW parts (2), denoising, inpainting.
  EXPECT_GE(presets.size(), 14u);
}

}  // namespace
}  // namespace cglow
