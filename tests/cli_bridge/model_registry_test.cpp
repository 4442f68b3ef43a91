// cli_models.json validation: what `init` writes is valid, and every
// problem is reported at its file:line:column with the key path.
#include "cli_bridge/model_registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/templates.h"
#include "support/temp_dir.h"

namespace docrunch::cli_bridge {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> Problems(const std::string& text) {
  ModelRegistry registry;
  std::vector<std::string> out;
  for (const auto& issue : ValidateModelRegistry("cli_models.json", text, registry)) {
    out.push_back(issue.ToString());
  }
  return out;
}

TEST(ModelRegistry, TheFileInitWritesIsValid) {
  for (const auto& file : config::InitFiles(config::InitTemplate::kStandard, "p")) {
    if (file.name != "cli_models.json") continue;
    ModelRegistry registry;
    EXPECT_TRUE(ValidateModelRegistry(file.name, file.content, registry).empty());
    EXPECT_TRUE(registry.Has("gemini", "gemini-2.5-pro"));
    EXPECT_TRUE(registry.Has("claude", "claude-sonnet-4-5"));
    EXPECT_TRUE(registry.Has("codex", "gpt-5-codex"));
    EXPECT_FALSE(registry.Has("codex", "gemini-2.5-pro"));
    EXPECT_FALSE(registry.Has("cursor", "gpt-5-codex"));
    return;
  }
  FAIL() << "init writes no cli_models.json";
}

TEST(ModelRegistry, NameDefaultsToTheIdAndTypesAreOptional) {
  ModelRegistry registry;
  auto issues = ValidateModelRegistry(
      "f", R"({"claude": {"models": [{"id": "claude-opus-4-1@2025"}]}})", registry);
  ASSERT_TRUE(issues.empty());
  ASSERT_NE(registry.Find("claude"), nullptr);
  EXPECT_EQ(registry.Find("claude")->models[0].name, "claude-opus-4-1@2025");
  EXPECT_EQ(registry.Find("gemini"), nullptr);
}

TEST(ModelRegistry, InvalidJsonIsLocated) {
  EXPECT_THAT(Problems("{\n  \"gemini\": {\n    \"models\": [,]\n  }\n}"),
              ElementsAre(HasSubstr("cli_models.json:3:16: invalid JSON: syntax error")));
  EXPECT_THAT(Problems(""), ElementsAre(HasSubstr("invalid JSON")));
  EXPECT_THAT(Problems(std::string(100, '[') + std::string(100, ']')),
              ElementsAre(HasSubstr("nested more than 16 levels")));
}

TEST(ModelRegistry, ProblemsNameFileLineColumnAndKey) {
  const std::string text = R"({
  "gemeni": {"models": [{"id": "x"}]},
  "claude": {
    "description": "Claude Code",
    "models": [
      {"id": "claude-sonnet-4-5", "nmae": "Sonnet"},
      {"name": "no id"},
      {"id": "-rf"},
      {"id": "a b;rm"},
      {"id": "claude-sonnet-4-5"},
      {"id": 5},
      "text"
    ]
  },
  "codex": {"models": []}
})";
  EXPECT_THAT(
      Problems(text),
      ElementsAre(
          "cli_models.json:2:13: gemeni: unknown CLI type; did you mean 'gemini'?",
          "cli_models.json:6:43: claude.models[0].nmae: unknown model key; did you mean 'name'?",
          "cli_models.json:7:7: claude.models[1]: id is required",
          "cli_models.json:8:14: claude.models[2].id: must be 1-128 letters, digits and . _ - : "
          "/ @ +, not starting with '-', got \"-rf\"",
          HasSubstr("cli_models.json:9:14: claude.models[3].id: must be 1-128"),
          "cli_models.json:10:14: claude.models[4].id: duplicate model id \"claude-sonnet-4-5\" "
          "for claude",
          "cli_models.json:11:14: claude.models[5].id: must be a string, got number",
          HasSubstr("cli_models.json:12:7: claude.models[6]: must be an object"),
          "cli_models.json:15:23: codex.models: must be a non-empty list of {id, name, "
          "description}"));
}

TEST(ModelRegistry, ShapeProblems) {
  EXPECT_THAT(Problems("[]"), ElementsAre(HasSubstr("cli_models.json:1:1: must be an object")));
  EXPECT_THAT(Problems(R"({"codex": {"description": 3}})"),
              ElementsAre(HasSubstr("codex.description: must be a string"),
                          HasSubstr("codex: models is required")));
  // The seed's older shape (a bare list per type) is refused with a pointer.
  EXPECT_THAT(Problems("{\n\"gemini\": [{\"id\": \"g\"}]}"),
              ElementsAre(HasSubstr("cli_models.json:2:11: gemini: must be an object")));
  EXPECT_THAT(Problems(R"({"codex": {"models": [{"id": "m"}], "extra": 1}})"),
              ElementsAre(HasSubstr("codex.extra: unknown key; expected one of description, "
                                    "models")));
}

TEST(ModelRegistry, ModelIds) {
  EXPECT_TRUE(IsValidModelId("gemini-2.5-pro"));
  EXPECT_TRUE(IsValidModelId("openai/gpt-5:high@v1+x_y"));
  EXPECT_FALSE(IsValidModelId(""));
  EXPECT_FALSE(IsValidModelId("-p"));
  EXPECT_FALSE(IsValidModelId("a;b"));
  EXPECT_FALSE(IsValidModelId("$(id)"));
  EXPECT_FALSE(IsValidModelId("a b"));
  EXPECT_FALSE(IsValidModelId(std::string(129, 'a')));
}

TEST(ModelRegistry, LoadNamesTheFile) {
  testing::TempDir dir;
  auto missing = LoadModelRegistry(dir / "nope.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kConfigNotFound);
  dir.Write("m.json", "{\"gemini\": {\"models\": [{\"id\": \"a b\"}]}}");
  auto bad = LoadModelRegistry(dir / "m.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kConfigInvalid);
  EXPECT_THAT(bad.error().message,
              HasSubstr((dir / "m.json").string() + ":1:31: gemini.models[0].id"));
  dir.Write("ok.json", "{\"gemini\": {\"models\": [{\"id\": \"g\"}]}}");
  auto ok = LoadModelRegistry(dir / "ok.json");
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->Has("gemini", "g"));
}

}  // namespace
}  // namespace docrunch::cli_bridge
