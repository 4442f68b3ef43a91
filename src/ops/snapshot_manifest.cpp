// manifest.json of a snapshot archive, written and checked.
#include <regex>

#include "ops/snapshots.h"

namespace docrunch::ops {
namespace {

using nlohmann::json;

Error Bad(const std::string& field, const std::string& why) {
  return MakeError(ErrorCode::kStorageCorrupt, "snapshot manifest: " + field + " " + why);
}

// An entry path may only name a file inside one of the archive's folders.
bool SafeEntryPath(const std::string& path) {
  static const std::regex kPrefix("(database|docs|config|data)/.+");
  if (!std::regex_match(path, kPrefix) || path.find('\0') != std::string::npos) return false;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    const std::string part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

json ToJson(const Manifest& m) {
  json entries = json::array();
  for (const auto& e : m.entries) {
    entries.push_back({{"path", e.path}, {"size", e.size}, {"xxh3", e.xxh3}});
  }
  json repo = nullptr;
  if (m.repository) {
    repo = {{"id", m.repository->id},
            {"name", m.repository->name},
            {"root_path", m.repository->root_path},
            {"created_at", m.repository->created_at}};
  }
  return {{"format", m.format},
          {"version", m.version},
          {"trigger", m.trigger},
          {"note", m.note},
          {"created_at", m.created_at},
          {"docrunch_version", m.docrunch_version},
          {"schema_version", m.schema_version},
          {"backend", m.backend},
          {"project_root", m.project_root},
          {"repository", repo},
          {"entries", entries}};
}

std::string WithoutFolder(const SnapshotEnv& env, std::string message) {
  std::string folder = env.snapshots_dir.string();
  while (folder.size() > 1 && folder.back() == '/') folder.pop_back();  // rollback.path "x/"
  if (folder.empty()) return message;
  for (const auto& [from, to] :
       {std::pair<std::string, std::string>{folder + "/", ""}, {folder, "the snapshots folder"}}) {
    for (std::size_t at = message.find(from); at != std::string::npos;
         at = message.find(from, at + to.size())) {
      message.replace(at, from.size(), to);
    }
  }
  return message;
}

json ToJson(const SnapshotInfo& s) {
  json j = ToJson(s.manifest);
  j.erase("entries");
  j["file"] = s.file.string();
  j["size"] = s.archive_size;
  std::uint64_t docs = 0;
  for (const auto& e : s.manifest.entries) docs += e.path.rfind("docs/", 0) == 0;
  j["docs_pages"] = docs;
  j["includes"] = json::array({"database", "docs", "index", "tasks", "config"});
  return j;
}

Result<Manifest> ManifestFromJson(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Bad("", "is not a JSON object");
  Manifest m;
  auto integer = [&](const char* key, auto& out) -> Result<void> {
    if (!j.contains(key) || !j[key].is_number_integer()) return Bad(key, "must be an integer");
    out = j[key].get<std::remove_reference_t<decltype(out)>>();
    return Ok();
  };
  auto text_field = [&](const char* key, std::string& out) -> Result<void> {
    if (!j.contains(key) || !j[key].is_string()) return Bad(key, "must be a string");
    out = j[key].get<std::string>();
    return Ok();
  };
  DOCRUNCH_TRY(integer("format", m.format));
  if (m.format != 1) return Bad("format", "is " + std::to_string(m.format) + ", not 1");
  DOCRUNCH_TRY(integer("version", m.version));
  if (m.version < 1) return Bad("version", "must be at least 1");
  DOCRUNCH_TRY(integer("schema_version", m.schema_version));
  DOCRUNCH_TRY(text_field("trigger", m.trigger));
  DOCRUNCH_TRY(text_field("note", m.note));
  DOCRUNCH_TRY(text_field("created_at", m.created_at));
  if (!ParseIso8601(m.created_at)) return Bad("created_at", "is not an ISO-8601 time");
  DOCRUNCH_TRY(text_field("docrunch_version", m.docrunch_version));
  DOCRUNCH_TRY(text_field("backend", m.backend));
  if (m.backend != "sqlite" && m.backend != "postgres") return Bad("backend", "is unknown");
  DOCRUNCH_TRY(text_field("project_root", m.project_root));
  if (j.contains("repository") && j["repository"].is_object()) {
    const json& r = j["repository"];
    RepositoryIdentity id;
    if (!r.contains("id") || !r["id"].is_number_integer()) return Bad("repository.id", "missing");
    id.id = r["id"].get<std::int64_t>();
    id.name = r.value("name", "");
    id.root_path = r.value("root_path", "");
    id.created_at = r.value("created_at", "");
    m.repository = id;
  } else if (j.contains("repository") && !j["repository"].is_null()) {
    return Bad("repository", "must be an object or null");
  }
  if (!j.contains("entries") || !j["entries"].is_array()) return Bad("entries", "must be a list");
  std::set<std::string> seen;
  for (const json& e : j["entries"]) {
    if (!e.is_object() || !e.contains("path") || !e["path"].is_string() || !e.contains("size") ||
        !e["size"].is_number_unsigned() || !e.contains("xxh3") || !e["xxh3"].is_string()) {
      return Bad("entries", "has an entry without path, size and xxh3");
    }
    ManifestEntry entry{e["path"].get<std::string>(), e["size"].get<std::uint64_t>(),
                        e["xxh3"].get<std::string>()};
    if (!SafeEntryPath(entry.path)) return Bad("entries", "has an unsafe path: " + entry.path);
    if (!seen.insert(entry.path).second) return Bad("entries", "lists " + entry.path + " twice");
    m.entries.push_back(std::move(entry));
  }
  return m;
}

}  // namespace docrunch::ops
