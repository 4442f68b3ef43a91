// Editing one `[mcp_servers.NAME]` table of a TOML file (Codex's
// config.toml) as text, so that everything else stays byte for byte.
//
// Debian ships no TOML library for C++, and a parse-and-rewrite would lose
// the user's comments and layout anyway. Instead a small scanner splits the
// file into table headers and key/value statements (it knows strings of all
// four kinds, multi-line arrays and inline tables, and comments), and only
// our own table's `command` and `args` statements are rewritten. Anything the
// scanner cannot follow is refused, and then nothing is written.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"

namespace docrunch::mcp::install {

// What the table should say: command = "...", args = [...]; or, for a
// remote server (url set), url = "..." and bearer_token_env_var = "...".
struct TomlServer {
  std::string name;  // a bare TOML key: letters, digits, '_' and '-'
  std::string command;
  std::vector<std::string> args;
  std::string url;
  std::string bearer_token_env;
};

// `text` with `[mcp_servers.<name>]` added (at the end) or updated (its
// `command`, `args`, `url` and `bearer_token_env_var` statements replaced
// in place; other keys and
// sub-tables such as `[mcp_servers.<name>.env]` kept). Returns `text`
// unchanged when the table already says exactly this.
//
// CONFIG_INVALID, naming `file_label` and the line, when the text is not
// TOML the scanner can follow (an unterminated string or array, a line that
// is neither a header nor `key = value`), or when the server is defined in a
// way only a rewrite could change (an inline table, dotted keys from a
// parent table, the header twice). `*had_table`, when given, tells whether
// the table was there before.
Result<std::string> UpsertTomlServer(const std::string& text, const TomlServer& server,
                                     const std::string& file_label, bool* had_table = nullptr);

// A TOML basic string: "..." with the required escapes.
std::string TomlString(const std::string& value);

}  // namespace docrunch::mcp::install
