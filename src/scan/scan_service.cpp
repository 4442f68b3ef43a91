#include "scan/scan_service.h"

#include "obs/catalog.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/files.h"
#include "scan/analyzer.h"
#include "scan/parse_pipeline.h"
#include "scan/scan_plan.h"
#include "scan/scan_store.h"
#include "scan/source_file.h"

namespace docrunch::scan {

Plan MakePlan(const WalkResult& walk, const std::map<std::string, StoredFile>& stored, bool full) {
  Plan plan;
  std::set<std::string> seen;
  for (const auto& f : walk.files) {
    seen.insert(f.path);
    auto it = stored.find(f.path);
    if (full || it == stored.end() || it->second.content_hash != f.content_hash) {
      plan.to_parse.push_back(&f);
      continue;
    }
    ++plan.unchanged;
    if (static_cast<std::uint64_t>(it->second.size) != f.size ||
        it->second.mtime_ns != f.mtime_ns) {
      plan.touched.push_back(
          {f.path, static_cast<std::int64_t>(f.size), f.mtime_ns, f.content_hash, {}});
    }
  }
  // What the walk could not look at (a folder it could not list, a file it
  // could not read) keeps its stored rows: a passing permission problem is
  // not a deletion.
  std::set<std::string> unreadable;
  for (const auto& e : walk.errors) {
    if (e.code == SourceStatusCode(SourceStatus::kPermissionDenied) ||
        e.code == SourceStatusCode(SourceStatus::kReadFailed)) {
      unreadable.insert(e.path);
    }
  }
  auto kept = [&](const std::string& path) {
    if (unreadable.empty()) return false;
    if (unreadable.count(".") || unreadable.count(path)) return true;  // "." is the root
    for (auto slash = path.find('/'); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
      if (unreadable.count(path.substr(0, slash))) return true;
    }
    return false;
  };
  for (const auto& [path, file] : stored) {
    if (!seen.count(path) && !kept(path)) plan.deleted.push_back(path);
  }
  return plan;
}

namespace {

// Files per write transaction while parsing goes on. Smaller batches start
// the writer earlier but cost more CPU (each commit rewrites the index pages
// it touched): on /usr/lib/python3.11, 50 files cost 5% more CPU than 200.
constexpr std::size_t kStoreBatch = 200;

// Whether a signal asked the scan to stop (ScanOptions::stop).
bool Stopped(const ScanOptions& options) {
  return options.stop != nullptr && *options.stop;
}

Error Interrupted(const std::string& when) {
  return MakeError(
      ErrorCode::kInterrupted,
      "scan interrupted " + when + "; what was stored is kept, and the next scan goes on from it");
}

// Parses `files` on worker threads and stores them as they come, in input
// order. The summary gets files_parsed, then the files that could not be
// read and every parse diagnostic (in file order); `facts` gets the stored
// files' facts (see StoredFacts); `store_time` the time spent writing. Stops
// before a batch once a signal asked.
Result<void> ParseAndStore(ScanStore& db, std::int64_t repo, std::int64_t run,
                           const ScanOptions& options, const std::vector<const WalkedFile*>& files,
                           const ScanStore::FileHook& hook, ScanSummary& summary,
                           std::vector<FileFacts>& facts, std::chrono::milliseconds& store_time) {
  ParsePipeline pipeline(options, files);
  std::vector<FileProblem> diagnostics;
  Result<void> stored = Ok();
  for (std::size_t start = 0; start < files.size() && stored; start += kStoreBatch) {
    if (Stopped(options)) {
      stored = Interrupted("after " + std::to_string(start) + " of " +
                           std::to_string(files.size()) + " files were stored");
      break;
    }
    std::vector<FileRecord> batch;
    for (std::size_t i = start; i < std::min(files.size(), start + kStoreBatch); ++i) {
      auto record = pipeline.Take(i);
      if (!record) continue;
      for (const auto& d : record->parsed.diagnostics) {
        if (d.code == "PARSE_UNSUPPORTED_LANGUAGE") ++summary.unsupported_files;
        diagnostics.push_back({record->path, d.code, d.message, d.line});
      }
      batch.push_back(std::move(*record));
    }
    summary.files_parsed += batch.size();
    const auto writing = std::chrono::steady_clock::now();
    stored = db.WriteFiles(repo, run, batch, hook);
    store_time += std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - writing);
    if (!stored) break;
    for (const auto& record : batch) facts.push_back(StoredFacts(record.path, record.parsed));
  }
  if (!stored) pipeline.Cancel();
  for (auto& problem : pipeline.Finish()) summary.problems.push_back(std::move(problem));
  for (auto& problem : diagnostics) summary.problems.push_back(std::move(problem));
  return stored;
}

// The analyzer's input. When this run parsed every file the repository
// has stored (a first or a full scan), the facts are the parsed ones, from
// memory; otherwise all of them are read back from the database.
Result<std::vector<FileFacts>> AllFacts(ScanStore& db, std::int64_t repo,
                                        std::vector<FileFacts> parsed) {
  auto stored = db.LoadFiles(repo);
  if (!stored) return stored.error();
  std::sort(parsed.begin(), parsed.end(),
            [](const FileFacts& a, const FileFacts& b) { return a.path < b.path; });
  bool same = stored->size() == parsed.size();
  auto it = stored->begin();  // a std::map: in path order too
  for (std::size_t i = 0; same && i < parsed.size(); ++i, ++it) same = it->first == parsed[i].path;
  if (same) return parsed;
  return db.LoadFacts(repo);
}

}  // namespace

Result<void> CountStored(store::Reader& store, std::int64_t repo, ScanSummary& s) {
  auto languages = store.Query(
      "SELECT language, COUNT(*) AS n FROM files WHERE repository_id = $1 GROUP BY language",
      {repo});
  if (!languages) return languages.error();
  for (std::size_t i = 0; i < languages->size(); ++i) {
    auto n = static_cast<std::size_t>(languages->Int(i, "n").value_or(0));
    s.files_by_language[languages->Text(i, "language").value_or("unknown")] = n;
    s.files += n;
  }
  auto kinds = store.Query(
      "SELECT kind, COUNT(*) AS n FROM symbols WHERE repository_id = $1 GROUP BY kind", {repo});
  if (!kinds) return kinds.error();
  for (std::size_t i = 0; i < kinds->size(); ++i) {
    auto n = static_cast<std::size_t>(kinds->Int(i, "n").value_or(0));
    std::string kind = kinds->Text(i, "kind").value_or("");
    if (kind == "function") s.functions = n;
    if (kind == "method") s.methods = n;
    if (kind == "class") s.classes = n;
    if (kind == "component") s.components = n;
    if (kind == "schema") s.schemas = n;
  }
  auto totals = store.Query(
      "SELECT (SELECT COUNT(*) FROM imports WHERE repository_id = $1) AS imports, "
      "(SELECT COUNT(*) FROM relationships WHERE repository_id = $1) AS relationships",
      {repo});
  if (!totals) return totals.error();
  s.imports = static_cast<std::size_t>(totals->Int(0, "imports").value_or(0));
  s.relationships = static_cast<std::size_t>(totals->Int(0, "relationships").value_or(0));
  auto paths = store.Query("SELECT path FROM files WHERE repository_id = $1", {repo});
  if (!paths) return paths.error();
  std::set<std::string> dirs;
  for (std::size_t i = 0; i < paths->size(); ++i) {
    std::string path = *paths->Text(i, "path");
    auto slash = path.rfind('/');
    dirs.insert(slash == std::string::npos ? "" : path.substr(0, slash));
  }
  s.modules = dirs.size();
  return Ok();
}

// The parse diagnostics stored for files this run leaves as they are: an
// unchanged file that failed to parse still fails, and a rescan that
// parsed nothing must say so rather than report no errors.
Result<void> AddStoredDiagnostics(store::Reader& store, std::int64_t repo, const Plan& plan,
                                  ScanSummary& summary) {
  auto rows = store.Query(
      "SELECT path, diagnostics FROM files WHERE repository_id = $1 AND diagnostics IS NOT NULL "
      "AND diagnostics <> '[]' ORDER BY path",
      {repo});
  if (!rows) return rows.error();
  if (rows->empty()) return Ok();
  std::set<std::string_view> redone;
  for (const WalkedFile* f : plan.to_parse) redone.insert(f->path);
  for (const auto& path : plan.deleted) redone.insert(path);
  for (std::size_t i = 0; i < rows->size(); ++i) {
    std::string path = rows->Text(i, "path").value_or("");
    if (redone.count(path)) continue;
    auto list = nlohmann::json::parse(rows->Text(i, "diagnostics").value_or("[]"), nullptr, false);
    if (!list.is_array()) continue;
    for (const auto& d : list) {
      if (!d.is_object()) continue;
      summary.problems.push_back(
          {path, d.value("code", "PARSE_ERROR"), d.value("message", ""), d.value("line", 0)});
    }
  }
  return Ok();
}

Result<ScanStart> StartScan(store::Store& store, const ScanOptions& options) {
  std::error_code ec;
  if (!std::filesystem::is_directory(options.root, ec)) {
    return MakeError(ErrorCode::kInvalidParams, "repository path " + options.root.string() +
                                                    " does not exist or is not a folder");
  }
  ScanStart start;
  start.root = std::filesystem::canonical(options.root, ec);
  ScanStore db(store);
  auto repo = db.EnsureRepository(start.root.string(), start.root.filename().string());
  if (!repo) return repo.error();
  start.repository_id = *repo;
  auto stored = db.LoadFiles(*repo);
  if (!stored) return stored.error();
  start.stored = std::move(*stored);
  WalkOptions walk_options = options.walk;
  if (!options.full) {
    for (const auto& [path, f] : start.stored) {
      walk_options.previous[path] = {static_cast<std::uint64_t>(f.size), f.mtime_ns,
                                     f.content_hash};
    }
  }
  auto walk = WalkRepository(start.root, walk_options);
  if (!walk) return walk.error();
  start.walk = std::move(*walk);
  if (auto closed = db.CloseAbandonedRuns(*repo); !closed) return closed.error();
  auto previous_completed = db.LastRunCompleted(*repo);
  if (!previous_completed) return previous_completed.error();
  start.previous_completed = *previous_completed;
  return start;
}

Result<ScanSummary> ScanService::Scan(const ScanOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  // Every scan, finished or not, lands in docrunch_scan_duration_seconds.
  struct Timed {
    std::chrono::steady_clock::time_point started;
    std::string outcome = "failed";
    std::int64_t files = 0;
    ~Timed() {
      obs::ObserveScan(
          outcome,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(), files);
    }
  } timed{started};
  auto start = StartScan(store_, options);
  if (!start) return start.error();
  const std::filesystem::path& root = start->root;
  const std::int64_t repo = start->repository_id;
  const WalkResult& walk = start->walk;
  const bool previous_completed = start->previous_completed;
  ScanStore db(store_);
  ScanSummary summary;
  summary.repository_id = repo;
  summary.full = options.full;
  auto run = db.BeginScanRun(repo, options.full);
  if (!run) return run.error();
  summary.scan_run_id = *run;
  for (const auto& e : walk.errors) summary.problems.push_back({e.path, e.code, e.message, 0});
  summary.unsupported_files = walk.counts.unsupported_language;
  summary.binary_files = walk.counts.binary_skipped;

  auto elapsed = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 started)
        .count();
  };
  // The steps' times (ScanSummary::steps), each from the last mark.
  auto step_start = started;
  std::chrono::milliseconds store_time{0}, parse_time{0}, analyze_time{0};
  auto lap = [&] {
    auto now = std::chrono::steady_clock::now();
    auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(now - step_start);
    step_start = now;
    return spent;
  };
  const auto walk_time = lap();
  spdlog::debug("scan: walked {} files at {} ms", walk.files.size(), elapsed());
  Plan plan = MakePlan(walk, start->stored, options.full);
  ScanOptions parse_options = options;
  parse_options.root = root;
  summary.files_deleted = plan.deleted.size();
  summary.files_unchanged = plan.unchanged;

  ScanStore::FileHook hook;
  if (options.index) {
    hook = [&](store::Tx& tx, const std::string& path, const ParsedFile* p) {
      return options.index(tx, repo, path, p);
    };
  }
  Result<void> written = [&]() -> Result<void> {
    DOCRUNCH_TRY(AddStoredDiagnostics(store_, repo, plan, summary));
    std::vector<FileFacts> parsed;
    DOCRUNCH_TRY(ParseAndStore(db, repo, *run, parse_options, plan.to_parse, hook, summary, parsed,
                               store_time));
    parse_time = lap() - store_time;
    spdlog::debug("scan: parsed and stored {} files at {} ms", summary.files_parsed, elapsed());
    DOCRUNCH_TRY(db.TouchFiles(repo, plan.touched));
    DOCRUNCH_TRY(db.DeleteFiles(repo, *run, plan.deleted, hook));
    summary.changed = summary.files_parsed > 0 || !plan.deleted.empty() || !previous_completed;
    store_time += lap();
    spdlog::debug("scan: stored at {} ms", elapsed());
    if (!summary.changed) return Ok();
    if (Stopped(options)) return Interrupted("before the relationships were analyzed");
    auto facts = AllFacts(db, repo, std::move(parsed));
    if (!facts) return facts.error();
    spdlog::debug("scan: loaded facts at {} ms", elapsed());
    ProjectFiles project;
    if (auto tsconfig = ReadFileText(root / "tsconfig.json")) project.tsconfig_json = *tsconfig;
    auto relationships = Analyze(*facts, project);
    analyze_time = lap();
    spdlog::debug("scan: analyzed at {} ms", elapsed());
    auto changed = db.ReplaceRelationships(repo, *run, relationships,
                                           summary.files_parsed > 0 || !plan.deleted.empty());
    if (!changed) return changed.error();
    spdlog::debug("scan: relationships stored at {} ms", elapsed());
    auto counted = CountStored(store_, repo, summary);
    store_time += lap();
    return counted;
  }();
  if (written && !summary.changed) {
    written = CountStored(store_, repo, summary);
    store_time += lap();
  }
  summary.steps = {{"walk", walk_time},
                   {"parse", std::max(parse_time, std::chrono::milliseconds(0))},
                   {"store", store_time},
                   {"analyze", analyze_time}};
  summary.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  ScanRunCounts counts{static_cast<std::int64_t>(summary.files),
                       static_cast<std::int64_t>(summary.files_parsed + summary.files_deleted)};
  std::string error = written ? "" : written.error().ToString();
  // Replace, not throw: a summary that cannot be written would leave the run "running".
  const std::string summary_json =
      SummaryToJson(summary).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  DOCRUNCH_TRY(db.FinishScanRun(*run, counts, summary_json, error));
  if (!written) {
    if (written.error().code == ErrorCode::kInterrupted) timed.outcome = "interrupted";
    return written.error();
  }
  timed.outcome = "ok";
  timed.files = static_cast<std::int64_t>(summary.files);
  return summary;
}

namespace {

// The steps' times by name.
nlohmann::json StepsJson(const ScanSummary& s) {
  nlohmann::json steps = nlohmann::json::object();
  for (const auto& [name, time] : s.steps) steps[name] = time.count();
  return steps;
}

}  // namespace

nlohmann::json SummaryToJson(const ScanSummary& s) {
  nlohmann::json problems = nlohmann::json::array();
  for (const auto& p : s.problems) {
    problems.push_back(
        {{"path", p.path}, {"code", p.code}, {"message", p.message}, {"line", p.line}});
  }
  return {{"repository_id", s.repository_id},
          {"scan_run_id", s.scan_run_id},
          {"mode", s.full ? "full" : "incremental"},
          {"files", s.files},
          {"files_parsed", s.files_parsed},
          {"files_deleted", s.files_deleted},
          {"files_unchanged", s.files_unchanged},
          {"files_by_language", s.files_by_language},
          {"functions", s.functions},
          {"methods", s.methods},
          {"classes", s.classes},
          {"components", s.components},
          {"schemas", s.schemas},
          {"imports", s.imports},
          {"relationships", s.relationships},
          {"modules", s.modules},
          {"unsupported_files", s.unsupported_files},
          {"binary_files", s.binary_files},
          {"errors", problems},
          {"duration_ms", s.duration.count()},
          {"steps_ms", StepsJson(s)}};
}

std::string SummaryToText(const ScanSummary& s) {
  std::ostringstream out;
  out << "Scanned " << s.files << " files in " << s.modules << " modules ("
      << (s.full ? "full" : "incremental") << ": " << s.files_parsed << " parsed, "
      << s.files_unchanged << " unchanged, " << s.files_deleted << " deleted) in "
      << s.duration.count() / 1000 << "." << (s.duration.count() % 1000) / 100 << " s\n";
  out << "  languages:    ";
  bool first = true;
  for (const auto& [language, n] : s.files_by_language) {
    out << (first ? "" : ", ") << language << " " << n;
    first = false;
  }
  out << (first ? "none\n" : "\n");
  out << "  functions:    " << s.functions << " (+" << s.methods << " methods)\n"
      << "  classes:      " << s.classes << "\n"
      << "  components:   " << s.components << "\n"
      << "  schemas:      " << s.schemas << "\n"
      << "  imports:      " << s.imports << "\n"
      << "  relationships: " << s.relationships << "\n"
      << "  unsupported:  " << s.unsupported_files << " files, " << s.binary_files << " binary\n"
      << "  errors:       " << s.problems.size() << "\n";
  return out.str();
}

}  // namespace docrunch::scan
