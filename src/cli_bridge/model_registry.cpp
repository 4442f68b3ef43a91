#include "cli_bridge/model_registry.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/json_schema.h"
#include "core/text.h"

namespace docrunch::cli_bridge {
namespace {

using nlohmann::json;

struct Position {
  int line = 0;
  int column = 0;
};

// Line and column (1-based, columns in bytes) of byte `offset` in `text`.
Position PositionOf(const std::string& text, std::size_t offset) {
  Position p{1, 1};
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++p.line;
      p.column = 1;
    } else {
      ++p.column;
    }
  }
  return p;
}

// Where each value of valid JSON `text` starts, by key path
// ("gemini.models[1].id"). Iterative: the nesting was bounded before.
class PositionIndex {
 public:
  explicit PositionIndex(const std::string& text) : text_(text) { Scan(); }

  Position Of(const std::string& path) const {
    for (std::string p = path;;) {
      auto it = at_.find(p);
      if (it != at_.end()) return it->second;
      auto cut = p.find_last_of(".[");
      if (cut == std::string::npos) return at_.count("") ? at_.at("") : Position{};
      p = p.substr(0, cut);
    }
  }

 private:
  struct Frame {
    bool object;
    std::string path;
    std::string key;
    int index = 0;
  };

  std::string Current() const {
    if (stack_.empty()) return "";
    const Frame& f = stack_.back();
    if (!f.object) return f.path + "[" + std::to_string(f.index) + "]";
    return f.path.empty() ? f.key : f.path + "." + f.key;
  }

  std::size_t StringEnd(std::size_t i) const {  // i at the opening quote
    for (++i; i < text_.size() && text_[i] != '"'; ++i) {
      if (text_[i] == '\\') ++i;
    }
    return i;  // at the closing quote
  }

  void Scan() {
    bool expect_key = false;
    for (std::size_t i = 0; i < text_.size(); ++i) {
      char c = text_[i];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ':') continue;
      if (c == ',') {
        if (!stack_.empty() && stack_.back().object) {
          expect_key = true;
        } else if (!stack_.empty()) {
          ++stack_.back().index;
        }
        continue;
      }
      if (c == '}' || c == ']') {
        if (!stack_.empty()) stack_.pop_back();
        expect_key = false;
        continue;
      }
      if (expect_key && c == '"') {
        std::size_t end = StringEnd(i);
        stack_.back().key = json::parse(text_.substr(i, end - i + 1)).get<std::string>();
        expect_key = false;
        i = end;
        continue;
      }
      at_[Current()] = PositionOf(text_, i);
      if (c == '{' || c == '[') {
        stack_.push_back({c == '{', Current(), "", 0});
        expect_key = c == '{';
      } else if (c == '"') {
        i = StringEnd(i);
      } else {
        while (i + 1 < text_.size() &&
               std::string_view(",]} \t\r\n").find(text_[i + 1]) == std::string_view::npos) {
          ++i;
        }
      }
    }
  }

  const std::string& text_;
  std::vector<Frame> stack_;
  std::map<std::string, Position> at_;
};

class Checker {
 public:
  Checker(const std::string& name, const std::string& text, const PositionIndex& index)
      : name_(name), text_(text), index_(index) {}

  void Add(const std::string& key, const std::string& message) {
    Position p = index_.Of(key);
    issues_.push_back({name_, p.line, p.column, key, message});
  }

  void UnknownKeys(const json& object, const std::string& path,
                   const std::vector<std::string>& known, const std::string& what) {
    for (const auto& [key, value] : object.items()) {
      if (std::find(known.begin(), known.end(), key) != known.end()) continue;
      std::string message = "unknown " + what;
      std::string hint = ClosestMatch(key, known);
      message += hint.empty() ? "; expected one of " + Join(known, ", ")
                              : "; did you mean '" + hint + "'?";
      Add(path.empty() ? key : path + "." + key, message);
    }
  }

  // An optional string member; "" when absent.
  std::string OptionalString(const json& object, const std::string& path, const char* key) {
    auto it = object.find(key);
    if (it == object.end()) return "";
    if (!it->is_string()) {
      Add(path + "." + key, "must be a string, got " + std::string(it->type_name()));
      return "";
    }
    return it->get<std::string>();
  }

  CliModel Model(const json& m, const std::string& path) {
    CliModel model;
    if (!m.is_object()) {
      Add(path, "must be an object {id, name, description}, got " + std::string(m.type_name()));
      return model;
    }
    UnknownKeys(m, path, {"id", "name", "description"}, "model key");
    auto id = m.find("id");
    if (id == m.end()) {
      Add(path, "id is required");
    } else if (!id->is_string()) {
      Add(path + ".id", "must be a string, got " + std::string(id->type_name()));
    } else if (!IsValidModelId(id->get<std::string>())) {
      Add(path + ".id",
          "must be 1-128 letters, digits and . _ - : / @ +, not starting with '-', got " +
              json(id->get<std::string>().substr(0, 64)).dump());
    } else {
      model.id = id->get<std::string>();
    }
    model.name = OptionalString(m, path, "name");
    model.description = OptionalString(m, path, "description");
    if (model.name.empty()) model.name = model.id;
    return model;
  }

  CliModels Cli(const std::string& cli, const json& entry) {
    CliModels out;
    if (!entry.is_object()) {
      Add(cli, "must be an object {description, models}, got " + std::string(entry.type_name()));
      return out;
    }
    UnknownKeys(entry, cli, {"description", "models"}, "key");
    out.description = OptionalString(entry, cli, "description");
    auto models = entry.find("models");
    if (models == entry.end()) {
      Add(cli, "models is required (a list of {id, name, description})");
      return out;
    }
    if (!models->is_array() || models->empty()) {
      Add(cli + ".models", "must be a non-empty list of {id, name, description}");
      return out;
    }
    std::set<std::string> seen;
    for (std::size_t i = 0; i < models->size(); ++i) {
      std::string path = cli + ".models[" + std::to_string(i) + "]";
      CliModel model = Model((*models)[i], path);
      if (model.id.empty()) continue;
      if (!seen.insert(model.id).second) {
        Add(path + ".id", "duplicate model id " + json(model.id).dump() + " for " + cli);
        continue;
      }
      out.models.push_back(std::move(model));
    }
    return out;
  }

  std::vector<config::ConfigIssue>& issues() { return issues_; }

 private:
  const std::string& name_;
  const std::string& text_;
  const PositionIndex& index_;
  std::vector<config::ConfigIssue> issues_;
};

}  // namespace

bool ModelRegistry::Has(const std::string& cli_type, const std::string& model_id) const {
  const CliModels* models = Find(cli_type);
  if (!models) return false;
  for (const auto& m : models->models) {
    if (m.id == model_id) return true;
  }
  return false;
}

const CliModels* ModelRegistry::Find(const std::string& cli_type) const {
  auto it = by_cli_.find(cli_type);
  return it == by_cli_.end() ? nullptr : &it->second;
}

const std::vector<std::string>& CliTypes() {
  static const std::vector<std::string> kTypes{"gemini", "claude", "codex"};
  return kTypes;
}

bool IsValidModelId(const std::string& id) {
  if (id.empty() || id.size() > 128 || id[0] == '-') return false;
  for (unsigned char c : id) {
    if (std::isalnum(c)) continue;
    if (std::string_view("._-:/@+").find(static_cast<char>(c)) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

std::vector<config::ConfigIssue> ValidateModelRegistry(const std::string& name,
                                                       const std::string& text,
                                                       ModelRegistry& out) {
  if (JsonNesting(text, 16) > 16) {
    return {{name, 0, 0, "", "nested more than 16 levels deep"}};
  }
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error& e) {
    Position p = PositionOf(text, e.byte > 0 ? e.byte - 1 : 0);
    std::string what = e.what();
    auto cut = what.find("syntax error");
    return {{name, p.line, p.column, "",
             "invalid JSON: " + (cut == std::string::npos ? what : what.substr(cut))}};
  }
  PositionIndex index(text);
  Checker check(name, text, index);
  if (!root.is_object()) {
    check.Add("", "must be an object of CLI types (gemini, claude, codex), got " +
                      std::string(root.type_name()));
    return check.issues();
  }
  check.UnknownKeys(root, "", CliTypes(), "CLI type");
  std::map<std::string, CliModels> by_cli;
  for (const auto& cli : CliTypes()) {
    auto it = root.find(cli);
    if (it != root.end()) by_cli[cli] = check.Cli(cli, *it);
  }
  if (check.issues().empty()) out = ModelRegistry(std::move(by_cli));
  return check.issues();
}

Result<ModelRegistry> LoadModelRegistry(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return MakeError(
        ErrorCode::kConfigNotFound,
        "model registry " + path.string() + " does not exist (`docrunch init` writes one)");
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return MakeError(ErrorCode::kIo, "cannot read " + path.string());
  ModelRegistry registry;
  auto issues = ValidateModelRegistry(path.string(), text.str(), registry);
  if (issues.empty()) return registry;
  std::string message = std::to_string(issues.size()) + " problem" +
                        (issues.size() == 1 ? "" : "s") + " in the model registry:";
  for (const auto& issue : issues) message += "\n  " + issue.ToString();
  return MakeError(ErrorCode::kConfigInvalid, message);
}

}  // namespace docrunch::cli_bridge
