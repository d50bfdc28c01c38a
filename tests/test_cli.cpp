// End-to-end runs of the cglow program on small data the test writes: training, resuming, Ctrl-C, and
// bad input, each a one-line error with a non-zero exit that leaves existing checkpoints alone.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "cglow/checkpoint.h"
#include "testing.h"

namespace cglow {
namespace {

namespace fs = std::filesystem;

// Tests start as one process whatever launcher runs them (a Slurm or torchrun job sets these).
constexpr const char* kNoLauncher = "-u RANK -u WORLD_SIZE -u LOCAL_RANK -u MASTER_ADDR -u MASTER_PORT";

struct Outcome {
  int exit_code;
  std::string out, err;
};

class CliTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    // 12 images of 16x16 with a bright square, and their masks.
    fs::create_directories(path("images"));
    fs::create_directories(path("masks"));
    for (int i = 0; i < 12; ++i) {
      cv::Mat image(16, 16, CV_8UC3, cv::Scalar(40, 40, 40)), mask(16, 16, CV_8UC1, cv::Scalar(0));
      const cv::Rect square(i % 6, i / 2, 8, 8);
      image(square).setTo(cv::Scalar(200, 180, 160));
      mask(square).setTo(255);
      const std::string name = "im" + std::to_string(i);
      cv::imwrite(path("images/" + name + ".png"), image);
      cv::imwrite(path("masks/" + name + ".png"), mask);
    }
    std::ofstream(path("encoder.json")) << R"({"model": {"encoder_width": 4}})";
    std::ofstream(path("small.json"))
        << R"({"model": {"levels": 2, "steps": 1, "cond_channels": 4, "cond_width": 8, "coupling_width": 16,
                         "coupling_cond_channels": 4}, "training": {"batch_size": 4}, "log_every": 1})";
  }

  // Runs cglow with `arguments` (shell words), capturing its output.
  Outcome cglow(const std::string& arguments) {
    const std::string command = "env " + std::string(kNoLauncher) + " " + std::string(CGLOW_CLI) + " --threads 1 " +
                                arguments + " > " + path("out.txt") + " 2> " + path("err.txt");
    const int status = std::system(command.c_str());
    return {WEXITSTATUS(status), read(path("out.txt")), read(path("err.txt"))};
  }
  // The iteration that run folder `run`'s checkpoint.pt holds.
  int64_t checkpoint_iteration(const std::string& run) {
    torch::serialize::InputArchive archive;
    load_archive(archive, path(run + "/checkpoint.pt"), torch::kCPU);
    torch::Tensor iteration;
    archive.read("iteration", iteration);
    return iteration.item<int64_t>();
  }
  std::string train_args(const std::string& out) {
    return "train --task masks --data " + path("images") + " --masks " + path("masks") +
           " --size 8 --validation 2 --config " + path("small.json") + " --out " + path(out);
  }
  // train_args with c-Glow's shared encoder, 4 wide (encoder.json, written by SetUp).
  std::string encoder_train_args(const std::string& out) {
    return train_args(out) + " --config " + path("encoder.json");
  }
  // Trains a baseline run `out` on the same masks, a U-Net 4 wide that halves `depth` times; its exit code.
  int train_baseline(const std::string& out, int depth) {
    return cglow("baseline --task masks --data " + path("images") + " --masks " + path("masks") +
                 " --size 8 --validation 2 --iterations 2 --width 4 --depth " + std::to_string(depth) + " --out " +
                 path(out))
        .exit_code;
  }
  // Starts cglow with `arguments` in the background with `environment` (NAME=value words), output to
  // `log`; returns its process id.
  pid_t start(const std::string& environment, const std::string& arguments, const std::string& log) {
    const pid_t child = fork();
    if (child == 0) {
      const std::string command = "exec env " + std::string(kNoLauncher) + " " + environment + " " +
                                  std::string(CGLOW_CLI) + " --threads 1 " + arguments + " > " + path(log) + " 2>&1";
      execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    return child;
  }
  // The exit status of `child`, or -1 when it has not ended within `seconds`.
  static int wait_for(pid_t child, int seconds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    int status = 0;
    while (waitpid(child, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  // The environment of process `rank` of `world` meeting on loopback at `port`.
  static std::string launcher(int rank, int world, int port) {
    return "RANK=" + std::to_string(rank) + " WORLD_SIZE=" + std::to_string(world) + " LOCAL_RANK=" +
           std::to_string(rank) + " MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(port);
  }
  // A port below Linux's ephemeral range (32768 up), free now: the kernel's port-0 choice would lie in
  // that range, where another test's Gloo connection could take it before rank 0 binds it.
  static int free_port() {
    static int next = static_cast<int>(getpid() % 10000);
    for (int tries = 0; tries < 10000; ++tries) {
      const int port = 20000 + next++ % 10000;
      const int s = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      address.sin_port = htons(static_cast<uint16_t>(port));
      const bool free = bind(s, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
      close(s);
      if (free) return port;
    }
    throw std::runtime_error("no free loopback port in 20000-29999");
  }
  static std::string read(const std::string& file) {
    std::ifstream in(file);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  static void expect_one_line_error(const Outcome& o, const std::string& part) {
    EXPECT_NE(o.exit_code, 0);
    EXPECT_EQ(o.err.find("cglow: error: "), 0u) << o.err;
    EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
    EXPECT_NE(o.err.find(part), std::string::npos) << o.err;
  }
};

TEST_F(CliTest, TrainsResumesAndNeverOverwritesACheckpoint) {
  auto o = cglow(train_args("run") + " --iterations 4 --checkpoint-every 2 --picture-every 2");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.out.find("finished at iteration 4"), std::string::npos) << o.out;
  for (const auto* file : {"run/config.json", "run/log.jsonl", "run/checkpoint.pt", "run/samples_0000002.png",
                           "run/samples_0000004.png", "run/loss.png"})
    EXPECT_TRUE(fs::exists(path(file))) << file;
  EXPECT_EQ(cv::imread(path("run/samples_0000004.png")).rows, 2 + 2 * (96 + 2));  // two evaluation inputs
  const auto config = nlohmann::json::parse(read(path("run/config.json")));
  EXPECT_EQ(config.at("model").at("coupling_width"), 16);  // from the config file
  EXPECT_EQ(config.at("training").at("iterations"), 4);    // from the command line

  const auto size = fs::file_size(path("run/checkpoint.pt"));
  const auto written = fs::last_write_time(path("run/checkpoint.pt"));
  expect_one_line_error(cglow(train_args("run") + " --iterations 4"), "exists: resume it with --resume");
  EXPECT_EQ(fs::file_size(path("run/checkpoint.pt")), size);
  EXPECT_EQ(fs::last_write_time(path("run/checkpoint.pt")), written);

  // Resuming with another model configuration fails and leaves the run as it was.
  const auto config_before = read(path("run/config.json"));
  expect_one_line_error(cglow(train_args("run") + " --iterations 6 --steps 3 --resume"), "another configuration");
  expect_one_line_error(cglow(train_args("run") + " --iterations 6 --mask-tiles 1 --resume"), "another configuration");
  EXPECT_EQ(read(path("run/config.json")), config_before);

  // As if the run had gone on to log iteration 5 and was killed before its next checkpoint, mid-line:
  // resumed from iteration 4, the log holds every iteration once.
  std::ofstream(path("run/log.jsonl"), std::ios::app) << R"({"iteration": 5, "bits_per_dim": 1.0})" << "\n{\"itera";
  o = cglow(train_args("run") + " --iterations 6 --resume");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.out.find("finished at iteration 6"), std::string::npos) << o.out;
  std::ifstream log(path("run/log.jsonl"));
  std::vector<int64_t> iterations;
  std::vector<double> seconds;
  for (std::string line; std::getline(log, line);) {
    const auto entry = nlohmann::json::parse(line);
    iterations.push_back(entry.at("iteration"));
    seconds.push_back(entry.at("seconds"));
  }
  EXPECT_EQ(iterations, (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
  // The resumed steps' training time goes on from the first start's, not from 0 again.
  for (size_t i = 1; i < seconds.size(); ++i) EXPECT_GT(seconds[i], seconds[i - 1]) << "iteration " << iterations[i];
  // Where each part ran: a line for the start and one for the resume (the failed attempts wrote none).
  std::ifstream machines(path("run/machines.jsonl"));
  std::vector<nlohmann::json> parts;
  for (std::string line; std::getline(machines, line);) parts.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].at("iteration"), 0);
  EXPECT_EQ(parts[1].at("iteration"), 4);
  EXPECT_EQ(parts[1].at("device"), "cpu");
  EXPECT_FALSE(parts[1].at("processor").get<std::string>().empty());
  EXPECT_GE(parts[1].at("threads").get<int>(), 1);
}

// `train --out RUN --resume` alone continues RUN with the settings it was started with (its
// config.json), not the built-in default's; options given with it still override them.
TEST_F(CliTest, ResumingWithOnlyTheRunFolderReadsItsSettings) {
  ASSERT_EQ(cglow(train_args("run") + " --iterations 2 --picture-every 0").exit_code, 0);
  const auto o = cglow("train --out " + path("run") + " --iterations 3 --picture-every 0 --resume");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.out.find("task masks, 3 iterations"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("finished at iteration 3"), std::string::npos) << o.out;
  const auto config = nlohmann::json::parse(read(path("run/config.json")));
  EXPECT_EQ(config.at("model").at("coupling_width"), 16);  // from the first run's config file
  EXPECT_EQ(config.at("training").at("iterations"), 3);    // from this command line

  expect_one_line_error(cglow("train --out " + path("none") + " --resume"), path("none/config.json"));
}

// Repeated --config files apply in order, each over the ones before, so docs/results/*.md compose
// variations (`--config no-finer-features.json --config x-beside.json`) instead of copying them.
TEST_F(CliTest, ConfigFilesApplyInOrder) {
  std::ofstream(path("wider.json")) << R"({"model": {"coupling_width": 12}})";
  const auto train = [&](const std::string& first, const std::string& second, const std::string& out) {
    return cglow("train --task masks --data " + path("images") + " --masks " + path("masks") +
                 " --size 8 --validation 2 --iterations 1 --picture-every 0 --config " + path(first) + " --config " +
                 path(second) + " --out " + path(out));
  };
  ASSERT_EQ(train("small.json", "wider.json", "a").exit_code, 0);
  auto config = nlohmann::json::parse(read(path("a/config.json")));
  EXPECT_EQ(config.at("model").at("coupling_width"), 12);  // the later file wins
  EXPECT_EQ(config.at("model").at("levels"), 2);           // the earlier file's other keys stay
  ASSERT_EQ(train("wider.json", "small.json", "b").exit_code, 0);
  config = nlohmann::json::parse(read(path("b/config.json")));
  EXPECT_EQ(config.at("model").at("coupling_width"), 16);
  expect_one_line_error(train("small.json", "absent.json", "c"), "absent.json");
}

// --flips overrides only when given: a "flips" from a config file (or the run resumed) stays without it.
TEST_F(CliTest, FlipsComeFromTheConfigUnlessTheFlagIsGiven) {
  std::ofstream(path("flips.json")) << R"({"flips": true})";
  const auto train = [&](const std::string& options, const std::string& out) {
    return cglow("train --task inpainting --data " + path("images") + " --size 8 --validation 2 --iterations 1 " +
                 "--picture-every 0 --config " + path("small.json") + " " + options + " --out " + path(out));
  };
  const auto flips = [&](const std::string& out) {
    return nlohmann::json::parse(read(path(out + "/config.json"))).at("flips").get<bool>();
  };
  ASSERT_EQ(train("--config " + path("flips.json"), "a").exit_code, 0);
  EXPECT_TRUE(flips("a"));
  ASSERT_EQ(train("--config " + path("flips.json") + " --flips=false", "b").exit_code, 0);
  EXPECT_FALSE(flips("b"));
  ASSERT_EQ(train("--flips", "c").exit_code, 0);
  EXPECT_TRUE(flips("c"));
  ASSERT_EQ(train("", "d").exit_code, 0);
  EXPECT_FALSE(flips("d"));
}

TEST_F(CliTest, EvalPredictAndSampleReadTheRun) {
  ASSERT_EQ(cglow(train_args("run") + " --iterations 2").exit_code, 0);
  auto o = cglow("eval --run " + path("run") + " --samples 3");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const auto metrics = nlohmann::json::parse(read(path("run/metrics.json")));
  for (const auto* key : {"foreground_iou", "mean_iou", "pixel_accuracy", "test_bits_per_dim"})
    EXPECT_TRUE(metrics.contains(key)) << key;
  EXPECT_FALSE(metrics.contains("calibration")) << "labels have no calibration";
  EXPECT_NE(o.out.find("test_bits_per_dim"), std::string::npos) << o.out;
  // --out puts another scoring of the run (here at temperature 0) elsewhere, leaving RUN/metrics.json alone.
  fs::remove(path("run/metrics.json"));
  o = cglow("eval --run " + path("run") + " --samples 3 --temperature 0 --out " + path("t0.json"));
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.out.find("wrote " + path("t0.json")), std::string::npos) << o.out;
  EXPECT_FALSE(fs::exists(path("run/metrics.json")));
  EXPECT_EQ(nlohmann::json::parse(read(path("t0.json"))).at("test_bits_per_dim"), metrics.at("test_bits_per_dim"));
  o = cglow("eval --run " + path("run") + " --samples 2 --mirror --out " + path("mirror.json"));
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.out.find("half of them given the inputs mirrored"), std::string::npos) << o.out;
  EXPECT_TRUE(nlohmann::json::parse(read(path("mirror.json"))).contains("foreground_iou"));
  expect_one_line_error(cglow("eval --run " + path("run") + " --samples 1 --mirror --out " + path("m1.json")),
                        "a mirrored prediction needs >= 2 samples, got 1");

  o = cglow("predict --run " + path("run") + " --samples 3 --out " + path("predictions"));
  ASSERT_EQ(o.exit_code, 0) << o.err;
  for (const auto* file : {"00000.png", "00001.png", "metrics.json", "grid.png"})
    EXPECT_TRUE(fs::exists(path("predictions/") + file)) << file;
  EXPECT_FALSE(fs::exists(path("predictions/00002.png"))) << "one image per validation example (2)";
  EXPECT_EQ(cv::imread(path("predictions/00000.png")).rows, 8);

  o = cglow("sample --run " + path("run") + " --count 2 --samples 4");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_FALSE(cv::imread(path("run/samples.png")).empty());

  // The run's data now make 16x16 examples: the 8x8 checkpoint does not fit them.
  auto config = nlohmann::json::parse(read(path("run/config.json")));
  config["size"] = 16;
  std::ofstream(path("run/config.json")) << config.dump();
  expect_one_line_error(cglow("eval --run " + path("run")), "checkpoint.pt models 3x8x8");
  expect_one_line_error(cglow("eval --run " + path("nothing")), "not a cglow run folder");
}

// Ctrl-C, and the SIGTERM of kill and of batch schedulers, stop a run after its step with a checkpoint.
TEST_F(CliTest, CtrlCAndSigtermSaveACheckpointAndExitCleanly) {
  for (const int signal : {SIGINT, SIGTERM}) {
    const std::string run = signal == SIGINT ? "interrupted" : "terminated";
    const pid_t child = start("", train_args(run) + " --iterations 1000000", run + ".txt");
    // Wait until it is training (its log has a line), then signal it.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (read(path(run + "/log.jsonl")).empty() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    kill(child, signal);
    const int status = wait_for(child, 60);
    const std::string output = read(path(run + ".txt"));
    EXPECT_EQ(status, 0) << run << ": " << output;
    EXPECT_NE(output.find("stopped at iteration"), std::string::npos) << output;
    EXPECT_TRUE(fs::exists(path(run + "/checkpoint.pt"))) << run;
  }
}

// A run killed outright (SIGKILL, a lost machine) has written its log up to its checkpoint at least, so
// that the resumed run's log lists every iteration once.
TEST_F(CliTest, AKilledRunsLogReachesItsCheckpointAndResumesWithoutAGap) {
  const pid_t child =
      start("", train_args("run") + " --iterations 1000000 --checkpoint-every 3 --picture-every 0", "killed.txt");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fs::exists(path("run/checkpoint.pt")) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  kill(child, SIGKILL);
  ASSERT_EQ(wait_for(child, 60), 128 + SIGKILL) << read(path("killed.txt"));
  const int64_t saved = checkpoint_iteration("run");
  ASSERT_GE(saved, 3);
  const auto o =
      cglow(train_args("run") + " --iterations " + std::to_string(saved + 2) + " --picture-every 0 --resume");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  std::vector<int64_t> logged, every;
  std::istringstream log(read(path("run/log.jsonl")));
  for (std::string line; std::getline(log, line);)
    logged.push_back(nlohmann::json::parse(line).at("iteration").get<int64_t>());
  for (int64_t i = 1; i <= saved + 2; ++i) every.push_back(i);
  EXPECT_EQ(logged, every);
}

TEST_F(CliTest, BadInputIsOneLineNamingTheFileOrValue) {
  expect_one_line_error(cglow("train --task masks --data " + path("nowhere") + " --masks " + path("masks")), "nowhere");
  expect_one_line_error(cglow(train_args("run") + " --mask-tiles 0"), "mask_tiles must be 1 or more, got 0");
  cv::imwrite(path("images/extra.png"), cv::Mat(16, 16, CV_8UC3, cv::Scalar(1, 2, 3)));
  expect_one_line_error(cglow(train_args("run")), "extra.png has no mask");
  fs::remove(path("images/extra.png"));
  { std::ofstream(path("images/im3.png"), std::ios::trunc) << "not a png"; }
  expect_one_line_error(cglow(train_args("run")), "im3.png");
  expect_one_line_error(cglow("train --task nope"), "unknown task 'nope'");
  expect_one_line_error(cglow("train --preset nope"), "unknown preset 'nope'");
  std::ofstream(path("typo.json")) << R"({"trainning": {}})";
  expect_one_line_error(cglow("train --config " + path("typo.json")), "unknown run configuration key 'trainning'");
  expect_one_line_error(cglow("train --config " + path("absent.json")), "absent.json");
}

TEST_F(CliTest, AnOutputFolderThatCannotBeWrittenIsNamed) {
  { std::ofstream(path("file")) << "a regular file, not a folder"; }
  expect_one_line_error(cglow(train_args("file/run") + " --iterations 1"), "file/run");
  ASSERT_EQ(cglow(train_args("run") + " --iterations 1").exit_code, 0);
  expect_one_line_error(cglow("eval --run " + path("run") + " --samples 2 --out " + path("file/metrics.json")),
                        "file/metrics.json");
  expect_one_line_error(cglow("predict --run " + path("run") + " --samples 2 --out " + path("file/predictions")),
                        "file/predictions");
  expect_one_line_error(cglow("sample --run " + path("run") + " --samples 2 --out " + path("file/grid.png")),
                        "file/grid.png");
}

TEST_F(CliTest, DepthRefinementTrainsAndEvaluatesOnSevenScenesFrames) {
  // Six 16-bit frames of 100x130 (larger than the 96x128 crops): a ramp in millimetres with a hole.
  for (int i = 0; i < 6; ++i) {
    cv::Mat depth(100, 130, CV_16UC1);
    for (int r = 0; r < depth.rows; ++r)
      for (int c = 0; c < depth.cols; ++c) depth.at<uint16_t>(r, c) = static_cast<uint16_t>(800 + 10 * c + 50 * i);
    depth(cv::Rect(60, 40, 10, 10)).setTo(0);
    fs::create_directories(path("chess/seq-01"));
    char name[64];
    std::snprintf(name, sizeof name, "chess/seq-01/frame-%06d.depth.png", i);
    ASSERT_TRUE(cv::imwrite(path(name), depth));
  }
  auto o = cglow("train --task depth --data " + path("chess") + " --validation 2 --config " + path("small.json") +
                 " --iterations 2 --out " + path("run"));
  ASSERT_EQ(o.exit_code, 0) << o.err;
  o = cglow("eval --run " + path("run") + " --samples 2");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const auto metrics = nlohmann::json::parse(read(path("run/metrics.json")));
  ASSERT_TRUE(metrics.contains("psnr_refined")) << metrics.dump();
  EXPECT_TRUE(std::isfinite(metrics.at("psnr_refined").get<double>()));
  EXPECT_TRUE(metrics.contains("test_bits_per_dim"));
  ASSERT_TRUE(metrics.contains("calibration")) << metrics.dump();
  EXPECT_GT(metrics.at("calibration").get<double>(), 0);
  // The samples are seeded: evaluating again gives the same numbers.
  ASSERT_EQ(cglow("eval --run " + path("run") + " --samples 2").exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(read(path("run/metrics.json"))), metrics);
  expect_one_line_error(cglow("train --task depth --data " + path("images") + " --out " + path("run2")),
                        "no frame-*.depth.png files under");
}

// Issue 5: c10d data-parallel training over loopback.
TEST_F(CliTest, TwoProcessesOfBatchTwoTrainAsOneOfBatchFourAcrossAResume) {
  ASSERT_EQ(cglow(train_args("one") + " --batch 4 --iterations 4 --picture-every 0").exit_code, 0);
  // Two processes: two iterations, then resumed to four.
  for (const auto& [iterations, more] : {std::pair{2, ""}, std::pair{4, " --resume"}}) {
    const int port = free_port();
    std::vector<pid_t> ranks;
    for (int rank = 0; rank < 2; ++rank)
      ranks.push_back(start(launcher(rank, 2, port),
                            train_args("two") + " --batch 2 --picture-every 0 --timeout 60 --iterations " +
                                std::to_string(iterations) + more,
                            "rank" + std::to_string(rank) + ".txt"));
    for (int rank = 0; rank < 2; ++rank)
      ASSERT_EQ(wait_for(ranks[rank], 120), 0) << read(path("rank" + std::to_string(rank) + ".txt"));
  }
  EXPECT_NE(read(path("rank0.txt")).find("process 0 of 2 (c10d Gloo)"), std::string::npos) << read(path("rank0.txt"));
  EXPECT_EQ(read(path("rank1.txt")), "") << "only rank 0 reports";
  auto one = load_model(path("one/checkpoint.pt")), two = load_model(path("two/checkpoint.pt"));
  double worst = 0;
  const auto a = one->parameters(), b = two->parameters();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, (a[i] - b[i]).abs().max().item<double>());
  EXPECT_LT(worst, 1e-5);
  double moved = 0;  // and the comparison means something: training changed the weights
  const auto fresh = CGlow(one->config())->parameters();
  for (size_t i = 0; i < a.size(); ++i) moved = std::max(moved, (a[i] - fresh[i]).abs().max().item<double>());
  EXPECT_GT(moved, 1e-4);
}

TEST_F(CliTest, AProcessThatDiesOrHangsStopsItsPeerWithinTheTimeout) {
  for (const int signal : {SIGKILL, SIGSTOP}) {
    const int port = free_port();
    const std::string out = signal == SIGKILL ? "killed" : "hung";
    std::vector<pid_t> ranks;
    for (int rank = 0; rank < 2; ++rank)
      ranks.push_back(start(launcher(rank, 2, port),
                            train_args(out) + " --batch 2 --picture-every 0 --timeout 15 --iterations 1000000"
                                              " --checkpoint-every 5",
                            out + std::to_string(rank) + ".txt"));
    // Once a checkpoint exists, rank 1 dies or stops.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (!fs::exists(path(out + "/checkpoint.pt")) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_TRUE(fs::exists(path(out + "/checkpoint.pt"))) << read(path(out + "0.txt"));
    kill(ranks[1], signal);
    const int status = wait_for(ranks[0], 90);
    if (signal == SIGSTOP) kill(ranks[1], SIGKILL), kill(ranks[1], SIGCONT);
    wait_for(ranks[1], 10);
    const std::string log = read(path(out + "0.txt"));
    EXPECT_NE(status, -1) << "rank 0 did not stop: " << log;
    EXPECT_NE(status, 0) << log;
    EXPECT_EQ(status, 1) << "an error exit, not a crash: " << log;
    ASSERT_NE(log.find("cglow: error: "), std::string::npos) << log;
    const auto error = log.substr(log.find("cglow: error: "));
    EXPECT_NE(error.find("rank 0: averaging the gradients with the other processes failed"), std::string::npos) << log;
    EXPECT_EQ(std::count(error.begin(), error.end(), '\n'), 1) << error;
    EXPECT_NO_THROW(load_model(path(out + "/checkpoint.pt"))) << "the last checkpoint is intact";
  }
}

TEST_F(CliTest, ALauncherEnvironmentWithoutItsAddressOrProcessesThatDisagreeAreNamed) {
  const pid_t child = start("WORLD_SIZE=2 RANK=0", train_args("run") + " --iterations 1", "env.txt");
  EXPECT_EQ(wait_for(child, 60), 1);
  EXPECT_NE(read(path("env.txt")).find("WORLD_SIZE is set but MASTER_ADDR is not"), std::string::npos)
      << read(path("env.txt"));
  // Two processes started with different batch sizes would not train as one model.
  const int port = free_port();
  std::vector<pid_t> ranks;
  for (int rank = 0; rank < 2; ++rank)
    ranks.push_back(start(launcher(rank, 2, port),
                          train_args("mixed") + " --iterations 2 --timeout 30 --batch " + std::to_string(2 + rank),
                          "mixed" + std::to_string(rank) + ".txt"));
  for (int rank = 0; rank < 2; ++rank) {
    const auto log = read(path("mixed" + std::to_string(rank) + ".txt"));
    EXPECT_EQ(wait_for(ranks[rank], 90), 1) << log;
  }
  EXPECT_NE(read(path("mixed0.txt")).find("the processes differ in their --batch: rank 0 has 2"), std::string::npos)
      << read(path("mixed0.txt"));
}

TEST_F(CliTest, TheBaselineTrainsAndScoresOnTheSameTask) {
  auto o = cglow("baseline --task masks --data " + path("images") + " --masks " + path("masks") +
                 " --size 8 --validation 2 --iterations 100 --batch 4 --lr 0.003 --width 4 --out " + path("unet"));
  ASSERT_EQ(o.exit_code, 0) << o.err;
  for (const auto* file : {"unet/config.json", "unet/log.jsonl", "unet/machines.jsonl", "unet/baseline.pt",
                           "unet/predictions.png"})
    EXPECT_TRUE(fs::exists(path(file))) << file;
  const auto metrics = nlohmann::json::parse(read(path("unet/metrics.json")));
  EXPECT_EQ(metrics.at("training_iterations"), 100);
  for (const auto* key : {"foreground_iou", "mean_iou", "pixel_accuracy"}) EXPECT_TRUE(metrics.contains(key)) << key;
  // A bright square on a dark background (a quarter of the pixels): 100 steps learn it.
  EXPECT_GT(metrics.at("pixel_accuracy").get<double>(), 0.85) << "all background scores 0.75: " << metrics.dump();
  // cglow eval scores the saved weights again as training did, into eval.json beside training's metrics.
  o = cglow("eval --run " + path("unet"));
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.out.find("the baseline in " + path("unet")), std::string::npos) << o.out;
  const auto scored = nlohmann::json::parse(read(path("unet/eval.json")));
  for (const auto* key : {"foreground_iou", "mean_iou", "pixel_accuracy"}) EXPECT_EQ(scored.at(key), metrics.at(key));
  o = cglow("eval --run " + path("unet") + " --mirror --out " + path("mirror.json"));
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.out.find("averaged with its mirror image"), std::string::npos) << o.out;
  EXPECT_TRUE(nlohmann::json::parse(read(path("mirror.json"))).contains("pixel_accuracy"));
  expect_one_line_error(cglow("predict --run " + path("unet")), "is a baseline run (baseline.pt, no checkpoint.pt)");
  expect_one_line_error(cglow("eval --run " + path("unet") + " --samples 3"),
                        "--samples is for c-Glow runs: the baseline in " + path("unet") + " draws no samples");
  // Weights of another width than the configuration says: a one-line error, not a failed convolution.
  auto config = nlohmann::json::parse(read(path("unet/config.json")));
  config["baseline_width"] = 8;
  std::ofstream(path("unet/config.json")) << config.dump();
  expect_one_line_error(cglow("eval --run " + path("unet")), "unet/baseline.pt does not fit the U-Net of ");
  // Or of another depth: the stages' names and shapes are those of a shallower U-Net's, and one more.
  config["baseline_width"] = 4;
  config["baseline_depth"] = 2;
  std::ofstream(path("unet/config.json")) << config.dump();
  expect_one_line_error(cglow("eval --run " + path("unet")), "which the model has not");
  // Never over a run: the baseline's or a c-Glow run's.
  expect_one_line_error(cglow("baseline --task masks --data " + path("images") + " --masks " + path("masks") +
                              " --size 8 --validation 2 --iterations 1 --out " + path("unet")),
                        "already holds a run");
  ASSERT_EQ(cglow(train_args("run") + " --iterations 1").exit_code, 0);
  const auto log = read(path("run/log.jsonl"));
  expect_one_line_error(cglow("baseline --task masks --data " + path("images") + " --masks " + path("masks") +
                              " --size 8 --validation 2 --iterations 1 --out " + path("run")),
                        "already holds a run");
  EXPECT_EQ(read(path("run/log.jsonl")), log);
}

// `train --encoder-from` starts the shared encoder from a baseline of its width and depth (at 8x8, two
// levels: two halvings), records it in config.json, refuses one that does not fit before it writes
// anything, and resumes without the baseline: the checkpoint holds the weights.
TEST_F(CliTest, TrainStartsTheEncoderFromABaselineThatFits) {
  ASSERT_EQ(train_baseline("unet", 2), 0);
  ASSERT_EQ(train_baseline("unet3", 3), 0);
  const std::string train = encoder_train_args("run") + " --iterations 2";
  expect_one_line_error(cglow(train + " --encoder-from " + path("unet3")),
                        "unet3/baseline.pt (a U-Net of width 4, depth 3) does not fit the encoder (width 4, depth 2)");
  EXPECT_FALSE(fs::exists(path("run"))) << "nothing written for a run that could not start";
  // A prediction shift of masks starts at the baseline's foreground probabilities: config.json records
  // the link that makes them a prediction of y, and the run evaluates from it.
  std::ofstream(path("shift.json")) << R"({"model": {"shift_by_prediction": true}})";
  auto o = cglow(encoder_train_args("shifted") + " --iterations 2 --config " + path("shift.json") +
                 " --encoder-from " + path("unet"));
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(nlohmann::json::parse(read(path("shifted/config.json"))).at("model").at("prediction_link"), "sigmoid");
  o = cglow("eval --run " + path("shifted") + " --samples 1 --out " + path("shifted/metrics.json"));
  ASSERT_EQ(o.exit_code, 0) << o.err;
  o = cglow(train + " --encoder-from " + path("unet"));
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(nlohmann::json::parse(read(path("run/config.json"))).at("encoder_from"), path("unet"));
  fs::remove_all(path("unet"));
  o = cglow("train --out " + path("run") + " --resume --iterations 3");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(checkpoint_iteration("run"), 3);
  // Naming another baseline on resume changes neither the weights nor the start config.json records.
  o = cglow("train --out " + path("run") + " --resume --iterations 4 --encoder-from " + path("unet3"));
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(nlohmann::json::parse(read(path("run/config.json"))).at("encoder_from"), path("unet"));
}

// With --freeze-encoder the encoder keeps the baseline's U-Net while the flow trains; without, it moves.
TEST_F(CliTest, AFrozenEncoderKeepsTheBaselinesWeights) {
  ASSERT_EQ(train_baseline("unet", 2), 0);
  const std::string train = encoder_train_args("run") + " --iterations 3";
  expect_one_line_error(cglow(train_args("plain") + " --iterations 3 --freeze-encoder"),
                        "--freeze-encoder needs c-Glow's shared encoder");
  torch::serialize::InputArchive archive;
  load_archive(archive, path("unet/baseline.pt"), torch::kCPU);
  const auto unet = read_tensors(archive);
  // The encoder's parameters that differ from the baseline's after training from them, frozen or not.
  auto moved = [&](const std::string& run) {
    int64_t count = 0;
    for (const auto& p : load_model(path(run + "/checkpoint.pt"), torch::kCPU)->encoder()->named_parameters())
      count += !torch::equal(p.value(), unet.at("unet." + p.key()));
    return count;
  };
  auto o = cglow(train + " --encoder-from " + path("unet") + " --freeze-encoder");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_TRUE(nlohmann::json::parse(read(path("run/config.json"))).at("freeze_encoder").get<bool>());
  EXPECT_EQ(moved("run"), 0);
  o = cglow("train --out " + path("run") + " --resume --iterations 5");  // frozen still, as config.json says
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(moved("run"), 0);
  o = cglow(encoder_train_args("free") + " --iterations 3 --encoder-from " + path("unet"));
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_GT(moved("free"), 0);
}

// Resumed frozen, a run keeps its encoder where it was, in two processes too, though Adam's moments for
// it are not zero after two free steps: a frozen parameter takes no gradient, not a zero one.
TEST_F(CliTest, TwoProcessesResumedWithTheEncoderFrozenLeaveIt) {
  const std::string train = encoder_train_args("run") + " --picture-every 0";
  ASSERT_EQ(cglow(train + " --iterations 2").exit_code, 0);
  auto encoder = [&] { return load_model(path("run/checkpoint.pt"))->encoder()->parameters(); };
  const auto before = encoder();
  const int port = free_port();
  std::vector<pid_t> ranks;
  for (int rank = 0; rank < 2; ++rank)
    ranks.push_back(start(launcher(rank, 2, port), train + " --resume --freeze-encoder --iterations 4 --timeout 60",
                          "rank" + std::to_string(rank) + ".txt"));
  for (int rank = 0; rank < 2; ++rank)
    ASSERT_EQ(wait_for(ranks[rank], 120), 0) << read(path("rank" + std::to_string(rank) + ".txt"));
  EXPECT_EQ(checkpoint_iteration("run"), 4);
  const auto after = encoder();
  ASSERT_EQ(before.size(), after.size());
  for (size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(torch::equal(before[i], after[i])) << i;
}

// A learning rate rising to 0.1 over the whole run learns the square in its first hundred steps and
// then, at about 0.03, throws the weights away: the baseline stops and is scored on the steady
// weights it kept, not on the diverged ones. With seeds 1-4 those runs stopped at 168-191 and had
// kept the weights of step 100 or 150, scoring 0.90-0.98 pixel accuracy; the diverged weights (where
// a guard deciding on ten steps stopped them, at 139-170) scored 0.67-0.78 (all background: 0.75).
TEST_F(CliTest, ADivergedBaselineIsScoredOnItsLastSteadyWeights) {
  const std::string baseline = "baseline --task masks --data " + path("images") + " --masks " + path("masks") +
                               " --size 8 --validation 2 --iterations 400 --batch 4 --width 4";
  const auto o = cglow(baseline + " --lr 0.1 --warmup 400 --out " + path("unet"));
  expect_one_line_error(o, "training diverged by iteration ");
  EXPECT_TRUE(fs::exists(path("unet/baseline.pt")));
  EXPECT_TRUE(fs::exists(path("unet/predictions.png")));
  const auto metrics = nlohmann::json::parse(read(path("unet/metrics.json")));
  const auto kept = metrics.at("training_iterations").get<int64_t>();
  const auto stopped = metrics.at("stopped_at_iteration").get<int64_t>();
  EXPECT_TRUE(kept >= 50 && kept < stopped && stopped < 400) << metrics.dump();
  EXPECT_NE(o.err.find("training diverged by iteration " + std::to_string(stopped) + ": "), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("unet/metrics.json scores the weights it had kept, of iteration " + std::to_string(kept)),
            std::string::npos)
      << o.err;
  EXPECT_GT(metrics.at("pixel_accuracy").get<double>(), 0.85) << metrics.dump();
  // A rate of 1000 makes the loss NaN from the second step, before the guard has a reference: ten such
  // steps stop the run, which is scored on the initial weights.
  const auto nan = cglow(baseline + " --lr 1000 --out " + path("unet2"));
  expect_one_line_error(
      nan, "training stopped at iteration 11: the loss or its gradient was not finite for 10 steps in a row");
  EXPECT_NE(nan.err.find("of iteration 0 (the initial ones)"), std::string::npos) << nan.err;
  EXPECT_NE(nan.out.find("skipped iteration 2: the loss or a gradient was not finite"), std::string::npos) << nan.out;
  const auto nan_metrics = nlohmann::json::parse(read(path("unet2/metrics.json")));
  EXPECT_EQ(nan_metrics.at("training_iterations"), 0);
  EXPECT_EQ(nan_metrics.at("stopped_at_iteration"), 11);
}

TEST_F(CliTest, ATimeBudgetStopsTrainingWithACheckpoint) {
  const auto o = cglow(train_args("run") + " --iterations 1000000 --minutes 0.02 --picture-every 0");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.out.find("stopped at iteration"), std::string::npos) << o.out;
  // The ETA is the budget's (1.2 s), not that of a million iterations.
  ASSERT_NE(o.out.find("ETA "), std::string::npos) << o.out;
  for (auto at = o.out.find("ETA "); at != std::string::npos; at = o.out.find("ETA ", at + 1))
    ASSERT_EQ(o.out.substr(at, 7), "ETA 0:0") << o.out.substr(at, 12);
  EXPECT_TRUE(fs::exists(path("run/checkpoint.pt")));
}

// At learning rate 0 the loss only jitters around its level; with a margin of almost nothing, about half
// the steps after the first 50 "leap" above the reference (the median of those 50), so the checkpoint
// due at 50 waits, and soon most of the last 50 leap: the run stops as a diverged one does, keeping the
// checkpoint of 25, written before there was a reference to leap from.
TEST_F(CliTest, ADivergedRunStopsWithItsLastSteadyCheckpoint) {
  const std::string run = " --iterations 400 --lr 0 --checkpoint-every 25 --picture-every 0";
  const auto o = cglow(train_args("run") + run + " --divergence-margin 0.000001");
  expect_one_line_error(o, "training diverged by iteration ");
  EXPECT_NE(o.err.find("run/checkpoint.pt (iteration 25) is kept"), std::string::npos) << o.err;
  EXPECT_EQ(checkpoint_iteration("run"), 25);
  // The same run without the guard goes to its end.
  const auto unguarded = cglow(train_args("run2") + run + " --divergence-margin 0");
  EXPECT_EQ(unguarded.exit_code, 0) << unguarded.err;
  EXPECT_NE(unguarded.out.find("finished at iteration 400"), std::string::npos) << unguarded.out;
}

// The same run with a margin of a twentieth of a bit per dimension: of the last ten steps of 60, about
// three leap (a replay of the guard on an unguarded run's losses found one to four for margins of 0.05
// to 0.1 and ends of 51 to 70), far too few for a divergence, so the run finishes, but its final
// weights do not replace the checkpoint of 25 (the one due at 50 waited too).
TEST_F(CliTest, ARunThatEndsJustAfterALeapKeepsItsLastSteadyCheckpoint) {
  auto train = [&](const std::string& out, const std::string& every) {
    return cglow(train_args(out) + " --iterations 60 --lr 0 --picture-every 0 --divergence-margin 0.05" +
                 " --checkpoint-every " + every);
  };
  const auto o = train("run", "25");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.out.find("finished at iteration 60; checkpoint " + path("run") + "/checkpoint.pt keeps iteration 25"),
            std::string::npos)
      << o.out;
  EXPECT_EQ(checkpoint_iteration("run"), 25);
  // Without a checkpoint to keep, the same run saves its final weights after all.
  const auto unsaved = train("run2", "0");
  ASSERT_EQ(unsaved.exit_code, 0) << unsaved.err;
  EXPECT_NE(unsaved.out.find("finished at iteration 60; checkpoint " + path("run2") + "/checkpoint.pt\n"),
            std::string::npos)
      << unsaved.out;
}

TEST_F(CliTest, ACorruptCheckpointIsNamedAndKept) {
  fs::create_directories(path("run"));
  { std::ofstream(path("run/checkpoint.pt")) << "garbage"; }
  expect_one_line_error(cglow(train_args("run") + " --resume"), "checkpoint.pt");
  EXPECT_EQ(read(path("run/checkpoint.pt")), "garbage");
}

}  // namespace
}  // namespace cglow

#include "cglow/run/run_config.h"

namespace cglow {
namespace {

TEST(RunConfig, PresetsAreThePapersSettingsAndJsonRoundTrips) {
  const auto horse = preset("horse64");
  EXPECT_EQ(horse.task, "horse");
  EXPECT_EQ(horse.size, 64);
  EXPECT_EQ(horse.model.levels, 3);
  EXPECT_EQ(horse.model.steps, 8);
  EXPECT_EQ(horse.model.cond_channels, 64);
  EXPECT_EQ(horse.model.cond_width, 128);
  EXPECT_EQ(horse.training.iterations, 50000);
  EXPECT_EQ(horse.training.batch_size, 2);
  EXPECT_FALSE(horse.training.actnorm_init);  // the paper has no data-dependent initialisation
  EXPECT_EQ(preset("lfw32").model.levels, 4);
  const auto depth = preset("depth");  // section 5.5: smaller conditioning networks
  EXPECT_EQ(depth.task, "depth");
  EXPECT_EQ(depth.model.cond_channels, 8);
  EXPECT_EQ(depth.model.cond_width, 32);
  // Beyond the paper: the shared encoder on the paper's flow for the task (docs/RESULTS.md).
  const auto faces = preset("inpainting64-encoder");
  EXPECT_EQ(faces.model.encoder_width, 32);
  EXPECT_FALSE(faces.model.actnorm_per_pixel);  // a higher PSNR without either
  EXPECT_FALSE(faces.training.actnorm_init);
  EXPECT_TRUE(preset("lfw32-encoder").model.actnorm_per_pixel);
  EXPECT_TRUE(preset("denoising128-encoder").model.x_beside_features);  // 20.9 dB without, 25.9 with
  EXPECT_TRUE(faces.model.x_beside_features);                            // 18.2 dB without, 19.0 with
  EXPECT_FALSE(preset("lfw32-encoder").model.x_beside_features);
  EXPECT_EQ(faces.model.levels, 3);
  EXPECT_EQ(faces.crop, 128);
  EXPECT_EQ(faces.training.batch_size, 8);
  EXPECT_EQ(preset("lfw32-encoder").model.levels, 4);
  EXPECT_EQ(preset("lfw32-encoder").out, "runs/lfw32-encoder");
  // The budgets and crops that docs/RESULTS.md measured: 0.948 pixel accuracy, 0.938 without zoom.
  EXPECT_EQ(preset("lfw32-encoder").training.iterations, 12000);
  EXPECT_DOUBLE_EQ(preset("lfw32-encoder").zoom, 0.8);
  EXPECT_EQ(preset("lfw32-encoder").zoom_detail, 4);
  EXPECT_EQ(faces.training.iterations, 9000);  // 20.4 dB, 19.0 after 3000
  EXPECT_EQ(preset("lfw64-encoder").size, 64);
  EXPECT_EQ(preset("lfw64-encoder").model.levels, 4);
  EXPECT_EQ(preset("lfw64-encoder").training.iterations, 7500);  // 0.956 pixel accuracy, 0.906 after 3000
  EXPECT_DOUBLE_EQ(preset("lfw64-encoder").zoom, 0.8);
  EXPECT_EQ(preset("lfw64-encoder").zoom_detail, 2);
  const nlohmann::json j = preset("horse32-encoder");
  const auto back = j.get<RunConfig>();
  EXPECT_EQ(nlohmann::json(back), j);
  EXPECT_EQ(back.zoom, 0.7);
  EXPECT_EQ(back.zoom_detail, 4);  // crops cut from the images at 4 times the size: 0.849 against 0.828
  EXPECT_EQ(back.mask_tiles, 3);  // the paper's tiles; a file may ask for others
  EXPECT_EQ(nlohmann::json::parse(R"({"mask_tiles": 1})").get<RunConfig>().mask_tiles, 1);
  EXPECT_FALSE(back.training.actnorm_init);  // lower IoU with it, on both horse presets
  EXPECT_FALSE(back.model.finer_features);
  EXPECT_TRUE(preset("horse64-encoder").model.finer_features);  // 0.849 foreground IoU against 0.833
  EXPECT_TRUE(preset("denoising128-encoder").training.actnorm_init);
  EXPECT_THROW(nlohmann::json::parse(R"({"training": {"itterations": 3}})").get<RunConfig>(), std::invalid_argument);
}

// docs/results/*.md reproduce their variant rows with `--config docs/results/NAME.json` on top of a preset;
// a misspelt key there would otherwise surface only when a reader runs that row.
TEST(RunConfig, EveryConfigInDocsResultsLoadsOntoAPreset) {
  int files = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(CGLOW_SOURCE_DIR) / "docs" / "results")) {
    if (entry.path().extension() != ".json") continue;
    ++files;
    std::ifstream in(entry.path());
    auto config = preset("horse64-encoder");
    EXPECT_NO_THROW(from_json(nlohmann::json::parse(in), config)) << entry.path();
  }
  EXPECT_GE(files, 1);
}

}  // namespace
}  // namespace cglow
