#include "config/show.h"

#include <sstream>

#include "config/schema.h"
#include "config/values.h"

namespace docrunch::config {
namespace {

using nlohmann::json;

// Walks the schema, handing each leaf's path and JSON value to `leaf`.
class LeafWalker final : public SchemaVisitor {
 public:
  using LeafFn = std::function<void(const std::string& path, const json& value, bool env_ref)>;
  LeafWalker(std::string path, LeafFn leaf) : path_(std::move(path)), leaf_(std::move(leaf)) {}

  void Bool(std::string_view key, bool& v) override { Emit(key, v); }
  void Int(std::string_view key, int& v, IntRange) override { Emit(key, v); }
  void Real(std::string_view key, double& v, RealRange) override { Emit(key, v); }
  void String(std::string_view key, std::string& v, const StringRule& rule) override {
    Emit(key, MaskUrlPassword(v), rule.kind == StringRule::Kind::kEnvName);
  }
  void Time(std::string_view key, Duration& v, DurationRange) override { Emit(key, v.text); }
  void StringList(std::string_view key, std::vector<std::string>& v, const StringRule&) override {
    Emit(key, v);
  }
  void IntList(std::string_view key, std::vector<int>& v, IntRange) override { Emit(key, v); }
  void Choice(std::string_view key, int& index, std::span<const std::string_view> names) override {
    Emit(key, std::string(names[index]));
  }
  void Section(std::string_view key, const std::function<void(SchemaVisitor&)>& body) override {
    LeafWalker sub(Path(key), leaf_);
    body(sub);
  }
  void SectionList(std::string_view key, std::size_t size, const std::function<void(std::size_t)>&,
                   const std::function<void(std::size_t, SchemaVisitor&)>& body) override {
    if (size == 0) Emit(key, json::array());
    for (std::size_t i = 0; i < size; ++i) {
      LeafWalker sub(Path(key) + "[" + std::to_string(i) + "]", leaf_);
      body(i, sub);
    }
  }
  void SectionMap(std::string_view key, std::vector<std::string> names,
                  const std::function<void(const std::string&)>&,
                  const std::function<void(const std::string&, SchemaVisitor&)>& body) override {
    if (names.empty()) Emit(key, json::object());
    for (const auto& name : names) {
      LeafWalker sub(Path(key) + "." + name, leaf_);
      body(name, sub);
    }
  }

 private:
  std::string Path(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }
  void Emit(std::string_view key, const json& value, bool env_ref = false) {
    leaf_(Path(key), value, env_ref);
  }

  std::string path_;
  LeafFn leaf_;
};

void Walk(const LoadedConfig& loaded, const LeafWalker::LeafFn& leaf) {
  Config copy = loaded.config;  // visitors take mutable references
  LeafWalker walker("", leaf);
  VisitConfig(walker, copy);
}

const char* OriginName(const LoadedConfig& loaded, const std::string& path) {
  auto it = loaded.origins.find(path);
  if (it == loaded.origins.end()) return "default";
  switch (it->second) {
    case Origin::kFile:
      return "file";
    case Origin::kEnvironment:
      return "environment";
    case Origin::kFlag:
      return "flag";
    case Origin::kDefault:
      return "default";
  }
  return "default";
}

// Splits "a.b[0].c" into JSON-pointer segments.
json::json_pointer PointerOf(const std::string& path) {
  std::string pointer;
  std::string segment;
  auto flush = [&] {
    pointer += "/" + segment;
    segment.clear();
  };
  for (char c : path) {
    if (c == '.' || c == '[') {
      if (!segment.empty()) flush();
    } else if (c == ']') {
      flush();
    } else {
      segment += c;
    }
  }
  if (!segment.empty()) flush();
  return json::json_pointer(pointer);
}

}  // namespace

json ConfigToJson(const LoadedConfig& loaded, const Environment&) {
  json out = json::object();
  Walk(loaded,
       [&](const std::string& path, const json& value, bool) { out[PointerOf(path)] = value; });
  return out;
}

std::string ConfigToText(const LoadedConfig& loaded, const Environment& env) {
  std::ostringstream out;
  out << "# " << loaded.file.string() << "\n";
  Walk(loaded, [&](const std::string& path, const json& value, bool env_ref) {
    out << path << " = " << value.dump() << "  (" << OriginName(loaded, path);
    if (env_ref && value.is_string() && !value.get<std::string>().empty()) {
      auto it = env.find(value.get<std::string>());
      out << "; variable " << (it != env.end() && !it->second.empty() ? "set" : "not set");
    }
    out << ")\n";
  });
  return out.str();
}

}  // namespace docrunch::config
