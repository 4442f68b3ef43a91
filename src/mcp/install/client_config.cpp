#include "mcp/install/client_config.h"

#include <sys/stat.h>

#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "core/files.h"
#include "mcp/install/toml_edit.h"

namespace docrunch::mcp::install {
namespace {

namespace fs = std::filesystem;
// ordered_json keeps the user's key order when we write the file back.
using Json = nlohmann::ordered_json;

struct Upserted {
  std::string text;
  bool existed = false;
};

Error Invalid(const std::string& label, const std::string& why) {
  return MakeError(ErrorCode::kConfigInvalid, label + ": " + why);
}

// The indentation the file already uses: the whitespace that starts its
// first indented line; two spaces for a new file.
std::pair<char, int> DetectIndent(const std::string& text) {
  for (std::size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', nl + 1)) {
    std::size_t i = nl + 1;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    if (i > nl + 1 && i < text.size() && text[i] != '\n' && text[i] != '\r')
      return {text[nl + 1], static_cast<int>(i - nl - 1)};
  }
  return {' ', 2};
}

Result<Json> ParseJson(const std::string& text, const std::string& label) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return Json::object();
  // What rewriting would lose without a word: the earlier of two equal keys
  // (the parser keeps the last), an integer too large for 64 bits (read as
  // a double, written back rounded).
  std::vector<std::set<std::string>> keys;
  std::string lossy;
  auto watch = [&](int, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
        keys.emplace_back();
        break;
      case Json::parse_event_t::object_end:
        if (!keys.empty()) keys.pop_back();
        break;
      case Json::parse_event_t::key:
        if (!keys.empty() && !keys.back().insert(parsed.get<std::string>()).second &&
            lossy.empty()) {
          lossy = "has the key '" + parsed.get<std::string>() + "' twice";
        }
        break;
      case Json::parse_event_t::value:
        if (parsed.is_number_float() && lossy.empty()) {
          const double v = parsed.get<double>();
          if (std::fabs(v) >= 9.2e18 && std::floor(v) == v) {
            lossy = "has a number too large to write back exactly";
          }
        }
        break;
      default:
        break;
    }
    return true;
  };
  try {
    Json doc = Json::parse(text, watch);
    if (!lossy.empty())
      return Invalid(label, lossy + ", which rewriting would lose; add the entry by hand");
    return doc;
  } catch (const Json::parse_error& e) {
    if (!Json::parse(text, nullptr, false, /*ignore_comments=*/true).is_discarded())
      return Invalid(label, "has comments, which rewriting would lose; add the entry by hand");
    return Invalid(label, std::string("not valid JSON (") + e.what() + ")");
  }
}

Result<Upserted> UpsertJson(Client client, const std::string& text, const ServerEntry& entry,
                            const std::string& label) {
  auto doc = ParseJson(text, label);
  if (!doc) return doc.error();
  if (!doc->is_object()) return Invalid(label, "expected a JSON object at the top level");
  Json& servers = (*doc)["mcpServers"];
  if (servers.is_null()) servers = Json::object();
  if (!servers.is_object()) return Invalid(label, "mcpServers: expected an object");
  bool existed = servers.contains(entry.name);
  Json& ours = servers[entry.name];
  if (existed && !ours.is_object())
    return Invalid(label, "mcpServers." + entry.name + ": expected an object");
  Json wanted = Json::object();
  // The keys of the other kind of entry (stdio vs remote), removed.
  std::vector<std::string> stale;
  if (entry.url.empty()) {
    if (client == Client::kClaude) wanted["type"] = "stdio";
    wanted["command"] = entry.command;
    wanted["args"] = entry.args;
    stale = {"url", "httpUrl", "headers"};
  } else {
    if (client == Client::kClaude) wanted["type"] = "http";
    wanted[client == Client::kClaude ? "url" : "httpUrl"] = entry.url;
    wanted["headers"] = Json{{"Authorization", "Bearer ${" + entry.token_env + "}"}};
    stale = {"command", "args", client == Client::kClaude ? "httpUrl" : "url"};
  }
  bool same = existed;
  for (const auto& [key, value] : wanted.items())
    same = same && ours.contains(key) && ours[key] == value;
  for (const auto& key : stale) same = same && !ours.contains(key);
  if (same) return Upserted{text, true};
  if (!existed) ours = Json::object();
  for (const auto& key : stale) ours.erase(key);
  for (const auto& [key, value] : wanted.items()) ours[key] = value;
  auto [indent_char, indent] = DetectIndent(text);
  std::string out = doc->dump(indent, indent_char, false, Json::error_handler_t::strict);
  bool had_text = text.find_first_not_of(" \t\r\n") != std::string::npos;
  if (!had_text || text.back() == '\n') out += '\n';
  return Upserted{out, existed};
}

Result<Upserted> UpsertToml(const std::string& text, const ServerEntry& entry,
                            const std::string& label) {
  bool existed = false;
  auto out = UpsertTomlServer(
      text, {entry.name, entry.command, entry.args, entry.url, entry.token_env}, label, &existed);
  if (!out) return out.error();
  return Upserted{*out, existed};
}

Result<Upserted> Upsert(Client client, const std::string& text, const ServerEntry& entry,
                        const std::string& label) {
  DOCRUNCH_TRY(ValidateServerName(entry.name));
  if (client == Client::kCodex) return UpsertToml(text, entry, label);
  return UpsertJson(client, text, entry, label);
}

}  // namespace

Result<Client> ParseClient(const std::string& name) {
  if (name == "claude") return Client::kClaude;
  if (name == "gemini") return Client::kGemini;
  if (name == "codex") return Client::kCodex;
  return MakeError(ErrorCode::kInvalidParams,
                   "client: expected claude, gemini or codex, got '" + name + "'");
}

Result<void> ValidateServerName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 64;
  for (char c : name)
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-');
  if (!ok) {
    return MakeError(ErrorCode::kInvalidParams,
                     "--name: expected 1-64 letters, digits, '_' or '-', got '" + name + "'");
  }
  return Ok();
}

ServerEntry DocrunchEntry(const std::string& name, const fs::path& binary,
                          const fs::path& config_file) {
  return ServerEntry{
      name,
      fs::absolute(binary).lexically_normal().string(),
      {"--config", fs::absolute(config_file).lexically_normal().string(), "serve", "--stdio"}};
}

Result<ServerEntry> RemoteEntry(const std::string& name, const std::string& url,
                                const std::string& token_env) {
  auto invalid = [](const std::string& why) { return MakeError(ErrorCode::kInvalidParams, why); };
  bool https = url.rfind("https://", 0) == 0;
  bool http = url.rfind("http://", 0) == 0;
  std::string rest = url.substr(https ? 8 : http ? 7 : 0);
  std::string host = rest.substr(0, rest.find_first_of(":/"));
  if (host.size() > 1 && host.front() == '[') host = rest.substr(0, rest.find(']') + 1);
  bool printable = !url.empty() && url.size() <= 2048;
  for (unsigned char c : url) printable = printable && c > 0x20 && c < 0x7f && c != '"';
  if (!printable || (!https && !http) || host.empty()) {
    return invalid("--url: expected https://HOST/mcp, got '" + url.substr(0, 200) + "'");
  }
  if (http && host != "localhost" && host != "127.0.0.1" && host != "[::1]") {
    return invalid(
        "--url: an agent token must not travel in clear: use https:// (http:// is "
        "only for localhost)");
  }
  bool env_ok = !token_env.empty() && token_env.size() <= 128 &&
                !std::isdigit(static_cast<unsigned char>(token_env[0]));
  for (char c : token_env)
    env_ok = env_ok && (std::isupper(static_cast<unsigned char>(c)) ||
                        std::isdigit(static_cast<unsigned char>(c)) || c == '_');
  if (!env_ok) {
    return invalid("--token-env: expected an environment variable name ([A-Z_][A-Z0-9_]*), got '" +
                   token_env.substr(0, 200) + "'");
  }
  return ServerEntry{name, "", {}, url, token_env};
}

Result<fs::path> ConfigPath(Client client, const fs::path& project_root,
                            const std::map<std::string, std::string>& env) {
  switch (client) {
    case Client::kClaude:
      return project_root / ".mcp.json";
    case Client::kGemini:
      return project_root / ".gemini" / "settings.json";
    case Client::kCodex: {
      auto home = env.find("CODEX_HOME");
      if (home != env.end() && !home->second.empty()) return fs::path(home->second) / "config.toml";
      home = env.find("HOME");
      if (home != env.end() && !home->second.empty())
        return fs::path(home->second) / ".codex" / "config.toml";
      return MakeError(ErrorCode::kInvalidParams,
                       "codex: neither CODEX_HOME nor HOME is set, so its config.toml cannot be "
                       "found");
    }
  }
  return MakeError(ErrorCode::kInternal, "unknown client");
}

Result<std::string> UpsertServer(Client client, const std::string& text, const ServerEntry& entry,
                                 const std::string& file_label) {
  auto out = Upsert(client, text, entry, file_label);
  if (!out) return out.error();
  return out->text;
}

Result<InstallOutcome> InstallServer(Client client, const fs::path& file, const ServerEntry& entry,
                                     bool dry_run) {
  std::error_code ec;
  // A dotfile manager's symlink stays a symlink: we write to its target.
  fs::path target = file;
  if (fs::is_symlink(fs::symlink_status(file, ec))) {
    target = fs::weakly_canonical(file, ec);
    if (ec)
      return MakeError(ErrorCode::kIo, "cannot resolve " + file.string() + ": " + ec.message());
  }
  bool exists = fs::exists(target, ec);
  std::string text;
  if (exists) {
    auto read = ReadFileText(target);
    if (!read) return read.error();
    text = std::move(*read);
  }
  auto out = Upsert(client, text, entry, file.string());
  if (!out) return out.error();
  InstallOutcome outcome;
  outcome.file = file;
  outcome.content = out->text;
  if (exists && out->text == text) return outcome;
  outcome.change = out->existed ? InstallOutcome::Change::kUpdated : InstallOutcome::Change::kAdded;
  if (dry_run) return outcome;
  unsigned mode = 0644;  // a new file; an existing one keeps its permissions (config.toml may
                         // hold secrets and be 0600)
  struct stat st {};
  if (exists && ::stat(target.c_str(), &st) == 0) mode = st.st_mode & 07777;
  fs::create_directories(target.parent_path(), ec);
  if (ec)
    return MakeError(ErrorCode::kIo,
                     "cannot create " + target.parent_path().string() + ": " + ec.message());
  DOCRUNCH_TRY(WriteFileAtomic(target, out->text, {.mode = mode}));
  return outcome;
}

}  // namespace docrunch::mcp::install
