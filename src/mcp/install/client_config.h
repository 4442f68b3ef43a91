// `docrunch mcp install`: this repository's Docrunch server in an MCP
// client's own configuration file, added or updated without disturbing the
// other entries, idempotently (a second run changes no byte).
//
//   claude  <project>/.mcp.json             {"mcpServers": {NAME: {...}}}  (project scope)
//   gemini  <project>/.gemini/settings.json {"mcpServers": {NAME: {...}}}  (project settings)
//   codex   $CODEX_HOME/config.toml, default ~/.codex/config.toml  [mcp_servers.NAME]
//
// The entry runs `<docrunch> --config <project>/.docrunch/config.yaml serve
// --stdio` with absolute paths, so it works whatever directory the client
// starts it in; or, with `--url`, points the client at a hosted server's
// Streamable HTTP endpoint with the agent token read from an environment
// variable (the token itself is never written):
//
//   claude  {"type": "http", "url": URL, "headers": {"Authorization": "Bearer ${VAR}"}}
//   gemini  {"httpUrl": URL, "headers": {"Authorization": "Bearer ${VAR}"}}
//   codex   url = URL, bearer_token_env_var = "VAR"
//
// Switching an entry between the two kinds removes the other kind's keys. In JSON files, keys of
// our entry that we do not set (env, timeout, trust, ...) are kept; so are the other entries and
// top-level keys and their order. Files are replaced atomically, keeping their permissions.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/result.h"

namespace docrunch::mcp::install {

enum class Client { kClaude, kGemini, kCodex };

// "claude" | "gemini" | "codex"; INVALID_PARAMS otherwise.
Result<Client> ParseClient(const std::string& name);

// A server name usable as a JSON key and a bare TOML key: 1-64 of
// [A-Za-z0-9_-]. INVALID_PARAMS naming `--name` otherwise.
Result<void> ValidateServerName(const std::string& name);

struct ServerEntry {
  std::string name = "docrunch";
  std::string command;  // absolute path of the docrunch binary
  std::vector<std::string> args;
  // A remote server instead (command and args empty): its /mcp URL and the
  // environment variable holding the agent token.
  std::string url;
  std::string token_env;
};

// The entry for the project whose config file is `config_file`.
ServerEntry DocrunchEntry(const std::string& name, const std::filesystem::path& binary,
                          const std::filesystem::path& config_file);

// The entry for a hosted server at `url` (https://, or http:// to a
// loopback host), with the agent token in the environment variable
// `token_env` ([A-Z_][A-Z0-9_]*). INVALID_PARAMS naming --url or
// --token-env otherwise.
Result<ServerEntry> RemoteEntry(const std::string& name, const std::string& url,
                                const std::string& token_env);

// Where `client` keeps its MCP servers for the project at `project_root`.
// `env` supplies CODEX_HOME and HOME; INVALID_PARAMS when codex needs a home
// folder and neither is set.
Result<std::filesystem::path> ConfigPath(Client client, const std::filesystem::path& project_root,
                                         const std::map<std::string, std::string>& env);

// The new text of a client config file that held `text` ("" when the file
// does not exist). Returns `text` itself when the entry is already there.
// CONFIG_INVALID naming `file_label` for a file that cannot be edited
// safely (not JSON, JSON with comments, mcpServers not an object, TOML the
// scanner refuses).
Result<std::string> UpsertServer(Client client, const std::string& text, const ServerEntry& entry,
                                 const std::string& file_label);

struct InstallOutcome {
  std::filesystem::path file;
  enum class Change { kAdded, kUpdated, kUnchanged } change = Change::kUnchanged;
  std::string content;  // the file's text after (or, with dry_run, that would be after)
};

// Reads `file`, upserts the entry and, unless `dry_run` or nothing changes,
// writes it back atomically (creating its folder). On any error the file is
// untouched.
Result<InstallOutcome> InstallServer(Client client, const std::filesystem::path& file,
                                     const ServerEntry& entry, bool dry_run);

}  // namespace docrunch::mcp::install
