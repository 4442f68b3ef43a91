#include <filesystem>

#include <nlohmann/json.hpp>

#include "app_test_util.h"

namespace docrunch::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const std::vector<std::string> kFiles{"config.yaml", "task_templates.yaml", "review_rules.yaml",
                                      "ignore.yaml", "cli_models.json"};

class InitCommand : public ProjectTest {};

TEST_F(InitCommand, WritesEveryFileAndAValidConfig) {
  ProcessResult r = Docrunch({"init"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& name : kFiles) {
    EXPECT_TRUE(fs::is_regular_file(dir_ / (".docrunch/" + name))) << name;
  }
  EXPECT_TRUE(fs::is_regular_file(dir_ / ".docrunch/docrunch.db"));
  EXPECT_THAT(ConfigText(), HasSubstr("# Docrunch configuration"));
  EXPECT_THAT(ConfigText(), HasSubstr("name: \"" + dir_.path().filename().string() + "\""));
  ProcessResult v = Docrunch({"config", "validate"});
  EXPECT_EQ(v.exit_code, 0) << v.err;

  auto models = nlohmann::json::parse(dir_.Read(".docrunch/cli_models.json"));
  for (const char* cli : {"gemini", "claude", "codex"}) {
    ASSERT_TRUE(models.contains(cli)) << cli;
    EXPECT_FALSE(models[cli]["models"].empty());
    EXPECT_TRUE(models[cli]["models"][0].contains("id"));
  }
  std::string templates = dir_.Read(".docrunch/task_templates.yaml");
  for (const char* type : {"bug_fix:", "feature:", "refactor:", "docs:", "test:", "security:"}) {
    EXPECT_THAT(templates, HasSubstr(type));
  }
}

TEST_F(InitCommand, EveryTemplateValidates) {
  for (const char* kind : {"minimal", "standard", "full"}) {
    ProcessResult r = Docrunch({"init", "--force", "--template", kind});
    ASSERT_EQ(r.exit_code, 0) << kind << r.err;
    ProcessResult v = Docrunch({"config", "validate"});
    EXPECT_EQ(v.exit_code, 0) << kind << v.err;
  }
  EXPECT_THAT(ConfigText(), HasSubstr("rollback:"));  // full has every section
  ProcessResult bad = Docrunch({"init", "--force", "--template", "huge"});
  EXPECT_EQ(bad.exit_code, 2);
}

// Switching to hosted is one step: the template writes PostgreSQL, Redis,
// MCP over HTTP and REST with auth, security.mode hosted, and names every
// secret's variable; no literal secret and no SQLite file.
TEST_F(InitCommand, HostedTemplateWritesAHostedConfiguration) {
  ProcessResult r = Docrunch({"init", "--template", "hosted"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("docrunch doctor --hosted"));
  EXPECT_FALSE(fs::exists(dir_ / ".docrunch/docrunch.db"));
  const std::string text = ConfigText();
  for (const char* line : {"backend: postgres", "postgres_url_env: DOCRUNCH_POSTGRES_URL",
                           "backend: redis", "redis_url_env: DOCRUNCH_REDIS_URL", "transport: http",
                           "jwt_secret_env: DOCRUNCH_JWT_SECRET", "mode: hosted",
                           "kms_key_env: DOCRUNCH_KMS_KEY", "host: 127.0.0.1"}) {
    EXPECT_THAT(text, HasSubstr(line));
  }
  // Invalid until the variables are set, each named.
  ProcessResult missing = Docrunch({"config", "validate"});
  EXPECT_EQ(missing.exit_code, 2);
  for (const char* var :
       {"DOCRUNCH_POSTGRES_URL", "DOCRUNCH_REDIS_URL", "DOCRUNCH_JWT_SECRET", "DOCRUNCH_KMS_KEY"}) {
    EXPECT_THAT(missing.err, HasSubstr(var));
  }
  const std::map<std::string, std::string> env{
      {"DOCRUNCH_POSTGRES_URL", "postgresql://docrunch:pw@127.0.0.1:5432/docrunch"},
      {"DOCRUNCH_REDIS_URL", "redis://127.0.0.1:6379/0"},
      {"DOCRUNCH_JWT_SECRET", "a-jwt-secret-of-at-least-thirty-two-characters"},
      {"DOCRUNCH_KMS_KEY", std::string(64, 'b')}};
  ProcessResult valid = Docrunch({"config", "validate"}, env);
  EXPECT_EQ(valid.exit_code, 0) << valid.err;
  nlohmann::json shown = nlohmann::json::parse(Docrunch({"config", "show", "--json"}, env).out);
  EXPECT_EQ(shown["security"]["mode"], "hosted");
  EXPECT_EQ(shown["server"]["mcp"]["auth"]["enabled"], true);
  EXPECT_EQ(shown["server"]["http"]["auth"]["enabled"], true);
}

TEST_F(InitCommand, RefusesToOverwriteWithoutForce) {
  Init();
  dir_.Write(".docrunch/config.yaml", "project: {name: mine}\n");
  ProcessResult r = Docrunch({"init"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("already exists; use --force"));
  EXPECT_EQ(ConfigText(), "project: {name: mine}\n");
  r = Docrunch({"init", "--force"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(ConfigText(), HasSubstr("# Docrunch configuration"));
}

TEST_F(InitCommand, InitialisesAnotherFolder) {
  fs::create_directories(dir_ / "sub" / "proj");
  ProcessResult r = Docrunch({"init", "sub/proj", "--template", "minimal"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::is_regular_file(dir_ / "sub/proj/.docrunch/config.yaml"));
  EXPECT_EQ(Docrunch({"init", "does/not/exist"}).exit_code, 2);
  // A folder whose name is not UTF-8 still gets a valid configuration.
  fs::create_directories(dir_ / "caf\xe9");
  ASSERT_EQ(Docrunch({"init", "caf\xe9"}).exit_code, 0);
  EXPECT_THAT(dir_.Read("caf\xe9/.docrunch/config.yaml"), HasSubstr("name: \"caf?\""));
  EXPECT_EQ(Docrunch({"--config", (dir_ / "caf\xe9/.docrunch/config.yaml").string(), "config",
                      "show", "--json"})
                .exit_code,
            0);
}

// What would stop init half way is found before any file is written: a
// target that is a folder, a database that cannot be opened.
TEST_F(InitCommand, NothingIsWrittenWhenInitCannotFinish) {
  Init({"--template", "minimal"});
  dir_.Write(".docrunch/config.yaml", "project: {name: mine}\n");
  fs::remove(dir_ / ".docrunch/review_rules.yaml");
  fs::create_directories(dir_ / ".docrunch/review_rules.yaml");
  ProcessResult r = Docrunch({"init", "--force", "--template", "full"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("review_rules.yaml is not a regular file"));
  EXPECT_EQ(ConfigText(), "project: {name: mine}\n");

  dir_.Write("other/.docrunch/docrunch.db", "garbage, not a database\n");
  r = Docrunch({"init", "other"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_FALSE(fs::exists(dir_ / "other/.docrunch/config.yaml"));
}

TEST_F(InitCommand, ReadOnlyFolderFailsCleanly) {
  fs::permissions(dir_.path(),
                  fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                  fs::perm_options::remove);
  ProcessResult r = Docrunch({"init"}, {}, /*unprivileged=*/true);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("IO_ERROR"));
  EXPECT_FALSE(fs::exists(dir_ / ".docrunch"));
}

TEST_F(InitCommand, ReadOnlyDocrunchFolderLeavesFilesWhole) {
  Init();
  std::string before = ConfigText();
  fs::permissions(dir_ / ".docrunch",
                  fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                  fs::perm_options::remove);
  ProcessResult r = Docrunch({"init", "--force", "--template", "full"}, {}, true);
  EXPECT_EQ(r.exit_code, 1);
  // The database is opened first, and this one cannot be written.
  EXPECT_THAT(r.err, HasSubstr("STORAGE_READ_ONLY"));
  EXPECT_EQ(ConfigText(), before);
  for (const auto& entry : fs::directory_iterator(dir_ / ".docrunch")) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos)
        << "temporary file left: " << entry.path();
  }
}

}  // namespace
}  // namespace docrunch::testing
