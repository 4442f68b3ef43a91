#include "scan/scan_store.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "core/files.h"
#include "core/json_writer.h"
#include "store/batch.h"
#include "store/repositories.h"

namespace docrunch::scan {
namespace {

using nlohmann::json;
using store::Params;
using store::Value;

std::string Now(store::Tx& tx) {
  return FormatIso8601(tx.clock().Now());
}

std::string MtimeIso(std::int64_t mtime_ns) {
  return FormatIso8601(TimePoint(
      std::chrono::duration_cast<TimePoint::duration>(std::chrono::nanoseconds(mtime_ns))));
}

// The JSON columns are written by hand (strings by core/json_writer), byte
// for byte what nlohmann's dump() gives for the same values (a test holds
// them to it): building and dumping json objects cost the single writer
// thread more than a tenth of its instructions on python3.11.
std::string JsonStrings(const std::vector<std::string>& values) {
  std::string out = "[";
  for (const auto& v : values) {
    if (out.size() > 1) out += ',';
    AppendJsonString(out, v);
  }
  return out + "]";
}

// [["caller","callee",line],...] for calls and uses alike.
template <class Ref, class Member>
void AppendRefs(std::string& out, const std::vector<Ref>& refs, Member first, Member second) {
  out += '[';
  for (std::size_t i = 0; i < refs.size(); ++i) {
    out += i ? ",[" : "[";
    AppendJsonString(out, refs[i].*first);
    out += ',';
    AppendJsonString(out, refs[i].*second);
    out += ',';
    out += std::to_string(refs[i].line);
    out += ']';
  }
  out += ']';
}

std::string RefsJson(const ParsedFile& parsed) {
  std::string out = "{\"calls\":";
  AppendRefs(out, parsed.calls, &Call::caller, &Call::callee);
  out += ",\"uses\":";
  AppendRefs(out, parsed.uses, &ComponentUse::user, &ComponentUse::used);
  return out + "}";
}

std::string DiagnosticsJson(const ParsedFile& parsed) {
  std::string out = "[";
  for (const auto& d : parsed.diagnostics) {
    out += out.size() > 1 ? ",{\"code\":" : "{\"code\":";
    AppendJsonString(out, d.code);
    out += ",\"line\":" + std::to_string(d.line) + ",\"message\":";
    AppendJsonString(out, d.message);
    out += '}';
  }
  return out + "]";
}

// "(1, 2, 3)"-style parameter list for an IN clause, starting at $first.
std::string InList(std::size_t first, std::size_t count) {
  std::string out = "(";
  for (std::size_t i = 0; i < count; ++i) out += (i ? ", $" : "$") + std::to_string(first + i);
  return out + ")";
}

Result<void> DeleteChildren(store::Tx& tx, const std::vector<std::int64_t>& file_ids) {
  for (const char* table : {"symbols", "imports", "exports"}) {
    for (std::size_t start = 0; start < file_ids.size(); start += 500) {
      std::size_t end = std::min(file_ids.size(), start + 500);
      Params params(file_ids.begin() + static_cast<long>(start),
                    file_ids.begin() + static_cast<long>(end));
      auto r = tx.Exec(
          std::string("DELETE FROM ") + table + " WHERE file_id IN " + InList(1, params.size()),
          params);
      if (!r) return r.error();
    }
  }
  return Ok();
}

// Inserts or updates the rows of files[start, end) in multi-row statements
// and returns their ids in the same order. One statement per file cost a
// flush of SQLite's full-text index (the files trigger writes it) per file.
Result<std::vector<std::int64_t>> UpsertFiles(store::Tx& tx, std::int64_t repo,
                                              const std::string& now,
                                              const std::vector<FileRecord>& files,
                                              std::size_t start, std::size_t end) {
  constexpr std::size_t kRowsPerStatement = 200;  // 11 parameters each
  std::vector<std::int64_t> ids;
  for (std::size_t first = start; first < end; first += kRowsPerStatement) {
    std::size_t last = std::min(end, first + kRowsPerStatement);
    std::string sql =
        "INSERT INTO files (repository_id, path, language, size, modified_at, content_hash, "
        "last_scanned, mtime_ns, diagnostics, refs, deprecated) VALUES ";
    Params params;
    params.reserve((last - first) * 11);
    for (std::size_t i = first; i < last; ++i) {
      const FileRecord& f = files[i];
      sql += i == first ? "(" : ", (";
      for (std::size_t c = 1; c <= 11; ++c) {
        sql += (c > 1 ? ", $" : "$") + std::to_string(params.size() + c);
      }
      sql += ")";
      params.insert(params.end(), {repo, f.path, std::string(LanguageName(f.parsed.language)),
                                   f.size, MtimeIso(f.mtime_ns), f.content_hash, now, f.mtime_ns,
                                   DiagnosticsJson(f.parsed), RefsJson(f.parsed),
                                   std::int64_t{f.parsed.deprecated}});
    }
    sql +=
        " ON CONFLICT (repository_id, path) DO UPDATE SET language = excluded.language, "
        "size = excluded.size, modified_at = excluded.modified_at, "
        "content_hash = excluded.content_hash, last_scanned = excluded.last_scanned, "
        "mtime_ns = excluded.mtime_ns, diagnostics = excluded.diagnostics, "
        "refs = excluded.refs, deprecated = excluded.deprecated";
    auto upserted = tx.Exec(sql, params);
    if (!upserted) return upserted.error();
    // The ids, by path (RETURNING leaves the row order open on SQLite).
    Params paths{repo};
    for (std::size_t i = first; i < last; ++i) paths.push_back(files[i].path);
    auto rows = tx.Query("SELECT id, path FROM files WHERE repository_id = $1 AND path IN " +
                             InList(2, last - first),
                         paths);
    if (!rows) return rows.error();
    std::map<std::string, std::int64_t> by_path;
    for (std::size_t r = 0; r < rows->size(); ++r) {
      by_path[*rows->Text(r, "path")] = *rows->Int(r, "id");
    }
    for (std::size_t i = first; i < last; ++i) {
      auto it = by_path.find(files[i].path);
      if (it == by_path.end()) {
        return MakeError(ErrorCode::kInternal, "file " + files[i].path + " was not stored");
      }
      ids.push_back(it->second);
    }
  }
  return ids;
}

void CollectChildren(std::int64_t repo, std::int64_t file_id, const ParsedFile& parsed,
                     std::vector<Params>& symbols, std::vector<Params>& imports,
                     std::vector<Params>& exports) {
  for (const auto& s : parsed.symbols) {
    symbols.push_back({repo, file_id, std::string(SymbolKindName(s.kind)), s.name, s.qualified_name,
                       std::int64_t{s.start_line}, std::int64_t{s.end_line}, s.signature,
                       s.docstring, JsonStrings(s.bases), s.detail, JsonStrings(s.implements),
                       JsonStrings(s.fields), s.body_terms, std::int64_t{s.deprecated}});
  }
  for (const auto& i : parsed.imports) {
    bool relative = !i.module.empty() && i.module[0] == '.';
    imports.push_back({repo, file_id, i.module, JsonStrings({i.name}), i.alias,
                       std::int64_t{i.line}, std::int64_t{relative}, i.name,
                       std::int64_t{i.end_line}});
  }
  for (const auto& e : parsed.exports) {
    std::string kind = !e.source.empty() ? "reexport" : e.is_default ? "default" : "named";
    exports.push_back({repo, file_id, e.name, kind, std::int64_t{e.line}, e.alias,
                       std::int64_t{e.is_default}, e.source});
  }
}

}  // namespace

Result<std::int64_t> ScanStore::EnsureRepository(const std::string& root_path,
                                                 const std::string& name) {
  return store::EnsureRepository(store_, root_path, name);
}

Result<std::map<std::string, StoredFile>> ScanStore::LoadFiles(std::int64_t repo) {
  auto rows = store_.Query(
      "SELECT id, path, size, mtime_ns, content_hash FROM files WHERE repository_id = $1", {repo});
  if (!rows) return rows.error();
  std::map<std::string, StoredFile> out;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    out[*rows->Text(i, "path")] = {*rows->Int(i, "id"), rows->Int(i, "size").value_or(0),
                                   rows->Int(i, "mtime_ns").value_or(0),
                                   *rows->Text(i, "content_hash")};
  }
  return out;
}

namespace {

// Who runs this process, as far as another process can tell whether it
// still runs: the host, the boot, the pid namespace (containers sharing a
// host name have their own pids) and the pid.
nlohmann::json ProcessOwner() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) name[0] = '\0';
  auto boot_id = ReadFileText("/proc/sys/kernel/random/boot_id");
  std::string boot = boot_id ? *boot_id : "";
  while (!boot.empty() && boot.back() == '\n') boot.pop_back();
  std::error_code ec;
  const std::string pid_ns = std::filesystem::read_symlink("/proc/self/ns/pid", ec).string();
  return {{"host", std::string(name)},
          {"boot", boot},
          {"pid_ns", pid_ns},
          {"pid", static_cast<std::int64_t>(getpid())}};
}

}  // namespace

Result<std::int64_t> ScanStore::BeginScanRun(std::int64_t repo, bool full) {
  std::int64_t id = 0;
  const std::string owner = ProcessOwner().dump();
  DOCRUNCH_TRY(store_.Transact([&](store::Tx& tx) -> Result<void> {
    auto rows = tx.Query(
        "INSERT INTO scan_runs (repository_id, mode, status, started_at, summary) "
        "VALUES ($1, $2, 'running', $3, $4) RETURNING id",
        {repo, std::string(full ? "full" : "incremental"), Now(tx), owner});
    if (!rows) return rows.error();
    id = *rows->Int(0, "id");
    return Ok();
  }));
  return id;
}

Result<int> ScanStore::CloseAbandonedRuns(std::int64_t repo) {
  auto rows = store_.Query(
      "SELECT id, summary FROM scan_runs WHERE repository_id = $1 AND status = 'running'", {repo});
  if (!rows) return rows.error();
  const nlohmann::json self = ProcessOwner();
  std::vector<std::int64_t> abandoned;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    auto owner = nlohmann::json::parse(rows->Text(i, "summary").value_or(""), nullptr, false);
    const bool comparable = owner.is_object() && owner.contains("pid") &&
                            owner["pid"].is_number() && owner.value("host", "") == self["host"] &&
                            owner.value("boot", "") == self["boot"] &&
                            owner.value("pid_ns", "") == self["pid_ns"];
    if (!comparable) continue;  // an older version's run, another machine's or container's
    const auto pid = static_cast<pid_t>(owner["pid"].get<std::int64_t>());
    if (pid > 0 && !ProcessRunning(pid)) abandoned.push_back(*rows->Int(i, "id"));
  }
  if (abandoned.empty()) return 0;
  DOCRUNCH_TRY(store_.Transact([&](store::Tx& tx) -> Result<void> {
    for (std::int64_t id : abandoned) {
      auto r = tx.Exec(
          "UPDATE scan_runs SET status = 'failed', finished_at = $2, error = $3 WHERE id = $1 AND "
          "status = 'running'",
          {id, Now(tx),
           std::string("ABANDONED: its process ended without finishing it (killed?); the next "
                       "scan went on from what it had stored")});
      if (!r) return r.error();
    }
    return Ok();
  }));
  return static_cast<int>(abandoned.size());
}

Result<bool> ScanStore::LastRunCompleted(std::int64_t repo) {
  auto rows = store_.Query(
      "SELECT status FROM scan_runs WHERE repository_id = $1 ORDER BY id DESC LIMIT 1", {repo});
  if (!rows) return rows.error();
  return rows->empty() || rows->Text(0, "status") == "completed";
}

Result<void> ScanStore::FinishScanRun(std::int64_t run_id, const ScanRunCounts& counts,
                                      const std::string& summary_json, const std::string& error) {
  return store_.Transact([&](store::Tx& tx) -> Result<void> {
    auto r = tx.Exec(
        "UPDATE scan_runs SET status = $2, finished_at = $3, files_scanned = $4, files_changed = "
        "$5, "
        "summary = $6, error = $7 WHERE id = $1",
        {run_id, std::string(error.empty() ? "completed" : "failed"), Now(tx), counts.files_scanned,
         counts.files_changed, summary_json,
         error.empty() ? Value(std::monostate{}) : Value(error)});
    if (!r) return r.error();
    return Ok();
  });
}

Result<void> ScanStore::WriteFiles(std::int64_t repo, std::int64_t run_id,
                                   const std::vector<FileRecord>& files, const FileHook& hook,
                                   std::size_t batch) {
  for (std::size_t start = 0; start < files.size(); start += batch) {
    std::size_t end = std::min(files.size(), start + batch);
    DOCRUNCH_TRY(store_.Transact([&](store::Tx& tx) -> Result<void> {
      return WriteFilesIn(tx, repo, run_id, files, start, end, hook);
    }));
  }
  return Ok();
}

Result<void> WriteFilesIn(store::Tx& tx, std::int64_t repo, std::int64_t run_id,
                          const std::vector<FileRecord>& files, std::size_t start, std::size_t end,
                          const ScanStore::FileHook& hook) {
  if (start >= end) return Ok();
  std::string now = Now(tx);
  auto ids = UpsertFiles(tx, repo, now, files, start, end);
  if (!ids) return ids.error();
  DOCRUNCH_TRY(DeleteChildren(tx, *ids));
  std::vector<Params> symbols, imports, exports;
  std::vector<store::SyncEvent> events;
  for (std::size_t i = start; i < end; ++i) {
    CollectChildren(repo, (*ids)[i - start], files[i].parsed, symbols, imports, exports);
    events.push_back({repo, "file", files[i].path, files[i].content_hash, "upsert", run_id, 0});
    if (hook) DOCRUNCH_TRY(hook(tx, files[i].path, &files[i].parsed));
  }
  DOCRUNCH_TRY(store::InsertRows(tx, "symbols",
                                 {"repository_id", "file_id", "kind", "name", "qualified_name",
                                  "start_line", "end_line", "signature", "docstring", "bases",
                                  "detail", "implements", "fields", "body_terms", "deprecated"},
                                 symbols));
  DOCRUNCH_TRY(store::InsertRows(tx, "imports",
                                 {"repository_id", "file_id", "module", "names", "alias", "line",
                                  "is_relative", "name", "end_line"},
                                 imports));
  DOCRUNCH_TRY(store::InsertRows(
      tx, "exports",
      {"repository_id", "file_id", "name", "kind", "line", "alias", "is_default", "source"},
      exports));
  return store::EmitSyncEvents(tx, events);
}

Result<void> ScanStore::TouchFiles(std::int64_t repo, const std::vector<FileRecord>& files) {
  if (files.empty()) return Ok();
  return store_.Transact([&](store::Tx& tx) { return TouchFilesIn(tx, repo, files); });
}

Result<void> TouchFilesIn(store::Tx& tx, std::int64_t repo, const std::vector<FileRecord>& files) {
  for (const auto& f : files) {
    auto r = tx.Exec(
        "UPDATE files SET size = $3, mtime_ns = $4, modified_at = $5 "
        "WHERE repository_id = $1 AND path = $2",
        {repo, f.path, f.size, f.mtime_ns, MtimeIso(f.mtime_ns)});
    if (!r) return r.error();
  }
  return Ok();
}

Result<void> ScanStore::DeleteFiles(std::int64_t repo, std::int64_t run_id,
                                    const std::vector<std::string>& paths, const FileHook& hook) {
  if (paths.empty()) return Ok();
  return store_.Transact(
      [&](store::Tx& tx) { return DeleteFilesIn(tx, repo, run_id, paths, hook); });
}

Result<void> DeleteFilesIn(store::Tx& tx, std::int64_t repo, std::int64_t run_id,
                           const std::vector<std::string>& paths, const ScanStore::FileHook& hook) {
  std::vector<store::SyncEvent> events;
  for (const auto& path : paths) {
    auto r = tx.Exec("DELETE FROM files WHERE repository_id = $1 AND path = $2", {repo, path});
    if (!r) return r.error();
    events.push_back({repo, "file", path, "", "delete", run_id, 0});
    if (hook) DOCRUNCH_TRY(hook(tx, path, nullptr));
  }
  return store::EmitSyncEvents(tx, events);
}

Result<std::vector<FileFacts>> ScanStore::LoadFacts(std::int64_t repo) {
  return LoadFactsFrom(store_, repo);
}

Result<std::vector<FileFacts>> LoadFactsFrom(store::Reader& db, std::int64_t repo) {
  auto files = db.Query(
      "SELECT id, path, language, refs FROM files WHERE repository_id = $1 ORDER BY path", {repo});
  if (!files) return files.error();
  std::vector<FileFacts> out(files->size());
  std::map<std::int64_t, std::size_t> by_id;
  for (std::size_t i = 0; i < files->size(); ++i) {
    by_id[*files->Int(i, "id")] = i;
    out[i].path = *files->Text(i, "path");
    out[i].parsed.language = LanguageForPath(out[i].path);
    json refs = json::parse(files->Text(i, "refs").value_or("{}"), nullptr, false);
    if (refs.is_object()) {
      for (const auto& c : refs.value("calls", json::array())) {
        out[i].parsed.calls.push_back(
            {c[0].get<std::string>(), c[1].get<std::string>(), c[2].get<int>()});
      }
      for (const auto& u : refs.value("uses", json::array())) {
        out[i].parsed.uses.push_back(
            {u[0].get<std::string>(), u[1].get<std::string>(), u[2].get<int>()});
      }
    }
  }
  auto symbols = db.Query(
      "SELECT file_id, kind, name, qualified_name, bases, implements FROM symbols "
      "WHERE repository_id = $1 ORDER BY id",
      {repo});
  if (!symbols) return symbols.error();
  for (std::size_t i = 0; i < symbols->size(); ++i) {
    Symbol s;
    s.kind = SymbolKindNamed(*symbols->Text(i, "kind"));
    s.name = *symbols->Text(i, "name");
    s.qualified_name = *symbols->Text(i, "qualified_name");
    s.bases = json::parse(symbols->Text(i, "bases").value_or("[]")).get<std::vector<std::string>>();
    s.implements =
        json::parse(symbols->Text(i, "implements").value_or("[]")).get<std::vector<std::string>>();
    out[by_id.at(*symbols->Int(i, "file_id"))].parsed.symbols.push_back(std::move(s));
  }
  auto imports = db.Query(
      "SELECT file_id, module, name, alias, line, end_line FROM imports WHERE repository_id = $1 "
      "ORDER BY id",
      {repo});
  if (!imports) return imports.error();
  for (std::size_t i = 0; i < imports->size(); ++i) {
    out[by_id.at(*imports->Int(i, "file_id"))].parsed.imports.push_back(
        {*imports->Text(i, "module"), imports->Text(i, "name").value_or(""),
         imports->Text(i, "alias").value_or(""),
         static_cast<int>(imports->Int(i, "line").value_or(0)),
         static_cast<int>(imports->Int(i, "end_line").value_or(0))});
  }
  auto exports = db.Query(
      "SELECT file_id, name, alias, is_default, source, line FROM exports WHERE repository_id = $1 "
      "ORDER BY id",
      {repo});
  if (!exports) return exports.error();
  for (std::size_t i = 0; i < exports->size(); ++i) {
    out[by_id.at(*exports->Int(i, "file_id"))].parsed.exports.push_back(
        {*exports->Text(i, "name"), exports->Text(i, "alias").value_or(""),
         exports->Int(i, "is_default").value_or(0) != 0, exports->Text(i, "source").value_or(""),
         static_cast<int>(exports->Int(i, "line").value_or(0))});
  }
  // In byte order whatever the database's collation, as StoredFacts lists.
  std::sort(out.begin(), out.end(),
            [](const FileFacts& a, const FileFacts& b) { return a.path < b.path; });
  return out;
}

FileFacts StoredFacts(const std::string& path, const ParsedFile& parsed) {
  FileFacts facts;
  facts.path = path;
  facts.parsed.language = LanguageForPath(path);
  facts.parsed.symbols.reserve(parsed.symbols.size());
  for (const auto& from : parsed.symbols) {
    Symbol& s = facts.parsed.symbols.emplace_back();
    s.kind = from.kind;
    s.name = from.name;
    s.qualified_name = from.qualified_name;
    s.bases = from.bases;
    s.implements = from.implements;
  }
  facts.parsed.imports = parsed.imports;
  facts.parsed.exports = parsed.exports;
  facts.parsed.calls = parsed.calls;
  facts.parsed.uses = parsed.uses;
  return facts;
}

Result<std::vector<Relationship>> ScanStore::LoadRelationships(std::int64_t repo) {
  return LoadRelationshipsFrom(store_, repo);
}

Result<std::vector<Relationship>> LoadRelationshipsFrom(store::Reader& db, std::int64_t repo) {
  auto rows = db.Query(
      "SELECT source, target, type, metadata FROM relationships WHERE repository_id = $1", {repo});
  if (!rows) return rows.error();
  std::vector<Relationship> out;
  out.reserve(rows->size());
  for (std::size_t i = 0; i < rows->size(); ++i) {
    out.push_back({*rows->Text(i, "source"), *rows->Text(i, "target"), *rows->Text(i, "type"),
                   rows->Text(i, "metadata").value_or("{}")});
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<bool> ScanStore::ReplaceRelationships(std::int64_t repo, std::int64_t run_id,
                                             const std::vector<Relationship>& wanted,
                                             bool nodes_changed) {
  auto stored = LoadRelationships(repo);
  if (!stored) return stored.error();
  RelationshipDiff diff = DiffRelationships(*stored, wanted);
  if (!diff.changed() && !nodes_changed) return false;
  DOCRUNCH_TRY(store_.Transact(
      [&](store::Tx& tx) { return ApplyRelationshipDiff(tx, repo, run_id, diff); }));
  return diff.changed();
}

RelationshipDiff DiffRelationships(const std::vector<Relationship>& stored,
                                   const std::vector<Relationship>& wanted) {
  RelationshipDiff diff;
  std::set_difference(stored.begin(), stored.end(), wanted.begin(), wanted.end(),
                      std::back_inserter(diff.removed));
  std::set_difference(wanted.begin(), wanted.end(), stored.begin(), stored.end(),
                      std::back_inserter(diff.added));
  return diff;
}

Result<void> ApplyRelationshipDiff(store::Tx& tx, std::int64_t repo, std::int64_t run_id,
                                   const RelationshipDiff& diff, bool undo) {
  for (const auto& r : diff.removed) {
    auto d = tx.Exec(
        "DELETE FROM relationships WHERE repository_id = $1 AND source = $2 AND target = $3 "
        "AND type = $4",
        {repo, r.source, r.target, r.type});
    if (!d) return d.error();
  }
  std::vector<Params> rows;
  for (const auto& r : diff.added) rows.push_back({repo, r.source, r.target, r.type, r.metadata});
  DOCRUNCH_TRY(store::InsertRows(tx, "relationships",
                                 {"repository_id", "source", "target", "type", "metadata"}, rows));
  // The scan run as the content: every scan that changed the graph gets
  // its scores recomputed (a count of edges would repeat and be skipped).
  auto event =
      tx.EmitSyncEvent({repo, "relationships", std::to_string(repo),
                        (undo ? "undo-" : "run-") + std::to_string(run_id), "upsert", run_id, 0});
  if (!event) return event.error();
  return Ok();
}

}  // namespace docrunch::scan
