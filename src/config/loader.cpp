#include "config/loader.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <fstream>
#include <sstream>

#include "config/issue_sink.h"
#include "config/schema.h"
#include "config/yaml_loader.h"
#include "core/text.h"

extern char** environ;

namespace docrunch::config {
namespace {

constexpr std::string_view kEnvPrefix = "DOCRUNCH_";

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Puts `value` (YAML text) at `path` in the document, creating mappings on
// the way. Returns a reason when it cannot.
std::string SetAtPath(YAML::Node& root, const std::vector<std::string>& path,
                      const std::string& value) {
  for (const auto& segment : path) {
    if (segment.empty()) return "the key path has an empty segment";
  }
  YAML::Node parsed;
  try {
    // An empty overlay is the empty string, not "no value" (which would put
    // the default in place of the file's value without a word).
    parsed = value.empty() ? YAML::Node(std::string()) : YAML::Load(value);
  } catch (const YAML::Exception& e) {
    return "the value is not valid YAML (" + e.msg + ")";
  }
  if (!root.IsMap()) root = YAML::Node(YAML::NodeType::Map);
  YAML::Node current = root;
  for (std::size_t i = 0; i + 1 < path.size(); ++i) {
    YAML::Node next = current[path[i]];
    if (!next.IsMap()) {
      // An overlay replaces whatever the file had at this spot.
      current[path[i]] = YAML::Node(YAML::NodeType::Map);
      next.reset(current[path[i]]);
    }
    current.reset(next);
  }
  current[path.back()] = parsed;
  return "";
}

void ApplyOverlays(YAML::Node& root, const LoadRequest& request, IssueSink& sink) {
  for (const auto& [name, value] : request.env) {
    if (name.rfind(kEnvPrefix, 0) != 0 || name.find("__") == std::string::npos) continue;
    std::vector<std::string> path;
    std::string rest = Lower(name.substr(kEnvPrefix.size()));
    for (std::size_t pos = 0;;) {
      std::size_t next = rest.find("__", pos);
      path.push_back(rest.substr(pos, next - pos));
      if (next == std::string::npos) break;
      pos = next + 2;
    }
    // An empty variable is unset (compose's ${VAR} with VAR unset gives
    // one); an empty --set is an empty value.
    if (value.empty()) continue;
    std::string key = Join(path, ".");
    sink.SetOverlaySource(key, "environment variable " + name);
    std::string problem = SetAtPath(root, path, value);
    if (!problem.empty()) sink.Add(key, problem);
  }
  for (const auto& override_text : request.overrides) {
    auto eq = override_text.find('=');
    std::string key = override_text.substr(0, eq);
    sink.SetOverlaySource(key, "flag --set " + key);
    if (eq == std::string::npos) {
      sink.Add(key, "expected KEY=VALUE");
      continue;
    }
    std::string problem = SetAtPath(root, Split(key, '.'), override_text.substr(eq + 1));
    if (!problem.empty()) sink.Add(key, problem);
  }
}

std::filesystem::path ProjectRootOf(const std::filesystem::path& file) {
  auto dir = std::filesystem::absolute(file).lexically_normal().parent_path();
  return dir.filename() == ".docrunch" ? dir.parent_path() : dir;
}

}  // namespace

Environment CurrentEnvironment() {
  Environment env;
  for (char** e = environ; *e; ++e) {
    std::string_view kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string_view::npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return env;
}

std::vector<ConfigIssue> ValidateConfig(const LoadRequest& request, LoadedConfig& out) {
  out = LoadedConfig{};
  out.file = request.file;
  out.project_root = ProjectRootOf(request.file);
  IssueSink sink(request.file.string());

  std::string text = request.text;
  if (text.empty()) {
    std::ifstream in(request.file, std::ios::binary);
    if (!in) {
      sink.Add("", "cannot read the config file");
      return sink.issues();
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    text = buffer.str();
  }

  YAML::Node root;
  try {
    std::vector<YAML::Node> documents = YAML::LoadAll(text);
    // Empty documents (a trailing ---) are nothing; a second one with
    // content would be ignored, silently.
    std::vector<YAML::Node> full;
    for (const auto& d : documents) {
      if (!d.IsNull()) full.push_back(d);
    }
    if (full.size() > 1) {
      sink.Add("",
               "the config file holds " + std::to_string(full.size()) +
                   " YAML documents (separated by ---); it must hold one",
               LocationOf(full[1], sink.file()));
      return sink.issues();
    }
    if (!full.empty()) root = full.front();
  } catch (const YAML::ParserException& e) {
    sink.Add("", "invalid YAML: " + e.msg, {sink.file(), e.mark.line + 1, e.mark.column + 1});
    return sink.issues();
  }
  if (!root.IsNull() && !root.IsMap()) {
    sink.Add("", "the config file must be a mapping of sections (project:, storage:, ...)",
             LocationOf(root, sink.file()));
    return sink.issues();
  }
  ApplyOverlays(root, request, sink);

  YamlLoader loader(root, "", sink, out.origins);
  VisitConfig(loader, out.config);
  loader.ReportUnknownKeys();
  for (const auto& override_text : request.overrides) {
    out.origins[override_text.substr(0, override_text.find('='))] = Origin::kFlag;
  }
  CheckRules(out.config, request.env, sink);
  // The embeddings key, resolved once here like every variable (never shown).
  auto& embeddings = out.config.search.embeddings;
  if (auto key = request.env.find(embeddings.api_key_env);
      !embeddings.api_key_env.empty() && key != request.env.end()) {
    embeddings.api_key = key->second;
  }
  return sink.issues();
}

Result<LoadedConfig> LoadConfig(const LoadRequest& request) {
  LoadedConfig loaded;
  auto issues = ValidateConfig(request, loaded);
  if (issues.empty()) return loaded;
  std::string message = std::to_string(issues.size()) + " problem" +
                        (issues.size() == 1 ? "" : "s") + " in the configuration:";
  for (const auto& issue : issues) message += "\n  " + issue.ToString();
  return MakeError(ErrorCode::kConfigInvalid, message);
}

Result<std::filesystem::path> FindConfigFile(const std::filesystem::path& start,
                                             const std::string& explicit_path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!explicit_path.empty()) {
    if (fs::is_regular_file(explicit_path, ec)) return fs::path(explicit_path);
    if (fs::is_directory(explicit_path, ec)) {
      return MakeError(ErrorCode::kConfigNotFound,
                       "config file " + explicit_path + " is a folder: name the file (such as " +
                           (fs::path(explicit_path) / ".docrunch" / "config.yaml").string() + ")");
    }
    return MakeError(ErrorCode::kConfigNotFound,
                     "config file " + explicit_path + " does not exist");
  }
  fs::path dir = fs::absolute(start, ec).lexically_normal();
  for (fs::path d = dir;; d = d.parent_path()) {
    fs::path candidate = d / ".docrunch" / "config.yaml";
    if (fs::is_regular_file(candidate, ec)) return candidate;
    if (d == d.root_path() || d.empty()) break;
  }
  return MakeError(ErrorCode::kConfigNotFound,
                   "no .docrunch/config.yaml in " + dir.string() +
                       " or any parent folder: run `docrunch init` first");
}

}  // namespace docrunch::config
