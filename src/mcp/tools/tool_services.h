// The Docrunch MCP catalog: the tools, resources and prompts of PRODUCT §9,
// each a thin facade over the scan, search and task services.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/result.h"
#include "mcp/server/catalog.h"
#include "search/search.h"
#include "search/traces.h"
#include "store/store.h"
#include "tasks/task_service.h"

namespace docrunch::chat {
class ChatService;
}

namespace docrunch::ops {
struct SnapshotEnv;
}

namespace docrunch::mcp {

// What the tools call. Everything must outlive the catalog.
struct ToolServices {
  store::Store* store = nullptr;
  std::int64_t repository_id = 0;
  tasks::TaskService* tasks = nullptr;
  std::filesystem::path docs_root;  // the generated Markdown (docrunch-docs/)
  std::string project_name;
  search::SearchOptions search;        // ranking options (the embeddings endpoint, if any)
  search::TraceLog* traces = nullptr;  // where search_docs leaves its traces; null: none
  chat::ChatService* chat = nullptr;   // the ask tool's (null: ask fails with INTERNAL)
  // The snapshot tools' folder and settings (null: they fail, saying so).
  const ops::SnapshotEnv* snapshots = nullptr;
};

Catalog BuildCatalog(ToolServices& services);
// The URIs of the catalog's listed_resources (what the change feed compares
// to tell sessions the resource list changed).
std::vector<std::string> ListedResourceUris(ToolServices& services);

// --- the parts, one file each ---
void AddQueryTools(Catalog& catalog, ToolServices& services);
void AddReportTools(Catalog& catalog, ToolServices& services);
void AddAdminTools(Catalog& catalog, ToolServices& services);
void AddChatTools(Catalog& catalog, ToolServices& services);  // ask
void AddResources(Catalog& catalog, ToolServices& services);
void AddPrompts(Catalog& catalog, ToolServices& services);

// Shared by the parts.
namespace tool_util {
// A tool failure for a service error: INVALID_PARAMS becomes
// MCP_INVALID_PARAMS; other codes keep their name (STORAGE_NOT_FOUND,
// TASK_ALREADY_CLAIMED, ...).
ToolResult Failure(const Error& error);
// JSON Schema building blocks.
json Str(const std::string& description, int max_length = 0);
json Int(const std::string& description, int minimum, int maximum);
json Bool(const std::string& description);
json StrList(const std::string& description);
json Enum(const std::string& description, const std::vector<std::string>& values);
json Object(json properties, std::vector<std::string> required);
json TaskSchema();
// Candidate ids / names for completion.
std::vector<std::string> TaskIds(ToolServices& services, const std::string& prefix);
std::vector<std::string> ModuleNames(ToolServices& services, const std::string& prefix);
}  // namespace tool_util

}  // namespace docrunch::mcp
