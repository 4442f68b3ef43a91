// `docrunch mcp install` editing real client config files in a temporary
// folder: other entries survive byte for byte, a second run changes nothing,
// a changed entry is updated, and a file we cannot safely edit is refused
// and left untouched.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "mcp/install/client_config.h"
#include "mcp/install/toml_edit.h"
#include "support/temp_dir.h"

namespace docrunch::mcp::install {
namespace {

using docrunch::testing::ReadFile;
using docrunch::testing::TempDir;
using ::testing::HasSubstr;
using Change = InstallOutcome::Change;

ServerEntry Entry(const std::string& repo = "/work/repo") {
  return DocrunchEntry("docrunch", "/opt/bin/docrunch", repo + "/.docrunch/config.yaml");
}

TEST(McpInstall, EntryRunsServeStdioWithTheProjectsConfig) {
  ServerEntry e = Entry();
  EXPECT_EQ(e.command, "/opt/bin/docrunch");
  EXPECT_EQ(e.args, (std::vector<std::string>{"--config", "/work/repo/.docrunch/config.yaml",
                                              "serve", "--stdio"}));
}

TEST(McpInstall, ConfigPathsPerClient) {
  std::map<std::string, std::string> env{{"HOME", "/home/u"}};
  EXPECT_EQ(*ConfigPath(Client::kClaude, "/r", env), "/r/.mcp.json");
  EXPECT_EQ(*ConfigPath(Client::kGemini, "/r", env), "/r/.gemini/settings.json");
  EXPECT_EQ(*ConfigPath(Client::kCodex, "/r", env), "/home/u/.codex/config.toml");
  env["CODEX_HOME"] = "/etc/codex-home";
  EXPECT_EQ(*ConfigPath(Client::kCodex, "/r", env), "/etc/codex-home/config.toml");
  auto none = ConfigPath(Client::kCodex, "/r", {});
  ASSERT_FALSE(none);
  EXPECT_THAT(none.error().message, HasSubstr("CODEX_HOME"));
}

TEST(McpInstall, NamesAreIdentifiers) {
  EXPECT_TRUE(ValidateServerName("docrunch-shop_2"));
  for (const std::string& bad :
       std::vector<std::string>{"", "a b", "x]", "a.b", "\"q\"", "../x", std::string(65, 'a')}) {
    auto r = ValidateServerName(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidParams);
    EXPECT_THAT(r.error().message, HasSubstr("--name"));
  }
  EXPECT_FALSE(ParseClient("cursor"));
}

TEST(McpInstall, ClaudeJsonKeepsOtherEntriesAndIsIdempotent) {
  TempDir dir;
  dir.Write(".mcp.json",
            "{\n    \"mcpServers\": {\n        \"github\": {\"command\": \"gh-mcp\", \"args\": "
            "[\"--x\"], \"env\": {\"T\": \"1\"}}\n    },\n    \"zeta\": 1.5,\n    \"alpha\": "
            "[true, null]\n}\n");
  auto first = InstallServer(Client::kClaude, dir / ".mcp.json", Entry(), false);
  ASSERT_TRUE(first) << first.error().ToString();
  EXPECT_EQ(first->change, Change::kAdded);
  std::string after = dir.Read(".mcp.json");
  auto doc = nlohmann::ordered_json::parse(after);
  EXPECT_EQ(doc["mcpServers"]["github"]["env"]["T"], "1");
  EXPECT_EQ(doc["mcpServers"]["docrunch"]["type"], "stdio");
  EXPECT_EQ(doc["mcpServers"]["docrunch"]["command"], "/opt/bin/docrunch");
  EXPECT_EQ(doc["mcpServers"]["docrunch"]["args"][3], "--stdio");
  EXPECT_EQ(doc["zeta"], 1.5);
  // Key order and the file's four-space indentation survive.
  EXPECT_LT(after.find("\"zeta\""), after.find("\"alpha\""));
  EXPECT_THAT(after, HasSubstr("\n    \"mcpServers\""));

  auto second = InstallServer(Client::kClaude, dir / ".mcp.json", Entry(), false);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->change, Change::kUnchanged);
  EXPECT_EQ(dir.Read(".mcp.json"), after);
}

TEST(McpInstall, JsonUpdateKeepsKeysTheUserAddedToOurEntry) {
  TempDir dir;
  dir.Write(".gemini/settings.json",
            "{\"theme\": \"dark\", \"mcpServers\": {\"docrunch\": {\"command\": \"/old/docrunch\", "
            "\"args\": [\"serve\"], \"env\": {\"DOCRUNCH_AGENT_TOKEN\": \"$TOK\"}, \"trust\": "
            "false}}}");
  auto r = InstallServer(Client::kGemini, dir / ".gemini/settings.json", Entry(), false);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->change, Change::kUpdated);
  auto doc = nlohmann::json::parse(dir.Read(".gemini/settings.json"));
  EXPECT_EQ(doc["theme"], "dark");
  const auto& ours = doc["mcpServers"]["docrunch"];
  EXPECT_EQ(ours["command"], "/opt/bin/docrunch");
  EXPECT_EQ(ours["env"]["DOCRUNCH_AGENT_TOKEN"], "$TOK");
  EXPECT_EQ(ours["trust"], false);
  EXPECT_FALSE(ours.contains("type")) << "gemini entries have no type key";
  std::string after = dir.Read(".gemini/settings.json");
  ASSERT_TRUE(InstallServer(Client::kGemini, dir / ".gemini/settings.json", Entry(), false));
  EXPECT_EQ(dir.Read(".gemini/settings.json"), after);
}

ServerEntry Remote() {
  auto e = RemoteEntry("docrunch", "https://docrunch.example.com/mcp", "DOCRUNCH_AGENT_TOKEN");
  EXPECT_TRUE(e) << e.error().ToString();
  return *e;
}

TEST(McpInstall, RemoteEntriesPointAtTheUrlWithTheTokenFromTheEnvironment) {
  TempDir dir;
  // A stdio entry of ours becomes a remote one: command and args go, the
  // user's own keys stay.
  dir.Write(".mcp.json",
            "{\"mcpServers\": {\"docrunch\": {\"type\": \"stdio\", \"command\": \"/old\", "
            "\"args\": [], \"timeout\": 30}}}\n");
  auto r = InstallServer(Client::kClaude, dir / ".mcp.json", Remote(), false);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->change, Change::kUpdated);
  auto doc = nlohmann::json::parse(dir.Read(".mcp.json"));
  EXPECT_EQ(doc["mcpServers"]["docrunch"],
            nlohmann::json::parse(R"({"type": "http", "url": "https://docrunch.example.com/mcp",
              "headers": {"Authorization": "Bearer ${DOCRUNCH_AGENT_TOKEN}"}, "timeout": 30})"));
  std::string after = dir.Read(".mcp.json");
  EXPECT_EQ(InstallServer(Client::kClaude, dir / ".mcp.json", Remote(), false)->change,
            Change::kUnchanged);
  EXPECT_EQ(dir.Read(".mcp.json"), after);
  // And back to stdio.
  ASSERT_TRUE(InstallServer(Client::kClaude, dir / ".mcp.json", Entry(), false));
  doc = nlohmann::json::parse(dir.Read(".mcp.json"));
  EXPECT_FALSE(doc["mcpServers"]["docrunch"].contains("url"));
  EXPECT_FALSE(doc["mcpServers"]["docrunch"].contains("headers"));
  EXPECT_EQ(doc["mcpServers"]["docrunch"]["type"], "stdio");

  ASSERT_TRUE(InstallServer(Client::kGemini, dir / ".gemini/settings.json", Remote(), false));
  doc = nlohmann::json::parse(dir.Read(".gemini/settings.json"));
  EXPECT_EQ(doc["mcpServers"]["docrunch"],
            nlohmann::json::parse(R"({"httpUrl": "https://docrunch.example.com/mcp",
              "headers": {"Authorization": "Bearer ${DOCRUNCH_AGENT_TOKEN}"}})"));

  dir.Write("codex/config.toml",
            "[mcp_servers.docrunch]\ncommand = \"/old\"\nargs = []\nstartup_timeout_sec = 20\n");
  ASSERT_TRUE(InstallServer(Client::kCodex, dir / "codex/config.toml", Remote(), false));
  EXPECT_EQ(dir.Read("codex/config.toml"),
            "[mcp_servers.docrunch]\nurl = \"https://docrunch.example.com/mcp\"\n"
            "bearer_token_env_var = \"DOCRUNCH_AGENT_TOKEN\"\nstartup_timeout_sec = 20\n");
}

TEST(McpInstall, RemoteUrlAndTokenVariableAreChecked) {
  EXPECT_TRUE(RemoteEntry("docrunch", "http://127.0.0.1:3334/mcp", "TOK"));
  EXPECT_TRUE(RemoteEntry("docrunch", "http://localhost/mcp", "_T1"));
  for (const std::string& bad :
       {std::string("docrunch.example.com/mcp"), std::string("http://docrunch.example.com/mcp"),
        std::string("ftp://x/mcp"), std::string("https://"), std::string("https://a b/mcp"),
        std::string("https://x/\"mcp"), std::string("")}) {
    auto r = RemoteEntry("docrunch", bad, "DOCRUNCH_AGENT_TOKEN");
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidParams);
    EXPECT_THAT(r.error().message, HasSubstr("--url"));
  }
  for (const std::string& bad : {std::string(""), std::string("lower"), std::string("1ABC"),
                                 std::string("A-B"), std::string("A}B")}) {
    auto r = RemoteEntry("docrunch", "https://x/mcp", bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_THAT(r.error().message, HasSubstr("--token-env"));
  }
}

TEST(McpInstall, MissingFileAndFolderAreCreated) {
  TempDir dir;
  auto r = InstallServer(Client::kGemini, dir / ".gemini/settings.json", Entry(), false);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->change, Change::kAdded);
  auto doc = nlohmann::json::parse(dir.Read(".gemini/settings.json"));
  EXPECT_EQ(doc["mcpServers"]["docrunch"]["args"][1], "/work/repo/.docrunch/config.yaml");
}

TEST(McpInstall, DryRunWritesNothing) {
  TempDir dir;
  dir.Write(".mcp.json", "{\"mcpServers\": {}}\n");
  auto r = InstallServer(Client::kClaude, dir / ".mcp.json", Entry(), true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->change, Change::kAdded);
  EXPECT_THAT(r->content, HasSubstr("/opt/bin/docrunch"));
  EXPECT_EQ(dir.Read(".mcp.json"), "{\"mcpServers\": {}}\n");
  EXPECT_FALSE(
      InstallServer(Client::kCodex, dir / "codex/config.toml", Entry(), true)->content.empty());
  EXPECT_FALSE(std::filesystem::exists(dir / "codex"));
}

TEST(McpInstall, MalformedJsonIsRefusedAndLeftUntouched) {
  TempDir dir;
  const std::vector<std::pair<std::string, std::string>> cases{
      {"{\"mcpServers\": {\"a\": 1,}", "not valid JSON"},
      {"// my servers\n{\"mcpServers\": {}}", "comments"},
      {"[1, 2]", "top level"},
      {"{\"mcpServers\": []}", "mcpServers: expected an object"},
      {"{\"mcpServers\": {\"docrunch\": \"x\"}}", "mcpServers.docrunch"},
      // What a rewrite would lose: the first of two equal keys, a number's digits.
      {"{\"mcpServers\": {\"a\": {}}, \"mcpServers\": {\"b\": {}}}", "'mcpServers' twice"},
      {"{\"mcpServers\": {}, \"id\": 12345678901234567890123}", "too large"}};
  for (const auto& [text, why] : cases) {
    dir.Write(".mcp.json", text);
    auto r = InstallServer(Client::kClaude, dir / ".mcp.json", Entry(), false);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code, ErrorCode::kConfigInvalid);
    EXPECT_THAT(r.error().message, HasSubstr(why)) << text;
    EXPECT_THAT(r.error().message, HasSubstr(".mcp.json"));
    EXPECT_EQ(dir.Read(".mcp.json"), text);
  }
}

const char* kCodexConfig =
    "# Codex settings\n"
    "model = \"o3\"  # fast\n"
    "\n"
    "[mcp_servers.github]\n"
    "command = \"gh-mcp\"\n"
    "args = [\n"
    "  \"--flag\",  # a comment inside an array\n"
    "  \"[not.a.header]\",\n"
    "]\n"
    "env = { TOKEN = \"x\", \"quoted key\" = 'lit' }\n"
    "note = \"\"\"\n"
    "[mcp_servers.docrunch]\n"
    "this line is inside a string\"\"\"\n"
    "\n"
    "[profiles.fast]\n"
    "model = 'o4-mini'\n";

TEST(McpInstall, CodexTomlAppendsOurTableAndKeepsEverythingElse) {
  TempDir dir;
  dir.Write("codex/config.toml", kCodexConfig);
  chmod((dir / "codex/config.toml").c_str(), 0600);
  auto r = InstallServer(Client::kCodex, dir / "codex/config.toml", Entry(), false);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->change, Change::kAdded);
  std::string after = dir.Read("codex/config.toml");
  EXPECT_EQ(after, std::string(kCodexConfig) +
                       "\n[mcp_servers.docrunch]\n"
                       "command = \"/opt/bin/docrunch\"\n"
                       "args = [\"--config\", \"/work/repo/.docrunch/config.yaml\", \"serve\", "
                       "\"--stdio\"]\n");
  struct stat st {};
  ASSERT_EQ(stat((dir / "codex/config.toml").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "a config that may hold secrets keeps its permissions";

  auto again = InstallServer(Client::kCodex, dir / "codex/config.toml", Entry(), false);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->change, Change::kUnchanged);
  EXPECT_EQ(dir.Read("codex/config.toml"), after);
}

TEST(McpInstall, CodexTomlUpdatesOnlyOurCommandAndArgs) {
  const std::string before =
      "[mcp_servers.docrunch]\n"
      "startup_timeout_sec = 20\n"
      "command = '/old/docrunch'   # was here\n"
      "args = [\"serve\",\n"
      "        \"--stdio\"]\n"
      "\n"
      "[mcp_servers.docrunch.env]\n"
      "DOCRUNCH_AGENT_TOKEN = \"drt_x\"\n"
      "[mcp_servers.other]\n"
      "command = \"other\"\n"
      "args = []\n";
  auto after = UpsertServer(Client::kCodex, before, Entry("/new/repo"), "config.toml");
  ASSERT_TRUE(after) << after.error().ToString();
  EXPECT_EQ(*after,
            "[mcp_servers.docrunch]\n"
            "command = \"/opt/bin/docrunch\"\n"
            "args = [\"--config\", \"/new/repo/.docrunch/config.yaml\", \"serve\", \"--stdio\"]\n"
            "startup_timeout_sec = 20\n"
            "\n"
            "[mcp_servers.docrunch.env]\n"
            "DOCRUNCH_AGENT_TOKEN = \"drt_x\"\n"
            "[mcp_servers.other]\n"
            "command = \"other\"\n"
            "args = []\n");
  EXPECT_EQ(*UpsertServer(Client::kCodex, *after, Entry("/new/repo"), "config.toml"), *after);
}

TEST(McpInstall, CodexTomlWithoutTrailingNewlineOrWithCrlf) {
  auto a = UpsertServer(Client::kCodex, "model = \"o3\"", Entry(), "c.toml");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->substr(0, 15), "model = \"o3\"\n\n[");
  auto b = UpsertServer(Client::kCodex, "[mcp_servers.docrunch]", Entry(), "c.toml");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->substr(0, 32), "[mcp_servers.docrunch]\ncommand =");
  auto c = UpsertServer(Client::kCodex, "x = 1\r\n", Entry(), "c.toml");
  ASSERT_TRUE(c);
  EXPECT_THAT(*c, HasSubstr("\r\n[mcp_servers.docrunch]\r\ncommand = "));
  EXPECT_EQ(*UpsertServer(Client::kCodex, *c, Entry(), "c.toml"), *c);
}

TEST(McpInstall, TomlStringsAreEscaped) {
  EXPECT_EQ(TomlString("a\"b\\c\nd\x01"), "\"a\\\"b\\\\c\\nd\\u0001\"");
}

TEST(McpInstall, MalformedOrUneditableTomlIsRefusedAndLeftUntouched) {
  TempDir dir;
  const std::vector<std::pair<std::string, std::string>> cases{
      {"model = \"unterminated\n", ":1: line break inside a string"},
      {"[mcp_servers.x]\nargs = [\"a\",\n", ":2: unterminated array"},
      {"just some words\n", ":1: expected '='"},
      {"[mcp_servers.x\n", ":1: expected ']'"},
      {"note = \"\"\"never closed\n", ":1: unterminated multi-line string"},
      {"a = x y\n", ":1: unexpected 'y'"},
      {"mcp_servers = { docrunch = { command = \"x\" } }\n", "inline table"},
      {"[mcp_servers]\ndocrunch.command = \"x\"\n", ":2: mcp_servers.docrunch is defined"},
      {"[mcp_servers.docrunch]\n[mcp_servers.docrunch]\n",
       ":2: [mcp_servers.docrunch] appears twice"},
      {"[[mcp_servers]]\nname = 1\n", "array of tables"}};
  for (const auto& [text, why] : cases) {
    dir.Write("config.toml", text);
    auto r = InstallServer(Client::kCodex, dir / "config.toml", Entry(), false);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code, ErrorCode::kConfigInvalid) << text;
    EXPECT_THAT(r.error().message, HasSubstr(why)) << text;
    EXPECT_EQ(dir.Read("config.toml"), text);
  }
}

TEST(McpInstall, SymlinkedConfigStaysASymlink) {
  TempDir dir;
  dir.Write("dotfiles/settings.json", "{}\n");
  std::filesystem::create_directories(dir / ".gemini");
  std::filesystem::create_symlink(dir / "dotfiles/settings.json", dir / ".gemini/settings.json");
  ASSERT_TRUE(InstallServer(Client::kGemini, dir / ".gemini/settings.json", Entry(), false));
  EXPECT_TRUE(std::filesystem::is_symlink(dir / ".gemini/settings.json"));
  EXPECT_THAT(dir.Read("dotfiles/settings.json"), HasSubstr("/opt/bin/docrunch"));
}

}  // namespace
}  // namespace docrunch::mcp::install
