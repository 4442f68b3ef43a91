#include "config/task_rules.h"

#include <yaml-cpp/yaml.h>

#include <array>

#include "config/issue_sink.h"
#include "config/schema.h"
#include "config/templates.h"
#include "config/yaml_loader.h"
#include "core/files.h"

namespace docrunch::config {
namespace {

constexpr std::array<std::string_view, 3> kModeNames{"auto", "manager", "human"};
constexpr const char* kSecurityType = "security";

StringRule NonEmpty() {
  return {StringRule::Kind::kNonEmpty, {}, {}};
}

void VisitMode(SchemaVisitor& v, std::string_view key, ReviewMode& mode) {
  int index = static_cast<int>(mode);
  v.Choice(key, index, kModeNames);
  mode = static_cast<ReviewMode>(index);
}

// An optional mode: set in `modes` only when the key is present.
void VisitOptionalMode(SchemaVisitor& v, const std::string& key,
                       std::map<std::string, ReviewMode>& modes) {
  int index = modes.count(key) ? static_cast<int>(modes[key]) : -1;
  v.Choice(key, index, kModeNames);
  if (index >= 0) modes[key] = static_cast<ReviewMode>(index);
}

bool IsTypeName(const std::string& name) {
  if (name.empty() || name.size() > 40 || !(name[0] >= 'a' && name[0] <= 'z')) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

void VisitTemplates(SchemaVisitor& v, std::map<std::string, TaskTypeTemplate>& types) {
  std::vector<std::string> names;
  for (const auto& [name, _] : types) names.push_back(name);
  v.SectionMap(
      "task_types", names, [&](const std::string& name) { types[name]; },
      [&](const std::string& name, SchemaVisitor& t) {
        TaskTypeTemplate& type = types[name];
        t.String("description", type.description, {StringRule::Kind::kAny, {}, {}});
        t.StringList("guardrails", type.guardrails, NonEmpty());
        t.StringList("acceptance_criteria", type.acceptance_criteria, NonEmpty());
        VisitMode(t, "review_mode", type.review_mode);
      });
}

void VisitReviewRules(SchemaVisitor& v, ReviewRules& rules, const std::vector<std::string>& types) {
  VisitMode(v, "default_mode", rules.default_mode);
  v.Section("by_priority", [&](SchemaVisitor& s) {
    for (const auto& priority : TaskPriorities()) VisitOptionalMode(s, priority, rules.by_priority);
  });
  v.Section("by_type", [&](SchemaVisitor& s) {
    for (const auto& type : types) VisitOptionalMode(s, type, rules.by_type);
  });
  v.Section("auto_approve", [&](SchemaVisitor& s) {
    AutoApproveRules& a = rules.auto_approve;
    s.Bool("tests_passed", a.tests_passed);
    s.Int("files_changed_max", a.files_changed_max, {0, 100'000});
    s.StringList("forbidden_patterns", a.forbidden_patterns, NonEmpty());
    s.StringList("never_for_types", a.never_for_types, {StringRule::Kind::kAny, {}, types});
  });
}

// Parses `file` into a mapping; reports and returns a null node on failure.
YAML::Node ParseMapping(const RulesFile& file, IssueSink& sink, const char* what) {
  YAML::Node root;
  try {
    root = YAML::Load(file.text);
  } catch (const YAML::ParserException& e) {
    sink.Add("", "invalid YAML: " + e.msg, {sink.file(), e.mark.line + 1, e.mark.column + 1});
    return YAML::Node();
  }
  if (!root.IsNull() && !root.IsMap()) {
    sink.Add("", std::string("the file must be a mapping (") + what + ")",
             LocationOf(root, sink.file()));
    return YAML::Node();
  }
  return root;
}

void CheckTemplates(const std::map<std::string, TaskTypeTemplate>& types, IssueSink& sink) {
  if (types.empty()) sink.Add("task_types", "must define at least one task type");
  for (const auto& [name, type] : types) {
    std::string key = "task_types." + name;
    if (!IsTypeName(name)) {
      sink.Add(key,
               "a task type name may contain only a-z, 0-9 and '_', start with a letter "
               "and have at most 40 characters, got '" +
                   name + "'");
    }
    if (name == kSecurityType && type.review_mode == ReviewMode::kAuto) {
      sink.Add(key + ".review_mode",
               "security tasks are never auto-approved: use manager or human");
    }
  }
}

void CheckReviewRules(const ReviewRules& rules, IssueSink& sink) {
  auto it = rules.by_type.find(kSecurityType);
  if (it != rules.by_type.end() && it->second == ReviewMode::kAuto) {
    sink.Add("by_type.security", "security tasks are never auto-approved: use manager or human");
  }
}

std::vector<std::string> TypeNames(const std::map<std::string, TaskTypeTemplate>& types) {
  std::vector<std::string> names;
  for (const auto& [name, _] : types) names.push_back(name);
  return names;
}

const std::string& InitFileText(const std::string& name) {
  static const std::vector<TemplateFile> files = InitFiles(InitTemplate::kStandard, "project");
  for (const auto& f : files) {
    if (f.name == name) return f.content;
  }
  static const std::string empty;
  return empty;
}

RulesFile ReadRulesFile(const std::filesystem::path& path, Result<void>& error) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return {path.string(), InitFileText(path.filename().string()), false};
  }
  auto text = ReadFileText(path);
  if (!text) {
    error = text.error();
    return {};
  }
  return {path.string(), *text, true};
}

}  // namespace

std::string_view ReviewModeName(ReviewMode mode) {
  return kModeNames[static_cast<std::size_t>(mode)];
}

std::optional<ReviewMode> ParseReviewMode(std::string_view name) {
  for (std::size_t i = 0; i < kModeNames.size(); ++i) {
    if (kModeNames[i] == name) return static_cast<ReviewMode>(i);
  }
  return std::nullopt;
}

const std::vector<std::string>& TaskPriorities() {
  static const std::vector<std::string> priorities{"low", "medium", "high", "critical"};
  return priorities;
}

std::vector<ConfigIssue> ValidateTaskRules(const RulesFile& templates, const RulesFile& rules,
                                           TaskRules& out) {
  out = TaskRules{};
  std::map<std::string, Origin> origins;  // unused: these files have no overlays
  IssueSink template_sink(templates.name);
  YAML::Node template_root = ParseMapping(templates, template_sink, "task_types: ...");
  if (template_sink.issues().empty()) {
    YamlLoader loader(template_root, "", template_sink, origins);
    VisitTemplates(loader, out.types);
    loader.ReportUnknownKeys();
    CheckTemplates(out.types, template_sink);
  }

  IssueSink rules_sink(rules.name);
  YAML::Node rules_root = ParseMapping(rules, rules_sink, "default_mode:, by_priority:, ...");
  if (rules_sink.issues().empty()) {
    YamlLoader loader(rules_root, "", rules_sink, origins);
    VisitReviewRules(loader, out.review, TypeNames(out.types));
    loader.ReportUnknownKeys();
    CheckReviewRules(out.review, rules_sink);
  }

  std::vector<ConfigIssue> issues = template_sink.issues();
  issues.insert(issues.end(), rules_sink.issues().begin(), rules_sink.issues().end());
  return issues;
}

Result<TaskRules> LoadTaskRules(const std::filesystem::path& config_dir) {
  Result<void> read_error;
  RulesFile templates = ReadRulesFile(config_dir / "task_templates.yaml", read_error);
  if (!read_error) return read_error.error();
  RulesFile rules = ReadRulesFile(config_dir / "review_rules.yaml", read_error);
  if (!read_error) return read_error.error();
  TaskRules out;
  auto issues = ValidateTaskRules(templates, rules, out);
  if (issues.empty()) return out;
  std::string message = std::to_string(issues.size()) + " problem" +
                        (issues.size() == 1 ? "" : "s") + " in the task templates or review rules:";
  for (const auto& issue : issues) message += "\n  " + issue.ToString();
  return MakeError(ErrorCode::kConfigInvalid, message);
}

TaskRules DefaultTaskRules() {
  TaskRules out;
  auto issues = ValidateTaskRules({"task_templates.yaml", InitFileText("task_templates.yaml")},
                                  {"review_rules.yaml", InitFileText("review_rules.yaml")}, out);
  if (!issues.empty()) std::abort();  // the built-in text is invalid: a bug, caught by tests
  return out;
}

}  // namespace docrunch::config
