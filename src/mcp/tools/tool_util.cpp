#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "mcp/tools/tool_services.h"
#include "tasks/records.h"

namespace docrunch::mcp::tool_util {

ToolResult Failure(const Error& error) {
  std::string code = error.code == ErrorCode::kInvalidParams
                         ? "MCP_INVALID_PARAMS"
                         : std::string(ErrorCodeName(error.code));
  return ToolResult::Failure(std::move(code), error.message);
}

json Str(const std::string& description, int max_length) {
  json s{{"type", "string"}, {"description", description}};
  if (max_length > 0) s["maxLength"] = max_length;
  return s;
}

json Int(const std::string& description, int minimum, int maximum) {
  return json{{"type", "integer"},
              {"description", description},
              {"minimum", minimum},
              {"maximum", maximum}};
}

json Bool(const std::string& description) {
  return json{{"type", "boolean"}, {"description", description}};
}

json StrList(const std::string& description) {
  return json{{"type", "array"}, {"description", description}, {"items", {{"type", "string"}}}};
}

json Enum(const std::string& description, const std::vector<std::string>& values) {
  return json{{"type", "string"}, {"description", description}, {"enum", values}};
}

json Object(json properties, std::vector<std::string> required) {
  return json{{"type", "object"},
              {"properties", std::move(properties)},
              {"required", std::move(required)},
              {"additionalProperties", false}};
}

json TaskSchema() {
  json nullable_string = {{"type", {"string", "null"}}};
  return json{{"type", "object"},
              {"properties",
               {{"id", {{"type", "string"}}},
                {"type", {{"type", "string"}}},
                {"title", {{"type", "string"}}},
                {"status", {{"type", "string"}, {"enum", tasks::TaskStatusNames()}}},
                {"priority", {{"type", "string"}}},
                {"assigned_to", nullable_string},
                {"depends_on", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                {"guardrails", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                {"acceptance_criteria", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                {"progress", {{"type", "integer"}, {"minimum", 0}, {"maximum", 100}}}}},
              {"required", {"id", "type", "title", "status", "priority", "progress"}}};
}

std::vector<std::string> TaskIds(ToolServices& services, const std::string& prefix) {
  auto list = tasks::ListTasks(*services.store, services.repository_id, {});
  std::vector<std::string> out;
  if (!list) {
    spdlog::warn("completion of task ids failed: {}", list.error().ToString());
    return out;
  }
  for (auto it = list->rbegin(); it != list->rend(); ++it) {  // newest first
    std::string id = it->IdText();
    if (id.rfind(prefix, 0) == 0) out.push_back(id);
  }
  return out;
}

std::vector<std::string> ModuleNames(ToolServices& services, const std::string& prefix) {
  auto rows = services.store->Query("SELECT path FROM files WHERE repository_id = $1 ORDER BY path",
                                    {services.repository_id});
  std::set<std::string> modules;
  if (!rows) {
    spdlog::warn("completion of module names failed: {}", rows.error().ToString());
    return {};
  }
  for (std::size_t i = 0; i < rows->size(); ++i) {
    std::string path = rows->Text(i, "path").value_or("");
    auto slash = path.rfind('/');
    std::string module = slash == std::string::npos ? "" : path.substr(0, slash);
    if (!module.empty() && module.rfind(prefix, 0) == 0) modules.insert(module);
  }
  return {modules.begin(), modules.end()};
}

}  // namespace docrunch::mcp::tool_util
