// Relationships between the files and symbols of one repository.
//
// Import resolution turns what a file imports into repository files
// (Python absolute, relative and package imports; TS/JS relative paths,
// index files, extensions, tsconfig.json `paths` and `baseUrl`; C/C++
// quoted includes; Java packages). Relationships are then built from the
// parsed facts: imports, exports, calls (resolved through imports where
// possible), inherits, implements and uses (component uses component).
//
// Node names: a file is its path ("pkg/mod.py"); a symbol is
// "path#qualified_name" ("pkg/mod.py#Parser.parse"); an import that does
// not resolve to a repository file is "ext:<module>".
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "scan/model.h"

namespace docrunch::scan {

struct FileFacts {
  std::string path;
  ParsedFile parsed;  // parsed.language is the file's language
};

struct Relationship {
  std::string source;
  std::string target;
  std::string type;      // imports | exports | calls | inherits | implements | uses
  std::string metadata;  // JSON object text, "{}" when empty

  auto operator<=>(const Relationship&) const = default;
};

struct ProjectFiles {
  std::string tsconfig_json;  // root tsconfig.json (JSON with comments), "" if none
};

class ImportResolver {
 public:
  ImportResolver(const std::vector<std::string>& paths, const ProjectFiles& project);

  // The repository file `import` (made in `from_path`) refers to, if any.
  std::optional<std::string> Resolve(const std::string& from_path, Language language,
                                     const Import& import) const;

  // Python: the file for a dotted module name ("a.b" -> "a/b.py" or
  // "a/b/__init__.py"), searched under every source root.
  std::optional<std::string> ResolvePythonModule(const std::string& dotted) const;

 private:
  std::optional<std::string> ResolvePython(const std::string& from_path,
                                           const Import& import) const;
  std::optional<std::string> ResolveScript(const std::string& from_path,
                                           const Import& import) const;
  std::optional<std::string> ResolveScriptPath(const std::string& candidate) const;
  std::optional<std::string> ResolveSuffix(const std::string& suffix) const;
  bool Has(const std::string& path) const { return paths_.count(path) > 0; }

  std::map<std::string, int> paths_;                           // every repository file
  std::map<std::string, std::vector<std::string>> by_suffix_;  // "mime/text.py" -> full paths
  std::string base_url_;                                       // tsconfig compilerOptions.baseUrl
  std::vector<std::pair<std::string, std::vector<std::string>>> ts_paths_;  // pattern -> targets
};

// All relationships of a repository, sorted, at most one per (source,
// target, type): when edges differ only in metadata the first in sort order
// is kept.
std::vector<Relationship> Analyze(const std::vector<FileFacts>& files, const ProjectFiles& project);

}  // namespace docrunch::scan
