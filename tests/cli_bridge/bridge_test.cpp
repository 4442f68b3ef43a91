// The CLI Bridge with fake gemini/claude/codex programs (fake_cli.sh) on a
// temporary PATH: the command line each CLI gets, the prompt on stdin, the
// registry check before anything runs, failures, timeouts, truncation,
// discovery (PATH, extra folders, npm's global bin) and versions.
#include "cli_bridge/bridge.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace docrunch::cli_bridge {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::TempDir;

const fs::path kFake = fs::path(DOCRUNCH_SOURCE_DIR) / "tests/cli_bridge/fake_cli.sh";

void InstallFake(const fs::path& dir, const std::string& name) {
  fs::create_directories(dir);
  fs::copy_file(kFake, dir / name, fs::copy_options::overwrite_existing);
  fs::permissions(dir / name, fs::perms::owner_all);
}

ModelRegistry Registry() {
  ModelRegistry registry;
  EXPECT_TRUE(ValidateModelRegistry("t", R"({
    "gemini": {"models": [{"id": "gemini-2.5-pro"}]},
    "claude": {"models": [{"id": "claude-sonnet-4-5"}]},
    "codex": {"models": [{"id": "gpt-5-codex"}]}})",
                                    registry)
                  .empty());
  return registry;
}

class BridgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* cli : {"gemini", "claude", "codex"}) InstallFake(dir_ / "bin", cli);
  }

  CliBridge Bridge(BridgeOptions o = {}) {
    o.discovery.path = (dir_ / "bin").string() + ":/usr/bin:/bin";
    o.discovery.extra_dirs.clear();
    o.discovery.ask_npm = false;
    o.env = std::vector<std::string>{"PATH=/usr/bin:/bin", "FAKE_CLI_LOG=" + Log().string()};
    return CliBridge(std::move(o), Registry());
  }

  fs::path Log() const { return dir_ / "calls.log"; }

  TempDir dir_;
};

TEST_F(BridgeTest, EachCliGetsItsCommandLineAndThePromptOnStdin) {
  auto bridge = Bridge();
  struct Case {
    std::string cli, model, args;
  };
  for (const Case& c :
       {Case{"gemini", "gemini-2.5-pro", "arg=[--model]\narg=[gemini-2.5-pro]\n"},
        Case{"claude", "claude-sonnet-4-5", "arg=[-p]\narg=[--model]\narg=[claude-sonnet-4-5]\n"},
        Case{"codex", "gpt-5-codex", "arg=[exec]\narg=[--model]\narg=[gpt-5-codex]\n"}}) {
    auto r = bridge.Execute({c.cli, "Explain $(rm -rf ~) `id`; exit 1 | tee x", c.model, {}});
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_TRUE(r->success) << r->error;
    EXPECT_EQ(r->error, "");
    EXPECT_EQ(r->cli_type, c.cli);
    EXPECT_EQ(r->model, c.model);
    EXPECT_EQ(r->content, "cli=" + c.cli + "\n" + c.args +
                              "key=[]\nbytes=41\nstdin=[Explain $(rm -rf ~) `id`; exit 1 | tee "
                              "x\n]\n");
    EXPECT_GE(r->execution_time_ms, 0);
  }
}

TEST_F(BridgeTest, RequestsAreCheckedBeforeAnythingRuns) {
  auto bridge = Bridge();
  auto unknown = bridge.Execute({"cursor", "hi", "gpt-5-codex", {}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kInvalidParams);
  EXPECT_THAT(unknown.error().message, HasSubstr("cli_type"));
  for (std::string model : {"gpt-5", "gemini-2.5-pro", "gpt-5-codex; touch x", "--help", ""}) {
    auto r = bridge.Execute({"codex", "hi", model, {}});
    ASSERT_FALSE(r.ok()) << model;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidParams);
    EXPECT_THAT(r.error().message, HasSubstr("model: "));
    EXPECT_THAT(r.error().message, HasSubstr("not registered for codex"));
  }
  EXPECT_THAT(bridge.Execute({"codex", "", "gpt-5-codex", {}}).error().message,
              HasSubstr("prompt"));
  EXPECT_THAT(bridge.Execute({"codex", "hi", "gpt-5-codex", 0ms}).error().message,
              HasSubstr("timeout"));
  BridgeOptions small;
  small.max_prompt_bytes = 10;
  EXPECT_THAT(Bridge(small).Execute({"codex", "hello world!", "gpt-5-codex", {}}).error().message,
              HasSubstr("over the limit of 10"));
  EXPECT_FALSE(fs::exists(Log())) << "a CLI ran for a refused request";
}

TEST_F(BridgeTest, ANotInstalledCliIsUnavailable) {
  fs::remove(dir_ / "bin" / "codex");
  auto r = Bridge().Execute({"codex", "hi", "gpt-5-codex", {}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kStorageUnavailable);
  EXPECT_THAT(r.error().message, HasSubstr("codex is not installed"));
}

TEST_F(BridgeTest, FailuresTimeoutsAndTruncation) {
  BridgeOptions o;
  o.max_output_bytes = 100;
  o.kill_grace = 500ms;
  auto bridge = Bridge(o);
  auto failed = bridge.Execute({"gemini", "fail 3", "gemini-2.5-pro", {}});
  ASSERT_TRUE(failed.ok());
  EXPECT_FALSE(failed->success);
  EXPECT_EQ(failed->exit_code, 3);
  EXPECT_EQ(failed->error, "gemini exited with status 3: failing on purpose");

  BridgeOptions capped = o;
  capped.max_timeout = 500ms;  // a longer request runs with the host's most
  auto cut = Bridge(capped).Execute({"claude", "sleep 30", "claude-sonnet-4-5", 1h});
  ASSERT_TRUE(cut.ok());
  EXPECT_TRUE(cut->timed_out);
  EXPECT_THAT(cut->error, HasSubstr("timed out after 0.5 s"));

  auto slow = bridge.Execute({"claude", "sleep 30", "claude-sonnet-4-5", 500ms});
  ASSERT_TRUE(slow.ok());
  EXPECT_FALSE(slow->success);
  EXPECT_TRUE(slow->timed_out);
  EXPECT_THAT(slow->error, HasSubstr("timed out after 0.5 s"));
  EXPECT_LT(slow->execution_time_ms, 10'000);

  auto chatty = bridge.Execute({"codex", "forever", "gpt-5-codex", 500ms});
  ASSERT_TRUE(chatty.ok());
  EXPECT_FALSE(chatty->success);
  EXPECT_EQ(chatty->content.size(), 100u);

  auto big = bridge.Execute({"codex", std::string(1000, 'z'), "gpt-5-codex", {}});
  ASSERT_TRUE(big.ok());
  EXPECT_TRUE(big->success);
  EXPECT_TRUE(big->truncated);
  EXPECT_EQ(big->content.size(), 100u);
  EXPECT_THAT(big->error, HasSubstr("output truncated to 100 of"));
}

TEST_F(BridgeTest, HealthFindsEachCliWithItsVersion) {
  fs::remove(dir_ / "bin" / "claude");
  auto health = Bridge().Health();
  ASSERT_EQ(health.size(), 3u);
  EXPECT_EQ(health[0].cli_type, "gemini");
  EXPECT_TRUE(health[0].available);
  EXPECT_EQ(health[0].path, (dir_ / "bin" / "gemini").string());
  EXPECT_EQ(health[0].version, "gemini-fake 1.2.3");
  EXPECT_EQ(health[0].models, std::vector<std::string>{"gemini-2.5-pro"});
  EXPECT_EQ(health[1].cli_type, "claude");
  EXPECT_FALSE(health[1].available);
  EXPECT_EQ(health[1].path, "");
  EXPECT_EQ(health[2].version, "codex-fake 1.2.3");
}

TEST(Discovery, PathFirstThenExtraFoldersThenNpmGlobalBin) {
  TempDir dir;
  InstallFake(dir / "path", "gemini");
  InstallFake(dir / "extra", "gemini");
  InstallFake(dir / "extra", "claude");
  InstallFake(dir / "npm-prefix" / "bin", "codex");
  // A fake npm that answers `npm prefix -g` with our folder.
  dir.Write("npmbin/npm", "#!/bin/sh\n[ \"$1 $2\" = \"prefix -g\" ] && echo '" +
                              (dir / "npm-prefix").string() + "'\n");
  fs::permissions(dir / "npmbin/npm", fs::perms::owner_all);
  // Not executable, and a relative PATH entry: both skipped.
  dir.Write("plain/codex", "not a program");
  DiscoveryOptions o;
  o.path = "relative:" + (dir / "plain").string() + ":" + (dir / "path").string() + ":" +
           (dir / "npmbin").string() + ":/usr/bin:/bin";
  o.extra_dirs = {dir / "extra"};
  Discovery discovery(o);
  EXPECT_EQ(discovery.Find("gemini"), dir / "path" / "gemini");
  EXPECT_EQ(discovery.Find("claude"), dir / "extra" / "claude");
  EXPECT_EQ(discovery.Find("codex"), dir / "npm-prefix" / "bin" / "codex");
  EXPECT_EQ(discovery.Find("cursor"), std::nullopt);
  EXPECT_EQ(discovery.Find("../path/gemini"), std::nullopt);
  o.ask_npm = false;
  EXPECT_EQ(Discovery(o).Find("codex"), std::nullopt);
}

TEST(Discovery, DefaultsSearchHomeLocalBinAndUsrLocalBin) {
  auto o = DefaultDiscovery({{"PATH", "/a:/b"}, {"HOME", "/home/u"}});
  EXPECT_EQ(o.path, "/a:/b");
  EXPECT_EQ(o.extra_dirs, (std::vector<fs::path>{"/home/u/.local/bin", "/usr/local/bin"}));
  EXPECT_TRUE(o.ask_npm);
}

TEST(Discovery, VersionOfAHangingCliTimesOut) {
  TempDir dir;
  dir.Write("bin/gemini", "#!/bin/sh\nsleep 30\n");
  fs::permissions(dir / "bin/gemini", fs::perms::owner_all);
  DiscoveryOptions o;
  o.command_timeout = 300ms;
  Discovery discovery(o);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(discovery.Version(dir / "bin/gemini"), "");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

}  // namespace
}  // namespace docrunch::cli_bridge
