#include "scan/scan_steps.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "core/files.h"
#include "scan/analyzer.h"
#include "scan/parse_pipeline.h"
#include "scan/scan_plan.h"
#include "scan/scan_store.h"
#include "store/batch.h"

namespace docrunch::scan {
namespace {

using nlohmann::json;
using store::Params;
using store::Value;

std::int64_t MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

json ProblemJson(const FileProblem& p) {
  return {{"path", p.path}, {"code", p.code}, {"message", p.message}, {"line", p.line}};
}

FileProblem ProblemFrom(const json& j) {
  return {j.value("path", ""), j.value("code", ""), j.value("message", ""), j.value("line", 0)};
}

json ValueJson(const Value& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return nullptr;
}

Value JsonValue(const json& j) {
  if (j.is_number_integer()) return j.get<std::int64_t>();
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) return j.get<std::string>();
  return std::monostate{};
}

// "($first, ..., $first+count-1)".
std::string InList(std::size_t first, std::size_t count) {
  std::string out = "(";
  for (std::size_t i = 0; i < count; ++i) out += (i ? ", $" : "$") + std::to_string(first + i);
  return out + ")";
}

constexpr std::size_t kChunk = 500;

// Every column of the rows `sql` + " IN (...)" selects for `keys`, taken
// kChunk keys at a time: {columns, rows}.
Result<json> SelectRows(store::Reader& db, const std::string& sql, const Params& leading,
                        const std::vector<Value>& keys) {
  json out{{"columns", json::array()}, {"rows", json::array()}};
  for (std::size_t start = 0; start < keys.size(); start += kChunk) {
    const std::size_t end = std::min(keys.size(), start + kChunk);
    Params params = leading;
    params.insert(params.end(), keys.begin() + static_cast<long>(start),
                  keys.begin() + static_cast<long>(end));
    auto rows = db.Query(sql + InList(leading.size() + 1, end - start), params);
    if (!rows) return rows.error();
    if (out["columns"].empty()) out["columns"] = rows->columns;
    for (const auto& row : rows->rows) {
      json r = json::array();
      for (const auto& v : row) r.push_back(ValueJson(v));
      out["rows"].push_back(std::move(r));
    }
  }
  return out;
}

Result<void> InsertCaptured(store::Tx& tx, const std::string& table, const json& captured) {
  const json& rows = captured.at("rows");
  if (rows.empty()) return Ok();
  std::vector<std::string> columns = captured.at("columns").get<std::vector<std::string>>();
  std::vector<Params> values;
  values.reserve(rows.size());
  for (const auto& row : rows) {
    Params p;
    for (const auto& v : row) p.push_back(JsonValue(v));
    values.push_back(std::move(p));
  }
  return store::InsertRows(tx, table, columns, values);
}

json RelationshipsJson(const std::vector<Relationship>& list) {
  json out = json::array();
  for (const auto& r : list) out.push_back({r.source, r.target, r.type, r.metadata});
  return out;
}

std::vector<Relationship> RelationshipsFrom(const json& list) {
  std::vector<Relationship> out;
  out.reserve(list.size());
  for (const auto& r : list) {
    out.push_back({r.at(0).get<std::string>(), r.at(1).get<std::string>(),
                   r.at(2).get<std::string>(), r.at(3).get<std::string>()});
  }
  std::sort(out.begin(), out.end());
  return out;
}

FileRecord RecordFrom(const json& f) {
  FileRecord r;
  r.path = f.at(0).get<std::string>();
  r.size = f.at(1).get<std::int64_t>();
  r.mtime_ns = f.at(2).get<std::int64_t>();
  r.content_hash = f.at(3).get<std::string>();
  return r;
}

std::size_t ParsedCount(const std::vector<json>& batches) {
  std::size_t n = 0;
  for (const auto& b : batches) n += b.at("files").size();
  return n;
}

}  // namespace

Result<json> PlanStep(store::Store& store, const ScanOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  auto start = StartScan(store, options);
  if (!start) return start.error();
  const std::filesystem::path& root = start->root;
  const std::int64_t repo = start->repository_id;
  const WalkResult& walk = start->walk;
  Plan plan = MakePlan(walk, start->stored, options.full);

  ScanSummary problems;
  for (const auto& e : walk.errors) problems.problems.push_back({e.path, e.code, e.message, 0});
  DOCRUNCH_TRY(AddStoredDiagnostics(store, repo, plan, problems));
  json out{{"repository_id", repo},
           {"root", root.string()},
           {"full", options.full},
           {"parse", json::array()},
           {"touched", json::array()},
           {"deleted", plan.deleted},
           {"unchanged", plan.unchanged},
           {"problems", json::array()},
           {"unsupported", walk.counts.unsupported_language},
           {"binary", walk.counts.binary_skipped},
           {"previous_completed", start->previous_completed}};
  for (const WalkedFile* f : plan.to_parse) {
    out["parse"].push_back(
        {f->path, f->size, f->mtime_ns, f->content_hash, std::string(LanguageName(f->language))});
  }
  for (const auto& f : plan.touched) {
    out["touched"].push_back({f.path, f.size, f.mtime_ns, f.content_hash});
  }
  for (const auto& p : problems.problems) out["problems"].push_back(ProblemJson(p));
  out["walk_ms"] = MsSince(started);
  return out;
}

Result<json> ParseStep(const ScanOptions& options, const json& plan, std::size_t first,
                       std::size_t count) {
  const auto started = std::chrono::steady_clock::now();
  const json& all = plan.at("parse");
  const std::size_t end = std::min(all.size(), first + count);
  std::vector<WalkedFile> files;
  for (std::size_t i = first; i < end; ++i) {
    const json& f = all[i];
    WalkedFile w;
    w.path = f.at(0).get<std::string>();
    w.size = f.at(1).get<std::uint64_t>();
    w.mtime_ns = f.at(2).get<std::int64_t>();
    w.content_hash = f.at(3).get<std::string>();
    w.language = LanguageNamed(f.at(4).get<std::string>());
    files.push_back(std::move(w));
  }
  std::vector<const WalkedFile*> pointers;
  for (const auto& f : files) pointers.push_back(&f);
  ScanOptions parse_options = options;
  parse_options.root = plan.at("root").get<std::string>();
  parse_options.progress = nullptr;
  ParsePipeline pipeline(parse_options, pointers);
  json out{{"files", json::array()}, {"unreadable", json::array()}, {"diagnostics", json::array()}};
  for (std::size_t i = 0; i < pointers.size(); ++i) {
    auto record = pipeline.Take(i);
    if (!record) continue;
    for (const auto& d : record->parsed.diagnostics) {
      out["diagnostics"].push_back(ProblemJson({record->path, d.code, d.message, d.line}));
    }
    out["files"].push_back(
        {record->path, record->size, record->mtime_ns, record->content_hash, json(record->parsed)});
  }
  for (const auto& problem : pipeline.Finish()) out["unreadable"].push_back(ProblemJson(problem));
  out["parse_ms"] = MsSince(started);
  return out;
}

Result<json> AnalyzeStep(store::Store& store, const ScanOptions& options, const json& plan,
                         const std::vector<json>& batches) {
  (void)options;
  const auto started = std::chrono::steady_clock::now();
  const bool changed = ParsedCount(batches) > 0 || !plan.at("deleted").empty() ||
                       !plan.at("previous_completed").get<bool>();
  if (!changed) return json{{"changed", false}, {"analyze_ms", 0}};
  const std::int64_t repo = plan.at("repository_id").get<std::int64_t>();
  auto stored = LoadFactsFrom(store, repo);
  if (!stored) return stored.error();
  std::set<std::string> replaced(plan.at("deleted").begin(), plan.at("deleted").end());
  std::vector<FileFacts> facts;
  for (const auto& batch : batches) {
    for (const auto& f : batch.at("files")) {
      const std::string path = f.at(0).get<std::string>();
      replaced.insert(path);
      facts.push_back(StoredFacts(path, f.at(4).get<ParsedFile>()));
    }
  }
  for (auto& f : *stored) {
    if (!replaced.count(f.path)) facts.push_back(std::move(f));
  }
  std::sort(facts.begin(), facts.end(),
            [](const FileFacts& a, const FileFacts& b) { return a.path < b.path; });
  ProjectFiles project;
  const std::filesystem::path root = plan.at("root").get<std::string>();
  if (auto tsconfig = ReadFileText(root / "tsconfig.json")) project.tsconfig_json = *tsconfig;
  auto relationships = Analyze(facts, project);
  std::sort(relationships.begin(), relationships.end());
  return json{{"changed", true},
              {"relationships", RelationshipsJson(relationships)},
              {"analyze_ms", MsSince(started)}};
}

Result<json> StoreStep(store::Tx& tx, const json& plan, const std::vector<json>& batches,
                       const json& analysis) {
  const auto started = std::chrono::steady_clock::now();
  const std::int64_t repo = plan.at("repository_id").get<std::int64_t>();
  const bool full = plan.at("full").get<bool>();
  const std::string now = FormatIso8601(tx.clock().Now());

  // What this step replaces, captured before it writes.
  std::vector<Value> affected;
  for (const auto& f : plan.at("parse")) affected.push_back(f.at(0).get<std::string>());
  for (const auto& f : plan.at("touched")) affected.push_back(f.at(0).get<std::string>());
  for (const auto& p : plan.at("deleted")) affected.push_back(p.get<std::string>());
  json undo{{"repository_id", repo}, {"paths", json::array()}};
  for (const auto& p : affected) undo["paths"].push_back(std::get<std::string>(p));
  auto files =
      SelectRows(tx, "SELECT * FROM files WHERE repository_id = $1 AND path IN ", {repo}, affected);
  if (!files) return files.error();
  std::vector<Value> ids;
  if (!files->at("rows").empty()) {
    const auto& columns = files->at("columns");
    const auto id_at =
        static_cast<std::size_t>(std::find(columns.begin(), columns.end(), "id") - columns.begin());
    for (const auto& row : files->at("rows")) ids.push_back(row.at(id_at).get<std::int64_t>());
  }
  undo["files"] = std::move(*files);
  for (const char* table : {"symbols", "imports", "exports"}) {
    auto rows =
        SelectRows(tx, std::string("SELECT * FROM ") + table + " WHERE file_id IN ", {}, ids);
    if (!rows) return rows.error();
    undo[table] = std::move(*rows);
  }

  auto run = tx.Query(
      "INSERT INTO scan_runs (repository_id, mode, status, started_at, summary) "
      "VALUES ($1, $2, 'running', $3, '{}') RETURNING id",
      {repo, std::string(full ? "full" : "incremental"), now});
  if (!run) return run.error();
  const std::int64_t run_id = *run->Int(0, "id");
  undo["scan_run_id"] = run_id;

  ScanSummary summary;
  summary.repository_id = repo;
  summary.scan_run_id = run_id;
  summary.full = full;
  for (const auto& p : plan.at("problems")) summary.problems.push_back(ProblemFrom(p));
  summary.unsupported_files = plan.at("unsupported").get<std::size_t>();
  summary.binary_files = plan.at("binary").get<std::size_t>();
  std::vector<FileRecord> records;
  std::int64_t parse_ms = 0;
  for (const auto& batch : batches) {
    parse_ms += batch.value("parse_ms", std::int64_t{0});
    for (const auto& f : batch.at("files")) {
      FileRecord r = RecordFrom(f);
      r.parsed = f.at(4).get<ParsedFile>();
      records.push_back(std::move(r));
    }
  }
  // The order the inline scan reports them in: files that could not be
  // read, then every parse diagnostic.
  for (const auto& batch : batches) {
    for (const auto& p : batch.at("unreadable")) summary.problems.push_back(ProblemFrom(p));
  }
  for (const auto& batch : batches) {
    for (const auto& p : batch.at("diagnostics")) {
      FileProblem problem = ProblemFrom(p);
      if (problem.code == "PARSE_UNSUPPORTED_LANGUAGE") ++summary.unsupported_files;
      summary.problems.push_back(std::move(problem));
    }
  }
  summary.files_parsed = records.size();
  summary.files_deleted = plan.at("deleted").size();
  summary.files_unchanged = plan.at("unchanged").get<std::size_t>();

  DOCRUNCH_TRY(WriteFilesIn(tx, repo, run_id, records, 0, records.size()));
  std::vector<FileRecord> touched;
  for (const auto& f : plan.at("touched")) touched.push_back(RecordFrom(f));
  DOCRUNCH_TRY(TouchFilesIn(tx, repo, touched));
  const auto deleted = plan.at("deleted").get<std::vector<std::string>>();
  DOCRUNCH_TRY(DeleteFilesIn(tx, repo, run_id, deleted));
  summary.changed =
      !records.empty() || !deleted.empty() || !plan.at("previous_completed").get<bool>();
  undo["removed"] = json::array();
  undo["added"] = json::array();
  if (summary.changed && analysis.value("changed", false)) {
    auto stored = LoadRelationshipsFrom(tx, repo);
    if (!stored) return stored.error();
    RelationshipDiff diff =
        DiffRelationships(*stored, RelationshipsFrom(analysis.at("relationships")));
    if (diff.changed() || !records.empty() || !deleted.empty()) {
      DOCRUNCH_TRY(ApplyRelationshipDiff(tx, repo, run_id, diff));
    }
    undo["removed"] = RelationshipsJson(diff.removed);
    undo["added"] = RelationshipsJson(diff.added);
  }
  DOCRUNCH_TRY(CountStored(tx, repo, summary));
  const std::int64_t walk_ms = plan.value("walk_ms", std::int64_t{0});
  const std::int64_t analyze_ms = analysis.value("analyze_ms", std::int64_t{0});
  const std::int64_t store_ms = MsSince(started);
  summary.steps = {{"walk", std::chrono::milliseconds(walk_ms)},
                   {"parse", std::chrono::milliseconds(parse_ms)},
                   {"store", std::chrono::milliseconds(store_ms)},
                   {"analyze", std::chrono::milliseconds(analyze_ms)}};
  summary.duration = std::chrono::milliseconds(walk_ms + parse_ms + analyze_ms + store_ms);
  json summary_json = SummaryToJson(summary);
  auto finished = tx.Exec(
      "UPDATE scan_runs SET status = 'completed', finished_at = $2, files_scanned = $3, "
      "files_changed = $4, summary = $5 WHERE id = $1",
      {run_id, now, static_cast<std::int64_t>(summary.files),
       static_cast<std::int64_t>(summary.files_parsed + summary.files_deleted),
       summary_json.dump(-1, ' ', false, json::error_handler_t::replace)});
  if (!finished) return finished.error();
  return json{
      {"scan_run_id", run_id}, {"summary", std::move(summary_json)}, {"undo", std::move(undo)}};
}

Result<void> UndoStoreStep(store::Store& store, const json& stored) {
  const json& undo = stored.at("undo");
  const std::int64_t repo = undo.at("repository_id").get<std::int64_t>();
  const std::int64_t run_id = undo.at("scan_run_id").get<std::int64_t>();
  return store.Transact([&](store::Tx& tx) -> Result<void> {
    std::vector<Value> paths;
    for (const auto& p : undo.at("paths")) paths.push_back(p.get<std::string>());
    for (std::size_t start = 0; start < paths.size(); start += kChunk) {
      const std::size_t end = std::min(paths.size(), start + kChunk);
      Params params{repo};
      params.insert(params.end(), paths.begin() + static_cast<long>(start),
                    paths.begin() + static_cast<long>(end));
      auto removed = tx.Exec(
          "DELETE FROM files WHERE repository_id = $1 AND path IN " + InList(2, end - start),
          params);
      if (!removed) return removed.error();
    }
    // The rows as they were, ids included; children after their files.
    for (const char* table : {"files", "symbols", "imports", "exports"}) {
      DOCRUNCH_TRY(InsertCaptured(tx, table, undo.at(table)));
    }
    // Each path's derived documents follow its restored row (or its absence).
    std::map<std::string, std::string> hashes;
    const json& files = undo.at("files");
    if (!files.at("rows").empty()) {
      const auto& columns = files.at("columns");
      const auto at = [&](const char* name) {
        return static_cast<std::size_t>(std::find(columns.begin(), columns.end(), name) -
                                        columns.begin());
      };
      for (const auto& row : files.at("rows")) {
        hashes[row.at(at("path")).get<std::string>()] =
            row.at(at("content_hash")).get<std::string>();
      }
    }
    std::vector<store::SyncEvent> events;
    for (const auto& p : paths) {
      const std::string& path = std::get<std::string>(p);
      auto it = hashes.find(path);
      if (it == hashes.end()) {
        events.push_back({repo, "file", path, "", "delete", run_id, 0});
      } else {
        // A target that applied the scan's version re-applies this one (the
        // hashes differ); one that never did already holds it and skips.
        events.push_back({repo, "file", path, it->second, "upsert", run_id, 0});
      }
    }
    DOCRUNCH_TRY(store::EmitSyncEvents(tx, events));
    RelationshipDiff back{RelationshipsFrom(undo.at("added")),
                          RelationshipsFrom(undo.at("removed"))};
    if (back.changed() || !paths.empty()) {
      DOCRUNCH_TRY(ApplyRelationshipDiff(tx, repo, run_id, back, /*undo=*/true));
    }
    auto marked = tx.Exec(
        "UPDATE scan_runs SET status = 'failed', error = $2 WHERE id = $1",
        {run_id, std::string("COMPENSATED: the workflow failed after storing this scan; its "
                             "changes were undone")});
    if (!marked) return marked.error();
    return Ok();
  });
}

}  // namespace docrunch::scan
