#include <filesystem>

#include <nlohmann/json.hpp>

#include "app_test_util.h"

namespace docrunch::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

class ConfigCommand : public ProjectTest {};

TEST_F(ConfigCommand, ValidateReportsEveryProblemWithLocation) {
  Init();
  dir_.Write(".docrunch/config.yaml", "server:\n  mcp:\n    port: 70000\nstorage:\n  backnd: x\n");
  ProcessResult r = Docrunch({"config", "validate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("CONFIG_INVALID: 2 problems"));
  EXPECT_THAT(
      r.err, HasSubstr(".docrunch/config.yaml:3:11: server.mcp.port: must be between 1 and 65535"));
  EXPECT_THAT(r.err, HasSubstr(".docrunch/config.yaml:5:3: storage.backnd: unknown key 'backnd'"));
  EXPECT_THAT(r.err, HasSubstr("did you mean 'backend'?"));
}

TEST_F(ConfigCommand, MalformedYamlIsAConfigError) {
  Init();
  dir_.Write(".docrunch/config.yaml", "storage:\n  backend: [sqlite\n");
  ProcessResult r = Docrunch({"config", "validate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("invalid YAML"));
  EXPECT_EQ(r.signal, 0);
}

TEST_F(ConfigCommand, MissingReferencedVariableIsAnError) {
  Init();
  dir_.Write(".docrunch/config.yaml",
             "storage:\n  backend: postgres\n  postgres_url_env: MY_PG_URL\n");
  ProcessResult r = Docrunch({"config", "validate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("config.yaml:3:21: storage.postgres_url_env: environment variable "
                               "MY_PG_URL is not set"));
  EXPECT_EQ(
      Docrunch({"config", "validate"}, {{"MY_PG_URL", "postgresql://u@127.0.0.1:5/x"}}).exit_code,
      0);
}

TEST_F(ConfigCommand, ConfigFileFromFlagOrEnvironment) {
  dir_.Write("elsewhere.yaml", "server: {mcp: {port: 4444}}\n");
  ProcessResult r = Docrunch({"--config", "elsewhere.yaml", "config", "show", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["server"]["mcp"]["port"], 4444);
  r = Docrunch({"config", "show", "--json"}, {{"DOCRUNCH_CONFIG", "elsewhere.yaml"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["server"]["mcp"]["port"], 4444);
  r = Docrunch({"--config", "missing.yaml", "config", "show"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("missing.yaml does not exist"));
  r = Docrunch({"--config", ".", "config", "show"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("is a folder: name the file"));
}

TEST_F(ConfigCommand, ShowNamesOriginsAndNeverSecrets) {
  Init();
  ASSERT_EQ(Docrunch({"config", "set", "server.http.auth.enabled", "true"},
                     {{"DOCRUNCH_JWT_SECRET", std::string(40, 'z')}})
                .exit_code,
            0);
  const std::string secret = "jwt-" + std::string(40, 'q');
  const std::map<std::string, std::string> env{
      {"DOCRUNCH_JWT_SECRET", secret},
      {"DOCRUNCH_SERVER__MCP__PORT", "4100"},
      {"DOCRUNCH_STORAGE__POSTGRES_URL_ENV", "PG"},
      {"PG", "postgresql://u:pg-password@127.0.0.1:5430/db"}};
  ProcessResult text = Docrunch({"config", "show"}, env);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("server.mcp.port = 4100  (environment)"));
  EXPECT_THAT(text.out, HasSubstr("server.http.auth.enabled = true  (file)"));
  EXPECT_THAT(text.out, HasSubstr("server.http.base_path = \"/api\"  (default)"));
  EXPECT_THAT(text.out, HasSubstr("server.http.auth.jwt_secret_env = \"DOCRUNCH_JWT_SECRET\"  "
                                  "(default; variable set)"));
  ProcessResult json = Docrunch({"config", "show", "--json"}, env);
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto doc = nlohmann::json::parse(json.out);
  EXPECT_EQ(doc["server"]["mcp"]["port"], 4100);
  EXPECT_EQ(doc["storage"]["sync"]["targets"], nlohmann::json::array({"index", "markdown"}));
  for (const std::string& out : {text.out, json.out, text.err, json.err}) {
    EXPECT_THAT(out, Not(HasSubstr(secret)));
    EXPECT_THAT(out, Not(HasSubstr("pg-password")));
  }
}

TEST_F(ConfigCommand, SetValidatesBeforeWriting) {
  Init();
  ProcessResult r = Docrunch({"config", "set", "server.mcp.port", "4000"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(ConfigText(), HasSubstr("    port: 4000\n"));
  EXPECT_THAT(ConfigText(), HasSubstr("# stdio for local agents"));  // comments kept

  const std::string before = ConfigText();
  r = Docrunch({"config", "set", "server.mcp.port", "70000"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("not changed"));
  EXPECT_THAT(r.err, HasSubstr("server.mcp.port: must be between 1 and 65535"));
  EXPECT_EQ(ConfigText(), before);

  r = Docrunch({"config", "set", "server.mcp.prot", "1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("did you mean 'port'?"));
  EXPECT_EQ(ConfigText(), before);

  r = Docrunch({"config", "set", "storage.lightrag.api_key", "sk-123"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("api_key_env"));
  EXPECT_THAT(r.err, Not(HasSubstr("sk-123")));  // a refused secret is not repeated
  r = Docrunch({"config", "set", "storage.postgres_url", "postgres://u:secretpw@h/db"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, Not(HasSubstr("secretpw"))) << r.err;
  EXPECT_EQ(ConfigText(), before);

  r = Docrunch({"config", "set", "jobs.scheduler.scan_cron", "\"0 4 * * *\""});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Docrunch({"config", "validate"}).exit_code, 0);
}

// Settings only valid together change in one step: hosted mode needs MCP
// over HTTP with auth and REST auth at once, each alone is refused.
TEST_F(ConfigCommand, SetTakesSeveralPairsValidatedTogether) {
  Init();
  const std::map<std::string, std::string> env{{"DOCRUNCH_KMS_KEY", std::string(64, 'a')},
                                               {"DOCRUNCH_JWT_SECRET", "a-jwt-secret-of-at-least-thirty-two-characters"}};
  const std::string before = ConfigText();
  ProcessResult alone = Docrunch({"config", "set", "security.mode", "hosted"}, env);
  EXPECT_EQ(alone.exit_code, 2);
  EXPECT_THAT(alone.err, HasSubstr("not changed"));
  EXPECT_EQ(ConfigText(), before);

  ProcessResult r =
      Docrunch({"config", "set", "security.mode", "hosted", "server.mcp.transport", "http",
                "server.mcp.auth.enabled", "true", "server.http.auth.enabled", "true"},
               env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("set security.mode = hosted"));
  EXPECT_THAT(r.out, HasSubstr("set server.http.auth.enabled = true"));
  EXPECT_THAT(ConfigText(), HasSubstr("mode: hosted"));
  EXPECT_THAT(ConfigText(), HasSubstr("transport: http"));
  EXPECT_EQ(Docrunch({"config", "validate"}, env).exit_code, 0);

  // One bad pair refuses them all; an odd count is a usage error.
  const std::string hosted = ConfigText();
  r = Docrunch({"config", "set", "server.mcp.port", "4000", "server.http.port", "0"}, env);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("server.mcp.port, server.http.port"));
  EXPECT_EQ(ConfigText(), hosted);
  r = Docrunch({"config", "set", "server.mcp.port", "4000", "server.http.port"}, env);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("KEY VALUE pairs"));
  EXPECT_EQ(ConfigText(), hosted);
}

TEST_F(ConfigCommand, SetInAReadOnlyFolderChangesNothing) {
  Init();
  const std::string before = ConfigText();
  fs::permissions(dir_ / ".docrunch",
                  fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                  fs::perm_options::remove);
  ProcessResult r = Docrunch({"config", "set", "server.mcp.port", "4000"}, {}, true);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("IO_ERROR: cannot write"));
  EXPECT_EQ(ConfigText(), before);
}

// config set writes the file a symbolic link points to, and keeps its
// permissions.
TEST_F(ConfigCommand, SetFollowsALinkAndKeepsPermissions) {
  Init();
  fs::rename(dir_ / ".docrunch/config.yaml", dir_ / "real.yaml");
  fs::create_symlink(dir_ / "real.yaml", dir_ / ".docrunch/config.yaml");
  fs::permissions(dir_ / "real.yaml", fs::perms::owner_read | fs::perms::owner_write);
  ProcessResult r = Docrunch({"config", "set", "server.mcp.port", "4001"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::is_symlink(dir_ / ".docrunch/config.yaml"));
  EXPECT_THAT(dir_.Read("real.yaml"), HasSubstr("port: 4001"));
  EXPECT_EQ(fs::status(dir_ / "real.yaml").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
}

}  // namespace
}  // namespace docrunch::testing
