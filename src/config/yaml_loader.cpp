#include "config/yaml_loader.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "config/values.h"
#include "core/text.h"
#include "core/utf8.h"

namespace docrunch::config {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

const char* KindName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Null:
      return "nothing";
    default:
      return "a single value";
  }
}

std::string Quoted(const std::string& s) {
  return "'" + s + "'";
}

std::string DidYouMean(const std::string& word, const std::vector<std::string>& options) {
  std::string hint = ClosestMatch(word, options);
  return hint.empty() ? "" : "; did you mean " + Quoted(hint) + "?";
}

std::string DurationText(std::chrono::milliseconds ms) {
  using namespace std::chrono;
  long long n = ms.count();
  if (n % 86'400'000 == 0) return std::to_string(n / 86'400'000) + "d";
  if (n % 3'600'000 == 0) return std::to_string(n / 3'600'000) + "h";
  if (n % 60'000 == 0) return std::to_string(n / 60'000) + "m";
  if (n % 1000 == 0) return std::to_string(n / 1000) + "s";
  return std::to_string(n) + "ms";
}

std::string SecretHint(const std::string& key) {
  return Quoted(key) +
         " would hold a literal secret, and secrets are never written in the config: set " +
         Quoted(key + "_env: VAR_NAME") + " and put the secret in that environment variable";
}

}  // namespace

SourceLocation LocationOf(const YAML::Node& node, const std::string& file) {
  YAML::Mark mark = node.Mark();
  if (mark.is_null() || mark.line < 0) return {};
  return {file, mark.line + 1, mark.column + 1};
}

YamlLoader::YamlLoader(YAML::Node node, std::string path, IssueSink& sink,
                       std::map<std::string, Origin>& origins)
    : node_(node), path_(std::move(path)), sink_(sink), origins_(origins) {}

std::string YamlLoader::PathOf(std::string_view key) const {
  if (path_.empty() || key.starts_with('[')) return path_ + std::string(key);
  return path_ + "." + std::string(key);
}

bool YamlLoader::Find(std::string_view key, YAML::Node& child) {
  known_.insert(std::string(key));
  if (!node_.IsMap()) return false;
  // Look up through a const node: a non-const operator[] would insert the key.
  const YAML::Node& lookup = node_;
  YAML::Node found = lookup[std::string(key)];
  if (!found.IsDefined() || found.IsNull()) return false;
  child.reset(found);
  std::string path = PathOf(key);
  SourceLocation where = LocationOf(child, sink_.file());
  if (where.line) sink_.Locate(path, where);
  origins_[path] = sink_.FromOverlay(path) ? Origin::kEnvironment : Origin::kFile;
  return true;
}

void YamlLoader::Problem(const std::string& path, const YAML::Node& at, std::string message) {
  sink_.Add(path, std::move(message), LocationOf(at, sink_.file()));
}

bool YamlLoader::ScalarOrProblem(const std::string& path, const YAML::Node& node,
                                 const char* expected) {
  if (node.IsScalar()) return true;
  Problem(path, node, std::string("expected ") + expected + ", got " + KindName(node));
  return false;
}

void YamlLoader::Bool(std::string_view key, bool& value) {
  YAML::Node child;
  if (!Find(key, child)) return;
  std::string path = PathOf(key);
  if (!ScalarOrProblem(path, child, "true or false")) return;
  std::string text = Lower(child.Scalar());
  if (text == "true" || text == "yes" || text == "on") {
    value = true;
  } else if (text == "false" || text == "no" || text == "off") {
    value = false;
  } else {
    Problem(path, child, "expected true or false, got " + Quoted(child.Scalar()));
  }
}

void YamlLoader::Int(std::string_view key, int& value, IntRange range) {
  YAML::Node child;
  if (!Find(key, child)) return;
  std::string path = PathOf(key);
  if (!ScalarOrProblem(path, child, "an integer")) return;
  const std::string& text = child.Scalar();
  long long n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    Problem(path, child, "expected an integer, got " + Quoted(text));
  } else if (n < range.min || n > range.max) {
    Problem(path, child,
            "must be between " + std::to_string(range.min) + " and " + std::to_string(range.max) +
                ", got " + text);
  } else {
    value = static_cast<int>(n);
  }
}

void YamlLoader::Real(std::string_view key, double& value, RealRange range) {
  YAML::Node child;
  if (!Find(key, child)) return;
  std::string path = PathOf(key);
  if (!ScalarOrProblem(path, child, "a number")) return;
  const std::string& text = child.Scalar();
  char* end = nullptr;
  double d = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(d)) {
    Problem(path, child, "expected a number, got " + Quoted(text));
  } else if (d < range.min || d > range.max) {
    Problem(path, child,
            "must be between " + std::to_string(range.min) + " and " + std::to_string(range.max) +
                ", got " + text);
  } else {
    value = d;
  }
}

std::string YamlLoader::CheckString(const std::string& path, const std::string& value,
                                    const StringRule& rule) {
  using Kind = StringRule::Kind;
  // Configuration text is shown and sent as JSON (config show, MCP): bytes
  // that are not UTF-8 would fail there, far from their line.
  if (!IsValidUtf8(value)) return "must be valid UTF-8 text";
  if (!rule.one_of.empty() &&
      std::find(rule.one_of.begin(), rule.one_of.end(), value) == rule.one_of.end()) {
    return "must be one of " + Join(rule.one_of, ", ") + "; got " + Quoted(value) +
           DidYouMean(value, rule.one_of);
  }
  if (value.empty()) return rule.kind == Kind::kNonEmpty ? "must not be empty" : "";
  switch (rule.kind) {
    case Kind::kUrl: {
      std::string problem = CheckUrl(value, rule.schemes);
      if (!problem.empty()) return problem;
      if (ParseUrl(value)->has_password) {
        std::string leaf = path.substr(path.rfind('.') + 1);
        if (leaf == "postgres_url" || leaf == "redis_url") {
          return "the URL contains a password; " + SecretHint(leaf);
        }
        // No <key>_env for these: the service's key goes in api_key_env.
        return "the URL contains a password, which would be a literal secret in the config; "
               "leave it out and give the service's key through 'api_key_env: VAR_NAME'";
      }
      return "";
    }
    case Kind::kHostPort:
      return CheckHostPort(value);
    case Kind::kEnvName:
      return CheckEnvName(value);
    case Kind::kCron:
      return CheckCron(value);
    case Kind::kHost:
      return CheckHost(value);
    case Kind::kUrlPath:
      return value[0] == '/' ? "" : "must start with '/', got " + Quoted(value);
    case Kind::kPath:
      return value.find('\0') == std::string::npos ? "" : "must not contain NUL characters";
    case Kind::kIdentifier:
      for (char c : value) {
        if (!std::islower(static_cast<unsigned char>(c)) &&
            !std::isdigit(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') {
          return "may contain only a-z, 0-9, '_', '-' and '.', got " + Quoted(value);
        }
      }
      return "";
    case Kind::kLogLevel: {
      static const std::vector<std::string> kLevels{"trace", "debug", "info",
                                                    "warn",  "error", "off"};
      if (std::find(kLevels.begin(), kLevels.end(), value) != kLevels.end()) return "";
      return "must be one of " + Join(kLevels, ", ") + "; got " + Quoted(value) +
             DidYouMean(value, kLevels);
    }
    case Kind::kJsonObject: {
      auto parsed = nlohmann::json::parse(value, nullptr, false);
      if (parsed.is_discarded()) return "is not valid JSON: " + Quoted(value.substr(0, 64));
      return parsed.is_object() ? "" : "must be a JSON object ('{...}')";
    }
    case Kind::kAny:
    case Kind::kNonEmpty:
      return "";
  }
  return "";
}

void YamlLoader::String(std::string_view key, std::string& value, const StringRule& rule) {
  YAML::Node child;
  if (!Find(key, child)) return;
  std::string path = PathOf(key);
  if (!ScalarOrProblem(path, child, "a string")) return;
  std::string problem = CheckString(path, child.Scalar(), rule);
  if (problem.empty()) {
    value = child.Scalar();
  } else {
    Problem(path, child, problem);
  }
}

void YamlLoader::Time(std::string_view key, Duration& value, DurationRange range) {
  YAML::Node child;
  if (!Find(key, child)) return;
  std::string path = PathOf(key);
  if (!ScalarOrProblem(path, child, "a duration")) return;
  auto parsed = ParseDuration(child.Scalar());
  if (!parsed) {
    Problem(path, child,
            "expected a duration such as 500ms, 30s, 5m, 24h or 7d, got " + Quoted(child.Scalar()));
  } else if (*parsed < range.min || *parsed > range.max) {
    Problem(path, child,
            "must be between " + DurationText(range.min) + " and " + DurationText(range.max) +
                ", got " + child.Scalar());
  } else {
    value = {*parsed, child.Scalar()};
  }
}

void YamlLoader::StringList(std::string_view key, std::vector<std::string>& value,
                            const StringRule& rule) {
  YAML::Node child;
  if (!Find(key, child)) return;
  std::string path = PathOf(key);
  if (!child.IsSequence()) {
    Problem(path, child, std::string("expected a list, got ") + KindName(child));
    return;
  }
  std::vector<std::string> items;
  bool ok = true;
  for (std::size_t i = 0; i < child.size(); ++i) {
    std::string item_path = path + "[" + std::to_string(i) + "]";
    YAML::Node item = child[i];
    if (!ScalarOrProblem(item_path, item, "a string")) {
      ok = false;
      continue;
    }
    std::string problem = CheckString(item_path, item.Scalar(), rule);
    if (!problem.empty()) {
      Problem(item_path, item, problem);
      ok = false;
    }
    items.push_back(item.Scalar());
  }
  if (ok) value = std::move(items);
}

void YamlLoader::IntList(std::string_view key, std::vector<int>& value, IntRange range) {
  YAML::Node child;
  if (!Find(key, child)) return;
  std::string path = PathOf(key);
  if (!child.IsSequence()) {
    Problem(path, child, std::string("expected a list of integers, got ") + KindName(child));
    return;
  }
  // Reuse the scalar check by visiting each element as "[i]" of a fake map.
  std::vector<int> items(child.size());
  bool ok = true;
  for (std::size_t i = 0; i < child.size(); ++i) {
    YAML::Node wrapper(YAML::NodeType::Map);
    std::string index = "[" + std::to_string(i) + "]";
    wrapper[index] = child[i];
    YamlLoader element(wrapper, path, sink_, origins_);
    std::size_t before = sink_.issues().size();
    element.Int(index, items[i], range);
    ok = ok && sink_.issues().size() == before;
  }
  if (ok) value = std::move(items);
}

void YamlLoader::Choice(std::string_view key, int& index, std::span<const std::string_view> names) {
  YAML::Node child;
  if (!Find(key, child)) return;
  std::string path = PathOf(key);
  if (!ScalarOrProblem(path, child, "a string")) return;
  std::vector<std::string> options(names.begin(), names.end());
  auto it = std::find(options.begin(), options.end(), child.Scalar());
  if (it == options.end()) {
    Problem(path, child,
            "must be one of " + Join(options, ", ") + "; got " + Quoted(child.Scalar()) +
                DidYouMean(child.Scalar(), options));
    return;
  }
  index = static_cast<int>(it - options.begin());
}

void YamlLoader::Section(std::string_view key, const std::function<void(SchemaVisitor&)>& body) {
  YAML::Node child;
  std::string path = PathOf(key);
  if (Find(key, child) && !child.IsMap()) {
    Problem(path, child, std::string("expected a mapping of settings, got ") + KindName(child));
    return;
  }
  YamlLoader sub(child, path, sink_, origins_);
  body(sub);
  sub.ReportUnknownKeys();
}

void YamlLoader::SectionList(std::string_view key, std::size_t,
                             const std::function<void(std::size_t)>& resize,
                             const std::function<void(std::size_t, SchemaVisitor&)>& body) {
  YAML::Node child;
  if (!Find(key, child)) return;
  std::string path = PathOf(key);
  if (!child.IsSequence()) {
    Problem(path, child, std::string("expected a list, got ") + KindName(child));
    return;
  }
  resize(child.size());
  for (std::size_t i = 0; i < child.size(); ++i) {
    std::string item_path = path + "[" + std::to_string(i) + "]";
    YAML::Node item = child[i];
    if (!item.IsMap()) {
      Problem(item_path, item, std::string("expected a mapping, got ") + KindName(item));
      continue;
    }
    YamlLoader sub(item, item_path, sink_, origins_);
    body(i, sub);
    sub.ReportUnknownKeys();
  }
}

void YamlLoader::SectionMap(std::string_view key, std::vector<std::string>,
                            const std::function<void(const std::string&)>& add,
                            const std::function<void(const std::string&, SchemaVisitor&)>& body) {
  YAML::Node child;
  if (!Find(key, child)) return;
  std::string path = PathOf(key);
  if (!child.IsMap()) {
    Problem(path, child, std::string("expected a mapping, got ") + KindName(child));
    return;
  }
  for (auto entry : child) {
    std::string name = entry.first.Scalar();
    std::string item_path = path + "." + name;
    if (!entry.second.IsMap()) {
      Problem(item_path, entry.second,
              std::string("expected a mapping, got ") + KindName(entry.second));
      continue;
    }
    add(name);
    YamlLoader sub(entry.second, item_path, sink_, origins_);
    body(name, sub);
    sub.ReportUnknownKeys();
  }
}

void YamlLoader::ReportUnknownKeys() {
  if (!node_.IsMap()) return;
  std::vector<std::string> options(known_.begin(), known_.end());
  std::map<std::string, int> seen;
  for (auto entry : node_) {
    const YAML::Node& key_node = entry.first;
    std::string key = key_node.IsScalar() ? key_node.Scalar() : "?";
    std::string path = PathOf(key);
    if (++seen[key] == 2) {
      Problem(path, key_node, "duplicate key " + Quoted(key));
    }
    if (known_.count(key)) continue;
    std::string message;
    if (LooksLikeSecretKey(Lower(key)) && entry.second.IsScalar()) {
      message = SecretHint(key);
    } else {
      message = "unknown key " + Quoted(key) + (path_.empty() ? "" : " in " + path_) +
                DidYouMean(key, options);
    }
    Problem(path, key_node, message);
  }
}

}  // namespace docrunch::config
