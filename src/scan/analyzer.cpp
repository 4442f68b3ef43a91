#include "scan/analyzer.h"

#include <nlohmann/json.hpp>
#include <set>

#include "core/text.h"

namespace docrunch::scan {
namespace {

std::string DirName(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

std::string JoinPath(const std::string& dir, const std::string& rest) {
  if (dir.empty()) return rest;
  if (rest.empty()) return dir;
  return dir + "/" + rest;
}

// Resolves "." and ".." segments; nullopt when the path leaves the root.
std::optional<std::string> Normalize(const std::string& path) {
  std::vector<std::string> out;
  for (const auto& part : Split(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (out.empty()) return std::nullopt;
      out.pop_back();
    } else {
      out.push_back(part);
    }
  }
  return Join(out, "/");
}

std::string Replace(std::string s, char from, char to) {
  for (char& c : s) c = c == from ? to : c;
  return s;
}

// JSON with comments and trailing commas, as tsconfig.json allows.
nlohmann::json ParseLenientJson(const std::string& text) {
  std::string cleaned;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      cleaned += c;
      if (c == '\\' && i + 1 < text.size())
        cleaned += text[++i];
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
      cleaned += c;
    } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
      while (i < text.size() && text[i] != '\n') ++i;
      cleaned += '\n';
    } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
      auto end = text.find("*/", i + 2);
      i = end == std::string::npos ? text.size() : end + 1;
    } else if (c == ',') {
      std::size_t j = i + 1;
      while (j < text.size() && std::isspace(static_cast<unsigned char>(text[j]))) ++j;
      if (j < text.size() && (text[j] == '}' || text[j] == ']')) continue;  // trailing comma
      cleaned += c;
    } else {
      cleaned += c;
    }
  }
  return nlohmann::json::parse(cleaned, nullptr, /*allow_exceptions=*/false);
}

constexpr const char* kScriptExtensions[] = {".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs"};

}  // namespace

ImportResolver::ImportResolver(const std::vector<std::string>& paths, const ProjectFiles& project) {
  for (const auto& path : paths) {
    paths_.emplace(path, 0);
    for (std::size_t pos = 0;;) {
      by_suffix_[path.substr(pos)].push_back(path);
      pos = path.find('/', pos);
      if (pos == std::string::npos) break;
      ++pos;
    }
  }
  for (auto& [suffix, list] : by_suffix_) {
    std::sort(list.begin(), list.end(), [](const std::string& a, const std::string& b) {
      return a.size() != b.size() ? a.size() < b.size() : a < b;
    });
  }
  if (project.tsconfig_json.empty()) return;
  nlohmann::json tsconfig = ParseLenientJson(project.tsconfig_json);
  if (!tsconfig.is_object() || !tsconfig.contains("compilerOptions")) return;
  const auto& options = tsconfig["compilerOptions"];
  if (options.contains("baseUrl") && options["baseUrl"].is_string()) {
    base_url_ = Normalize(options["baseUrl"].get<std::string>()).value_or("");
  }
  if (options.contains("paths") && options["paths"].is_object()) {
    for (const auto& [pattern, targets] : options["paths"].items()) {
      std::vector<std::string> list;
      if (targets.is_array()) {
        for (const auto& t : targets) {
          if (t.is_string()) list.push_back(t.get<std::string>());
        }
      }
      ts_paths_.emplace_back(pattern, std::move(list));
    }
  }
}

std::optional<std::string> ImportResolver::ResolveSuffix(const std::string& suffix) const {
  auto it = by_suffix_.find(suffix);
  if (it == by_suffix_.end()) return std::nullopt;
  return it->second.front();
}

std::optional<std::string> ImportResolver::ResolvePythonModule(const std::string& dotted) const {
  if (dotted.empty()) return std::nullopt;
  const std::string base = Replace(dotted, '.', '/');
  for (const char* candidate : {".py", "/__init__.py", ".pyi", "/__init__.pyi"}) {
    auto it = by_suffix_.find(base + candidate);
    if (it == by_suffix_.end()) continue;
    for (const auto& path : it->second) {
      // The folder holding the top-level package must be a source root,
      // not itself a package, or "json" would match "vendor/x/json.py".
      std::string root = path.substr(0, path.size() - (base + candidate).size());
      if (!root.empty()) root.pop_back();
      if (!Has(JoinPath(root, "__init__.py"))) return path;
    }
  }
  return std::nullopt;
}

std::optional<std::string> ImportResolver::ResolvePython(const std::string& from_path,
                                                         const Import& import) const {
  const std::string& module = import.module;
  std::size_t level = 0;
  while (level < module.size() && module[level] == '.') ++level;
  if (level == 0) {
    if (!import.name.empty() && import.name != "*") {
      if (auto sub = ResolvePythonModule(module + "." + import.name)) return sub;
    }
    return ResolvePythonModule(module);
  }
  std::string dir = DirName(from_path);
  for (std::size_t i = 1; i < level; ++i) {
    if (dir.empty()) return std::nullopt;
    dir = DirName(dir);
  }
  std::string base = JoinPath(dir, Replace(module.substr(level), '.', '/'));
  auto module_file = [&](const std::string& stem) -> std::optional<std::string> {
    for (const char* suffix : {".py", "/__init__.py", ".pyi"}) {
      if (Has(stem + suffix)) return stem + suffix;
    }
    return std::nullopt;
  };
  if (!import.name.empty() && import.name != "*") {
    if (auto sub = module_file(JoinPath(base, import.name))) return sub;
  }
  if (base.empty() || base == dir) {
    if (Has(JoinPath(dir, "__init__.py"))) return JoinPath(dir, "__init__.py");
    return std::nullopt;
  }
  return module_file(base);
}

std::optional<std::string> ImportResolver::ResolveScriptPath(const std::string& raw) const {
  auto normalized = Normalize(raw);
  if (!normalized) return std::nullopt;
  const std::string& c = *normalized;
  if (Has(c)) return c;
  for (const char* ext : kScriptExtensions) {
    if (Has(c + ext)) return c + ext;
  }
  // TypeScript ESM style: import "./x.js" that is really x.ts.
  for (const char* js : {".js", ".jsx", ".mjs"}) {
    std::string_view view(c);
    if (view.ends_with(js)) {
      std::string stem = c.substr(0, c.size() - std::string_view(js).size());
      for (const char* ts : {".ts", ".tsx", ".mts"}) {
        if (Has(stem + ts)) return stem + ts;
      }
    }
  }
  for (const char* ext : kScriptExtensions) {
    if (Has(c + "/index" + ext)) return c + "/index" + ext;
  }
  return std::nullopt;
}

std::optional<std::string> ImportResolver::ResolveScript(const std::string& from_path,
                                                         const Import& import) const {
  const std::string& module = import.module;
  if (module.empty()) return std::nullopt;
  if (module[0] == '.') return ResolveScriptPath(JoinPath(DirName(from_path), module));
  for (const auto& [pattern, targets] : ts_paths_) {
    auto star = pattern.find('*');
    std::string matched;
    if (star == std::string::npos) {
      if (module != pattern) continue;
    } else {
      std::string prefix = pattern.substr(0, star), suffix = pattern.substr(star + 1);
      if (module.size() < prefix.size() + suffix.size() || !module.starts_with(prefix) ||
          !module.ends_with(suffix)) {
        continue;
      }
      matched = module.substr(prefix.size(), module.size() - prefix.size() - suffix.size());
    }
    for (std::string target : targets) {
      auto target_star = target.find('*');
      if (target_star != std::string::npos) target.replace(target_star, 1, matched);
      if (auto found = ResolveScriptPath(JoinPath(base_url_, target))) return found;
    }
  }
  if (!base_url_.empty() || !ts_paths_.empty()) {
    if (auto found = ResolveScriptPath(JoinPath(base_url_, module))) return found;
  }
  return std::nullopt;
}

std::optional<std::string> ImportResolver::Resolve(const std::string& from_path, Language language,
                                                   const Import& import) const {
  switch (language) {
    case Language::kPython:
      return ResolvePython(from_path, import);
    case Language::kTypeScript:
    case Language::kTsx:
    case Language::kJavaScript:
      return ResolveScript(from_path, import);
    case Language::kC:
    case Language::kCpp: {
      if (auto local = Normalize(JoinPath(DirName(from_path), import.module));
          local && Has(*local)) {
        return local;
      }
      return ResolveSuffix(import.module);
    }
    case Language::kJava:
      return ResolveSuffix(Replace(import.module, '.', '/') + ".java");
    default:
      return std::nullopt;
  }
}

}  // namespace docrunch::scan
