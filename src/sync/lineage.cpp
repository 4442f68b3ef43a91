// The lineage graph and the counts it shows (dataflow.h).
#include <algorithm>
#include <map>

#include "store/pending_events.h"
#include "sync/dataflow.h"
#include "sync/lightrag_projection.h"

namespace docrunch::sync {
namespace {

using nlohmann::json;

// storage_sync rows that are a target's own bookkeeping, not entities.
const std::string kNotEntities = "('pages', '" + std::string(kLightRagDocsType) + "')";

Result<std::int64_t> Count(store::Reader& db, const std::string& sql, const store::Params& params) {
  auto rows = db.Query(sql, params);
  if (!rows) return rows.error();
  return rows->empty() ? 0 : rows->Int(0, "n").value_or(0);
}

json Node(const std::string& id, const std::string& label, const std::string& kind, json counts) {
  return {{"id", id}, {"label", label}, {"kind", kind}, {"counts", std::move(counts)}};
}

json Edge(const std::string& source, const std::string& target, const std::string& label,
          std::int64_t count) {
  return {{"source", source}, {"target", target}, {"label", label}, {"count", count}};
}

const char* StoreLabel(const std::string& target) {
  if (target == "index") return "search index";
  if (target == "markdown") return "Markdown docs";
  if (target == "lightrag") return "LightRAG";
  return "derived store";
}

// The derived store of a target and how many records it holds.
Result<json> StoreNode(store::Reader& db, std::int64_t repo, const std::string& target,
                       const LineageOptions& options) {
  json counts = json::object();
  if (target == "index") {
    auto docs = Count(db, "SELECT COUNT(*) AS n FROM search_docs WHERE repository_id = $1", {repo});
    if (!docs) return docs.error();
    counts["documents"] = *docs;
  } else if (target == "markdown") {
    counts["pages"] = CountMarkdownPages(options.docs_root);
  } else if (target == "lightrag") {
    auto docs = CountLightRagDocuments(db, repo);
    if (!docs) return docs.error();
    counts["documents"] = *docs;
  }
  return Node("store:" + target, StoreLabel(target), "store", std::move(counts));
}

}  // namespace

const std::vector<SourceTable>& SourceTables() {
  static const std::vector<SourceTable> tables{
      {"repositories", "repository", ""},
      {"files", "file", ""},
      {"symbols", "file", "files"},
      {"imports", "file", "files"},
      {"exports", "file", "files"},
      {"relationships", "relationships", ""},
      {"tasks", "task", ""},
      {"task_history", "task", "tasks"},
      {"completion_reports", "task", "tasks"},
      {"findings", "task", "tasks"},
      {"blockers", "task", "tasks"},
      {"decisions", "decision", ""},
  };
  return tables;
}

Result<std::vector<std::pair<std::string, std::int64_t>>> CountSourceRows(store::Reader& db,
                                                                          std::int64_t repo) {
  std::vector<std::pair<std::string, std::int64_t>> out;
  for (const auto& t : SourceTables()) {
    // The names are this file's constants, never a client's.
    const std::string column = std::string(t.table) == "repositories" ? "id" : "repository_id";
    auto n = Count(
        db, "SELECT COUNT(*) AS n FROM " + std::string(t.table) + " WHERE " + column + " = $1",
        {repo});
    if (!n) return n.error();
    out.emplace_back(t.table, *n);
  }
  return out;
}

std::int64_t CountMarkdownPages(const std::filesystem::path& docs_root) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (docs_root.empty() || !fs::is_directory(docs_root, ec)) return 0;
  std::int64_t pages = 0;
  for (fs::recursive_directory_iterator it(docs_root, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->path().extension() == ".md" && it->is_regular_file(ec)) ++pages;
    if (pages >= 1'000'000) break;
  }
  return pages;
}

Result<std::int64_t> CountLightRagDocuments(store::Reader& db, std::int64_t repo) {
  auto rows = db.Query(
      "SELECT last_synced_hash FROM storage_sync WHERE repository_id = $1 AND target = "
      "'lightrag' AND entity_type = $2",
      {repo, std::string(kLightRagDocsType)});
  if (!rows) return rows.error();
  std::int64_t documents = 0;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    // The ids, space-separated.
    std::string ids = rows->Text(i, "last_synced_hash").value_or("");
    documents += std::count(ids.begin(), ids.end(), ' ') + (ids.empty() ? 0 : 1);
  }
  return documents;
}

Result<json> LoadLineage(store::Reader& db, std::int64_t repo, const LineageOptions& options,
                         TimePoint now) {
  json nodes = json::array(), edges = json::array();
  auto runs = Count(db, "SELECT COUNT(*) AS n FROM scan_runs WHERE repository_id = $1", {repo});
  if (!runs) return runs.error();
  nodes.push_back(Node("scanner", "scanner", "producer", {{"runs", *runs}}));

  // Events per entity type, and the outbox's own state.
  auto by_type = db.Query(
      "SELECT entity_type, COUNT(*) AS n FROM sync_events WHERE repository_id = $1 "
      "GROUP BY entity_type",
      {repo});
  if (!by_type) return by_type.error();
  std::map<std::string, std::int64_t> events_of;
  for (std::size_t i = 0; i < by_type->size(); ++i) {
    events_of[by_type->Text(i, "entity_type").value_or("")] = by_type->Int(i, "n").value_or(0);
  }
  auto counts = CountSourceRows(db, repo);
  if (!counts) return counts.error();
  for (std::size_t i = 0; i < counts->size(); ++i) {
    const SourceTable& t = SourceTables()[i];
    const std::string id = "table:" + std::string(t.table);
    nodes.push_back(Node(id, t.table, "source", {{"rows", (*counts)[i].second}}));
    if (std::string(t.owner).empty()) {
      edges.push_back(Edge(id, "sync_events", t.entity_type, events_of[t.entity_type]));
    } else {
      edges.push_back(
          Edge(id, "table:" + std::string(t.owner), "travels with", (*counts)[i].second));
    }
  }
  std::map<std::string, std::int64_t> rows_of(counts->begin(), counts->end());
  for (const char* scanned : {"files", "symbols", "relationships"}) {
    edges.push_back(Edge("scanner", "table:" + std::string(scanned), "scan", rows_of[scanned]));
  }

  std::int64_t total = 0;
  for (const auto& [type, n] : events_of) total += n;
  auto pending =
      Count(db, "SELECT COUNT(*) AS n FROM " + store::PendingEvents("$1") + " AS e", {repo});
  if (!pending) return pending.error();
  json outbox{{"total", total}, {"pending", *pending}, {"processed", total - *pending}};
  for (const char* state : {"failed", "dead_letter"}) {
    auto n = Count(db,
                   "SELECT COUNT(*) AS n FROM (SELECT DISTINCT entity_type, entity_id FROM "
                   "storage_sync WHERE repository_id = $1 AND status = $2 AND entity_type NOT IN " +
                       kNotEntities + ") x",
                   {repo, std::string(state)});
    if (!n) return n.error();
    outbox[state] = *n;
  }
  nodes.push_back(Node("sync_events", "outbox (sync_events)", "outbox", outbox));

  auto status = LoadSyncStatus(db, repo, options.targets, options.sla, now);
  if (!status) return status.error();
  for (const auto& t : status->targets) {
    const std::string worker = "worker:" + t.target;
    nodes.push_back(Node(worker, "sync worker: " + t.target, "worker",
                         {{"ok", t.synced},
                          {"pending", *pending + t.retrying},
                          {"retrying", t.retrying},
                          {"failed", t.failed},
                          {"dead_letter", t.dead_letter},
                          {"behind", t.reports.behind + t.scans.behind},
                          {"lag_seconds", std::max(t.reports.oldest_s, t.scans.oldest_s)}}));
    edges.push_back(Edge("sync_events", worker, "claims", total - *pending));
    auto store_node = StoreNode(db, repo, t.target, options);
    if (!store_node) return store_node.error();
    nodes.push_back(*store_node);
    edges.push_back(Edge(worker, "store:" + t.target, "applies", t.synced));
    if (t.target != "lightrag") {
      const json& c = (*store_node)["counts"];
      std::int64_t held = c.contains("documents") ? c["documents"].get<std::int64_t>()
                                                  : c.value("pages", std::int64_t{0});
      edges.push_back(Edge("store:" + t.target, "mcp",
                           t.target == "index" ? "search_docs" : "docs:// resources", held));
    }
  }
  auto tokens = Count(db, "SELECT COUNT(*) AS n FROM agent_tokens WHERE revoked_at IS NULL", {});
  if (!tokens) return tokens.error();
  nodes.push_back(Node("mcp", "MCP server", "consumer", json::object()));
  nodes.push_back(Node("agents", "agents", "consumer", {{"tokens", *tokens}}));
  edges.push_back(Edge("mcp", "agents", "tools", *tokens));
  return json{{"nodes", std::move(nodes)}, {"edges", std::move(edges)}};
}

json DiffStats(const std::vector<DiffEntry>& entries) {
  json per_target = json::object(), per_kind = json::object();
  for (const auto& e : entries) {
    json& t = per_target[e.target];
    if (t.is_null()) t = {{"total", 0}, {"missing", 0}, {"stale", 0}};
    t["total"] = t["total"].get<std::int64_t>() + 1;
    t[e.state] = t.value(e.state, std::int64_t{0}) + 1;
    json& k = per_kind[e.entity_type];
    if (k.is_null()) k = {{"missing", 0}, {"stale", 0}};
    k[e.state] = k.value(e.state, std::int64_t{0}) + 1;
  }
  return {{"total", entries.size()}, {"per_target", per_target}, {"per_kind", per_kind}};
}

}  // namespace docrunch::sync
