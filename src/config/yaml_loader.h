// Internal to src/config: the SchemaVisitor that reads a YAML tree into the
// Config structs, checking types, ranges, enums and formats, and reporting
// keys the schema does not know.
#pragma once

#include <yaml-cpp/yaml.h>

#include <set>
#include <string>

#include "config/issue_sink.h"
#include "config/schema.h"

namespace docrunch::config {

class YamlLoader final : public SchemaVisitor {
 public:
  // `node` is a mapping (or null); `path` is its key path ("" for the root).
  YamlLoader(YAML::Node node, std::string path, IssueSink& sink,
             std::map<std::string, Origin>& origins);

  void Bool(std::string_view key, bool& value) override;
  void Int(std::string_view key, int& value, IntRange range) override;
  void Real(std::string_view key, double& value, RealRange range) override;
  void String(std::string_view key, std::string& value, const StringRule& rule) override;
  void Time(std::string_view key, Duration& value, DurationRange range) override;
  void StringList(std::string_view key, std::vector<std::string>& value,
                  const StringRule& rule) override;
  void IntList(std::string_view key, std::vector<int>& value, IntRange range) override;
  void Choice(std::string_view key, int& index, std::span<const std::string_view> names) override;
  void Section(std::string_view key, const std::function<void(SchemaVisitor&)>& body) override;
  void SectionList(std::string_view key, std::size_t size,
                   const std::function<void(std::size_t)>& resize,
                   const std::function<void(std::size_t, SchemaVisitor&)>& body) override;
  void SectionMap(std::string_view key, std::vector<std::string> names,
                  const std::function<void(const std::string&)>& add,
                  const std::function<void(const std::string&, SchemaVisitor&)>& body) override;

  // Reports every key of the mapping that no visit asked for, and duplicates.
  void ReportUnknownKeys();

 private:
  // The child node for `key` if present and not null; records it as known.
  bool Find(std::string_view key, YAML::Node& child);
  std::string PathOf(std::string_view key) const;
  void Problem(const std::string& path, const YAML::Node& at, std::string message);
  // Checks one string value; "" when fine.
  std::string CheckString(const std::string& path, const std::string& value,
                          const StringRule& rule);
  bool ScalarOrProblem(const std::string& path, const YAML::Node& node, const char* expected);

  YAML::Node node_;
  std::string path_;
  IssueSink& sink_;
  std::map<std::string, Origin>& origins_;
  std::set<std::string> known_;
};

SourceLocation LocationOf(const YAML::Node& node, const std::string& file);

}  // namespace docrunch::config
