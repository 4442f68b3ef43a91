#include "sync/index_projection.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <unordered_map>

#include "scan/model.h"
#include "search/search.h"
#include "store/batch.h"

namespace docrunch::sync {
namespace {

// The symbols of the files matching `where` (on files f), by path, in the
// order the scanner stored them: what IndexFile needs, from the database.
Result<std::map<std::string, scan::ParsedFile>> LoadFiles(store::Reader& db,
                                                          const std::string& where,
                                                          const store::Params& params) {
  auto files = db.Query("SELECT f.path, f.language FROM files f WHERE " + where, params);
  if (!files) return files.error();
  std::map<std::string, scan::ParsedFile> out;
  for (std::size_t i = 0; i < files->size(); ++i) {
    out[*files->Text(i, "path")].language =
        scan::LanguageNamed(files->Text(i, "language").value_or(""));
  }
  auto symbols = db.Query(
      "SELECT f.path, s.kind, s.name, s.qualified_name, s.start_line, s.end_line, s.signature, "
      "s.docstring FROM symbols s JOIN files f ON f.id = s.file_id WHERE " +
          where + " ORDER BY s.id",
      params);
  if (!symbols) return symbols.error();
  for (std::size_t i = 0; i < symbols->size(); ++i) {
    scan::Symbol s;
    s.kind = scan::SymbolKindNamed(symbols->Text(i, "kind").value_or(""));
    s.name = symbols->Text(i, "name").value_or("");
    s.qualified_name = symbols->Text(i, "qualified_name").value_or("");
    s.start_line = static_cast<int>(symbols->Int(i, "start_line").value_or(0));
    s.end_line = static_cast<int>(symbols->Int(i, "end_line").value_or(0));
    s.signature = symbols->Text(i, "signature").value_or("");
    s.docstring = symbols->Text(i, "docstring").value_or("");
    out[*symbols->Text(i, "path")].symbols.push_back(std::move(s));
  }
  return out;
}

// 12 from "task-12" with prefix "task-"; INVALID_PARAMS otherwise (an
// event that can never apply: the worker dead-letters it).
Result<std::int64_t> NumberedId(const std::string& entity_id, const std::string& prefix) {
  if (entity_id.rfind(prefix, 0) == 0 && entity_id.size() > prefix.size() &&
      entity_id.size() - prefix.size() < 19 &&
      entity_id.find_first_not_of("0123456789", prefix.size()) == std::string::npos) {
    return std::stoll(entity_id.substr(prefix.size()));
  }
  return MakeError(ErrorCode::kInvalidParams,
                   "entity id " + entity_id + ": expected " + prefix + "<number>");
}

std::string Join(const std::string& a, const std::string& b) {
  return a.empty() ? b : b.empty() ? a : a + "\n" + b;
}

// Files of a batch's file upserts loaded and indexed at a time: the memory
// a batch holds does not grow with the batch.
constexpr std::size_t kFilesPerLoad = 1000;

// The files at `paths`, loaded together (two queries per 500 files instead
// of two per file).
Result<std::map<std::string, scan::ParsedFile>> LoadFilesAt(store::Reader& db, std::int64_t repo,
                                                            const std::vector<std::string>& paths) {
  std::map<std::string, scan::ParsedFile> out;
  constexpr std::size_t kPathsPerQuery = 500;
  for (std::size_t at = 0; at < paths.size(); at += kPathsPerQuery) {
    const std::size_t end = std::min(paths.size(), at + kPathsPerQuery);
    store::Params params{repo};
    const std::string in = store::AppendInList(params, paths.begin() + at, paths.begin() + end);
    auto files = LoadFiles(db, "f.repository_id = $1 AND f.path IN (" + in + ")", params);
    if (!files) return files.error();
    out.merge(*files);
  }
  return out;
}

}  // namespace

Result<void> IndexProjection::Apply(const store::SyncEvent& event, store::Tx& db) {
  return std::move(ApplyBatch({event}, db).front());
}

Result<void> IndexProjection::ApplyOne(const store::SyncEvent& event, store::Tx& db,
                                       search::IndexWriter& writer) {
  if (event.action == "delete") return DeleteWith({event.entity_type, event.entity_id}, writer);
  if (event.entity_type == "task") return IndexTask(db, writer, event.entity_id);
  if (event.entity_type == "decision") return IndexDecision(db, writer, event.entity_id);
  return Ok();  // file upserts and relationships: see ApplyBatch
}

std::vector<Result<void>> IndexProjection::ApplyBatch(const std::vector<store::SyncEvent>& events,
                                                      store::Tx& db) {
  std::vector<Result<void>> results;
  results.reserve(events.size());
  auto fail_all = [&](const Error& error) {
    results.assign(events.size(), Result<void>(error));
    return results;
  };
  search::IndexWriter writer(db, repository_id_, threads_);
  // A relationships event first: PageRank over the graph, copied to the
  // documents already indexed; the batch's new documents then take their
  // scores from the same result when inserted.
  results.assign(events.size(), Ok());
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (events[i].entity_type != "relationships" || events[i].action == "delete") continue;
    std::unordered_map<std::string, double> scores;
    results[i] = search::UpdateGraphScores(db, repository_id_, &scores);
    if (results[i]) writer.UseGraphScores(std::move(scores));
  }
  // Then the rest; file upserts last, kFilesPerLoad at a time, each lot
  // tokenized on several threads.
  std::vector<std::size_t> upserts;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const store::SyncEvent& e = events[i];
    if (e.entity_type == "relationships") continue;
    if (e.entity_type == "file" && e.action != "delete") {
      upserts.push_back(i);
    } else {
      results[i] = ApplyOne(e, db, writer);
    }
  }
  for (std::size_t at = 0; at < upserts.size(); at += kFilesPerLoad) {
    const std::size_t end = std::min(upserts.size(), at + kFilesPerLoad);
    std::vector<std::string> paths;
    for (std::size_t k = at; k < end; ++k) paths.push_back(events[upserts[k]].entity_id);
    auto files = LoadFilesAt(db, repository_id_, paths);
    if (!files) return fail_all(files.error());
    std::vector<search::IndexWriter::FileToIndex> to_index;
    std::vector<std::size_t> indexed;
    for (std::size_t k = at; k < end; ++k) {
      const std::string& path = events[upserts[k]].entity_id;
      auto file = files->find(path);
      if (file != files->end()) {
        to_index.push_back({path, &file->second});
        indexed.push_back(upserts[k]);
      } else {
        // Gone since the event: its delete event follows; remove it now anyway.
        results[upserts[k]] = writer.RemoveSource("file:" + path);
      }
    }
    if (auto done = writer.IndexFiles(to_index); !done) {
      for (std::size_t i : indexed) results[i] = done.error();
    }
  }
  // One segment for the whole batch.
  if (auto committed = writer.Commit(); !committed) return fail_all(committed.error());
  if (!embedder_) return results;
  bool applied = std::any_of(results.begin(), results.end(), [](const auto& r) { return r.ok(); });
  if (!applied) return results;
  auto embedded = search::EmbedMissing(db, repository_id_, *embedder_);
  if (!embedded) {
    for (std::size_t i = 0; i < events.size(); ++i) {
      if (results[i] && events[i].action != "delete") results[i] = embedded.error();
    }
  }
  return results;
}

Result<void> IndexProjection::Delete(const EntityRef& entity, store::Tx& db) {
  search::IndexWriter writer(db, repository_id_, threads_);
  DOCRUNCH_TRY(DeleteWith(entity, writer));
  return writer.Commit();
}

Result<void> IndexProjection::DeleteWith(const EntityRef& entity, search::IndexWriter& writer) {
  if (entity.type == "file") return writer.RemoveSource("file:" + entity.id);
  if (entity.type == "task" || entity.type == "decision") {
    return writer.RemoveSource(entity.type + ":" + entity.id);
  }
  return Ok();
}

Result<void> IndexProjection::IndexTask(store::Tx& db, search::IndexWriter& writer,
                                        const std::string& entity_id) {
  const std::string source = "task:" + entity_id;
  auto task_id = NumberedId(entity_id, "task-");
  if (!task_id) return task_id.error();
  auto task = db.Query(
      "SELECT id, title, description, status FROM tasks WHERE repository_id = $1 AND id = $2",
      {repository_id_, *task_id});
  if (!task) return task.error();
  if (task->empty()) return writer.RemoveSource(source);
  std::int64_t id = *task->Int(0, "id");
  std::vector<search::Document> docs{{"task:" + entity_id, "task",
                                      entity_id + ": " + task->Text(0, "title").value_or(""),
                                      task->Text(0, "description").value_or("")}};
  auto reports =
      db.Query("SELECT id, summary FROM completion_reports WHERE task_id = $1 ORDER BY id", {id});
  if (!reports) return reports.error();
  for (std::size_t i = 0; i < reports->size(); ++i) {
    docs.push_back({"report:" + std::to_string(*reports->Int(i, "id")), "report",
                    "Completion of " + entity_id, reports->Text(i, "summary").value_or("")});
  }
  auto findings =
      db.Query("SELECT id, title, description FROM findings WHERE task_id = $1 ORDER BY id", {id});
  if (!findings) return findings.error();
  for (std::size_t i = 0; i < findings->size(); ++i) {
    docs.push_back({"finding:" + std::to_string(*findings->Int(i, "id")), "finding",
                    findings->Text(i, "title").value_or(""),
                    findings->Text(i, "description").value_or("")});
  }
  return writer.IndexDocuments(source, docs);
}

Result<void> IndexProjection::IndexDecision(store::Tx& db, search::IndexWriter& writer,
                                            const std::string& entity_id) {
  const std::string source = "decision:" + entity_id;
  auto decision_id = NumberedId(entity_id, "decision-");
  if (!decision_id) return decision_id.error();
  auto rows = db.Query(
      "SELECT number, title, context, decision, rationale, consequences FROM decisions "
      "WHERE repository_id = $1 AND id = $2",
      {repository_id_, *decision_id});
  if (!rows) return rows.error();
  if (rows->empty()) return writer.RemoveSource(source);
  char number[16];
  std::snprintf(number, sizeof number, "ADR-%03lld",
                static_cast<long long>(rows->Int(0, "number").value_or(0)));
  std::string body = Join(
      Join(rows->Text(0, "decision").value_or(""), rows->Text(0, "context").value_or("")),
      Join(rows->Text(0, "rationale").value_or(""), rows->Text(0, "consequences").value_or("")));
  return writer.IndexDocuments(
      source, {{"decision:" + entity_id, "decision",
                std::string(number) + ": " + rows->Text(0, "title").value_or(""), body}});
}

Result<void> IndexProjection::Rebuild(store::Tx& db) {
  DOCRUNCH_TRY(search::ClearIndex(db, repository_id_));
  auto files = LoadFiles(db, "f.repository_id = $1", {repository_id_});
  if (!files) return files.error();
  // The graph first: the documents then take their scores from it.
  std::unordered_map<std::string, double> scores;
  DOCRUNCH_TRY(search::UpdateGraphScores(db, repository_id_, &scores));
  search::IndexWriter writer(db, repository_id_, threads_);
  writer.UseGraphScores(std::move(scores));
  for (const auto& [path, parsed] : *files) DOCRUNCH_TRY(writer.IndexFile(path, parsed));
  auto tasks =
      db.Query("SELECT id FROM tasks WHERE repository_id = $1 ORDER BY id", {repository_id_});
  if (!tasks) return tasks.error();
  for (std::size_t i = 0; i < tasks->size(); ++i) {
    DOCRUNCH_TRY(IndexTask(db, writer, "task-" + std::to_string(*tasks->Int(i, "id"))));
  }
  auto decisions =
      db.Query("SELECT id FROM decisions WHERE repository_id = $1 ORDER BY id", {repository_id_});
  if (!decisions) return decisions.error();
  for (std::size_t i = 0; i < decisions->size(); ++i) {
    DOCRUNCH_TRY(IndexDecision(db, writer, "decision-" + std::to_string(*decisions->Int(i, "id"))));
  }
  DOCRUNCH_TRY(writer.Commit());
  if (embedder_) return search::EmbedMissing(db, repository_id_, *embedder_);
  return Ok();
}

}  // namespace docrunch::sync
