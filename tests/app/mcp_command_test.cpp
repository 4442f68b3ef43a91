// `docrunch mcp install` through the real binary: the entry it writes
// really starts this project's MCP server from any working directory, a
// second run changes nothing, and bad input changes no file.
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/app_test_util.h"

namespace docrunch::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class McpInstallCommand : public ProjectTest {
 protected:
  void SetUp() override { Init(); }
};

TEST_F(McpInstallCommand, ClaudeEntryStartsThisProjectsServerFromAnywhere) {
  ProcessResult r = Docrunch({"mcp", "install", "claude"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("added: docrunch in " + (dir_ / ".mcp.json").string()));
  json entry = json::parse(dir_.Read(".mcp.json"))["mcpServers"]["docrunch"];
  EXPECT_EQ(entry["type"], "stdio");
  std::vector<std::string> argv{entry["command"].get<std::string>()};
  for (const auto& a : entry["args"]) argv.push_back(a.get<std::string>());
  EXPECT_EQ(argv[2], (dir_ / ".docrunch/config.yaml").string());

  // What Claude Code would do: start the entry elsewhere and initialize.
  ProcessOptions options;
  options.cwd = "/";
  options.unset_env = {"DOCRUNCH_CONFIG", "DOCRUNCH_AGENT_TOKEN"};
  options.stdin_data =
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18",)"
      R"("capabilities":{},"clientInfo":{"name":"t","version":"1"}}})"
      "\n";
  ProcessResult served = testing::Run(argv, options);
  EXPECT_EQ(served.exit_code, 0) << served.err;
  json reply = json::parse(served.out);
  EXPECT_EQ(reply["result"]["serverInfo"]["name"], "docrunch") << served.out;

  std::string before = dir_.Read(".mcp.json");
  r = Docrunch({"mcp", "install", "claude"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("unchanged"));
  EXPECT_EQ(dir_.Read(".mcp.json"), before);
}

// The stdio server refuses a message nested deeper than it can handle (one
// nested 70,000 deep, 140 KB, crashed it) and goes on answering.
TEST_F(McpInstallCommand, StdioServerSurvivesADeeplyNestedMessage) {
  ProcessOptions options;
  options.cwd = dir_.path();
  options.unset_env = {"DOCRUNCH_CONFIG", "DOCRUNCH_AGENT_TOKEN"};
  options.stdin_data =
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18",)"
      R"("capabilities":{},"clientInfo":{"name":"t","version":"1"}}})"
      "\n"
      R"({"jsonrpc":"2.0","method":"notifications/initialized"})"
      "\n"
      R"({"jsonrpc":"2.0","id":2,"method":"ping","params":{"a":)" +
      std::string(70000, '[') + std::string(70000, ']') +
      "}}\n"
      R"({"jsonrpc":"2.0","id":3,"method":"ping"})"
      "\n";
  ProcessResult served = RunDocrunch({"serve", "--stdio"}, options);
  EXPECT_EQ(served.exit_code, 0) << served.err;
  EXPECT_EQ(served.signal, 0);
  std::map<int, json> replies;
  std::istringstream lines(served.out);
  for (std::string line; std::getline(lines, line);) {
    json reply = json::parse(line);
    if (reply.contains("id") && reply["id"].is_number()) replies[reply["id"].get<int>()] = reply;
  }
  EXPECT_TRUE(replies[3]["result"].is_object()) << served.out.substr(0, 2000);
  // The refused message's id is not read (it is not parsed): the error has none.
  EXPECT_THAT(served.out, HasSubstr("nested deeper than 64 levels"));
}

TEST_F(McpInstallCommand, CodexHonorsCodexHomeAndGeminiUsesProjectSettings) {
  dir_.Write("codex-home/config.toml", "model = \"o3\"\n");
  std::map<std::string, std::string> env{{"CODEX_HOME", (dir_ / "codex-home").string()}};
  ProcessResult r = Docrunch({"mcp", "install", "codex", "--name", "shop-docs"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string toml = dir_.Read("codex-home/config.toml");
  EXPECT_THAT(toml, HasSubstr("model = \"o3\"\n\n[mcp_servers.shop-docs]\ncommand = \""));
  EXPECT_THAT(toml, HasSubstr("\"serve\", \"--stdio\"]\n"));
  r = Docrunch({"mcp", "install", "codex", "--name", "shop-docs"}, env);
  EXPECT_THAT(r.out, HasSubstr("unchanged"));
  EXPECT_EQ(dir_.Read("codex-home/config.toml"), toml);

  r = Docrunch({"mcp", "install", "gemini", "--dry-run"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("would be added"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / ".gemini"));
  ASSERT_EQ(Docrunch({"mcp", "install", "gemini"}).exit_code, 0);
  EXPECT_TRUE(json::parse(dir_.Read(".gemini/settings.json"))["mcpServers"].contains("docrunch"));
}

TEST_F(McpInstallCommand, BadNameOrClientOrFileChangesNothing) {
  ProcessResult r = Docrunch({"mcp", "install", "claude", "--name", "a]b"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--name"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / ".mcp.json"));
  r = Docrunch({"mcp", "install", "cursor"});
  EXPECT_EQ(r.exit_code, 2);
  dir_.Write(".mcp.json", "{\"mcpServers\": ");
  r = Docrunch({"mcp", "install", "claude"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("CONFIG_INVALID"));
  EXPECT_THAT(r.err, HasSubstr(".mcp.json: not valid JSON"));
  EXPECT_EQ(dir_.Read(".mcp.json"), "{\"mcpServers\": ");
}

}  // namespace
}  // namespace docrunch::testing
