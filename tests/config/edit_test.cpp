#include "config/edit.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

namespace docrunch::config {
namespace {

std::string SetOk(const std::string& text, const std::string& key, const std::string& value) {
  auto result = SetKeyInText(text, key, value);
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().ToString());
  return result.ok() ? *result : "";
}

TEST(SetKeyInText, ReplacesAValueAndKeepsComments) {
  const std::string text =
      "# top comment\nserver:\n  mcp:\n    # the port\n    port: 3334  # default\n    host: "
      "localhost\n";
  EXPECT_EQ(SetOk(text, "server.mcp.port", "4000"),
            "# top comment\nserver:\n  mcp:\n    # the port\n    port: 4000  # default\n"
            "    host: localhost\n");
}

TEST(SetKeyInText, AddsAMissingKeyToAnExistingSection) {
  const std::string text = "server:\n  mcp:\n    host: localhost\n";
  std::string out = SetOk(text, "server.mcp.port", "4000");
  EXPECT_EQ(YAML::Load(out)["server"]["mcp"]["port"].as<int>(), 4000);
  EXPECT_EQ(YAML::Load(out)["server"]["mcp"]["host"].as<std::string>(), "localhost");
}

TEST(SetKeyInText, CreatesMissingSections) {
  std::string out = SetOk("project:\n  name: x\n", "server.mcp.auth.enabled", "true");
  EXPECT_TRUE(YAML::Load(out)["server"]["mcp"]["auth"]["enabled"].as<bool>());
  EXPECT_EQ(YAML::Load(out)["project"]["name"].as<std::string>(), "x");
  out = SetOk("", "audit.enabled", "false");
  EXPECT_FALSE(YAML::Load(out)["audit"]["enabled"].as<bool>());
  out = SetOk("storage:\n# nothing yet\nproject: {}\n", "storage.backend", "postgres");
  EXPECT_EQ(YAML::Load(out)["storage"]["backend"].as<std::string>(), "postgres");
}

TEST(SetKeyInText, ReplacesABlockList) {
  const std::string text =
      "scanning:\n  languages:\n    - python\n    - go\n  max_file_size_kb: 9\n";
  std::string out = SetOk(text, "scanning.languages", "[rust]");
  YAML::Node doc = YAML::Load(out);
  ASSERT_EQ(doc["scanning"]["languages"].size(), 1u);
  EXPECT_EQ(doc["scanning"]["languages"][0].as<std::string>(), "rust");
  EXPECT_EQ(doc["scanning"]["max_file_size_kb"].as<int>(), 9);
}

TEST(SetKeyInText, RefusesWhatItCannotEditSafely) {
  EXPECT_EQ(SetKeyInText("server: {mcp: {}}\n", "server.mcp.port", "1").error().code,
            ErrorCode::kConfigInvalid);
  EXPECT_EQ(SetKeyInText("project: 5\n", "project.name", "x").error().code,
            ErrorCode::kConfigInvalid);
  EXPECT_EQ(SetKeyInText("a: [\n", "a", "1").error().code, ErrorCode::kConfigInvalid);
  EXPECT_EQ(SetKeyInText("", "server..port", "1").error().code, ErrorCode::kUsage);
  EXPECT_EQ(SetKeyInText("", "audit.enabled", "a\nb").error().code, ErrorCode::kUsage);
}

}  // namespace
}  // namespace docrunch::config
