// The files `docrunch init` writes into .docrunch/.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace docrunch::config {

// hosted: PostgreSQL, Redis, MCP over HTTP and REST with auth,
// security.mode hosted, every secret an environment variable's name.
enum class InitTemplate { kMinimal, kStandard, kFull, kHosted };

std::optional<InitTemplate> ParseInitTemplate(const std::string& name);

struct TemplateFile {
  std::string name;  // file name inside .docrunch/
  std::string content;
};

// config.yaml, task_templates.yaml, review_rules.yaml, ignore.yaml and
// cli_models.json for a project called `project_name`.
std::vector<TemplateFile> InitFiles(InitTemplate kind, const std::string& project_name);

}  // namespace docrunch::config
