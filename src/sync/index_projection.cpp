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
  auto files =
      db.Query("SELECT f.path, f.language, f.deprecated FROM files f WHERE " + where, params);
  if (!files) return files.error();
  std::map<std::string, scan::ParsedFile> out;
  for (std::size_t i = 0; i < files->size(); ++i) {
    scan::ParsedFile& file = out[*files->Text(i, "path")];
    file.language = scan::LanguageNamed(files->Text(i, "language").value_or(""));
    file.deprecated = files->Int(i, "deprecated").value_or(0) != 0;
  }
  auto symbols = db.Query(
      "SELECT f.path, s.kind, s.name, s.qualified_name, s.start_line, s.end_line, s.signature, "
      "s.docstring, s.body_terms, s.deprecated FROM symbols s JOIN files f ON f.id = s.file_id "
      "WHERE " +
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
    s.body_terms = symbols->Text(i, "body_terms").value_or("");
    s.deprecated = symbols->Int(i, "deprecated").value_or(0) != 0;
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

// What a decision's document is made of.
struct DecisionRow {
  std::int64_t number = 0;
  std::string title;
  std::string body;
};

// What a task's documents are made of: the task, its completion reports
// and findings (each in id order).
struct TaskRow {
  std::string title;
  std::string description;
  std::vector<std::pair<std::int64_t, std::string>> reports;  // id, summary
  std::vector<std::pair<std::int64_t, std::pair<std::string, std::string>>> findings;
};

// Rows per IN list when a batch's entities are read together.
constexpr std::size_t kIdsPerQuery = 500;

// The decisions of `repo` among `ids`, by id: one query per 500 ids
// (before: one per event, most of the index's share of a batch of
// decisions on PostgreSQL). Ids without a row are left out. The query
// names the ids alone (the repository is checked here): with the
// repository in it, SQLite's planner read every decision of the
// repository through its index instead of looking up the ids.
Result<std::unordered_map<std::int64_t, DecisionRow>> LoadDecisionRows(
    store::Reader& db, std::int64_t repo, const std::vector<std::int64_t>& ids) {
  std::unordered_map<std::int64_t, DecisionRow> out;
  for (std::size_t at = 0; at < ids.size(); at += kIdsPerQuery) {
    const std::size_t end = std::min(ids.size(), at + kIdsPerQuery);
    store::Params params;
    const std::string in = store::AppendInList(params, ids.begin() + at, ids.begin() + end);
    auto rows = db.Query(
        "SELECT id, repository_id, number, title, context, decision, rationale, consequences "
        "FROM decisions WHERE id IN (" +
            in + ")",
        params);
    if (!rows) return rows.error();
    for (std::size_t i = 0; i < rows->size(); ++i) {
      if (rows->Int(i, "repository_id") != repo) continue;
      DecisionRow& d = out[*rows->Int(i, "id")];
      d.number = rows->Int(i, "number").value_or(0);
      d.title = rows->Text(i, "title").value_or("");
      d.body =
          Join(Join(rows->Text(i, "decision").value_or(""), rows->Text(i, "context").value_or("")),
               Join(rows->Text(i, "rationale").value_or(""),
                    rows->Text(i, "consequences").value_or("")));
    }
  }
  return out;
}

// The tasks of `repo` among `ids`, by id, with their reports and findings:
// three queries per 500 ids. Ids without a row are left out (the
// repository checked here, as for decisions).
Result<std::unordered_map<std::int64_t, TaskRow>> LoadTaskRows(
    store::Reader& db, std::int64_t repo, const std::vector<std::int64_t>& ids) {
  std::unordered_map<std::int64_t, TaskRow> out;
  for (std::size_t at = 0; at < ids.size(); at += kIdsPerQuery) {
    const std::size_t end = std::min(ids.size(), at + kIdsPerQuery);
    store::Params params;
    std::string in = store::AppendInList(params, ids.begin() + at, ids.begin() + end);
    auto tasks = db.Query(
        "SELECT id, repository_id, title, description FROM tasks WHERE id IN (" + in + ")", params);
    if (!tasks) return tasks.error();
    store::Params found;
    for (std::size_t i = 0; i < tasks->size(); ++i) {
      if (tasks->Int(i, "repository_id") != repo) continue;
      const std::int64_t id = *tasks->Int(i, "id");
      out[id] = {
          tasks->Text(i, "title").value_or(""), tasks->Text(i, "description").value_or(""), {}, {}};
      found.push_back(id);
    }
    if (found.empty()) continue;
    in = store::AppendInList(params = {}, found.begin(), found.end());
    auto reports =
        db.Query("SELECT id, task_id, summary FROM completion_reports WHERE task_id IN (" + in +
                     ") ORDER BY id",
                 params);
    if (!reports) return reports.error();
    for (std::size_t i = 0; i < reports->size(); ++i) {
      out[*reports->Int(i, "task_id")].reports.emplace_back(
          *reports->Int(i, "id"), reports->Text(i, "summary").value_or(""));
    }
    auto findings =
        db.Query("SELECT id, task_id, title, description FROM findings WHERE task_id IN (" + in +
                     ") ORDER BY id",
                 params);
    if (!findings) return findings.error();
    for (std::size_t i = 0; i < findings->size(); ++i) {
      out[*findings->Int(i, "task_id")].findings.push_back(
          {*findings->Int(i, "id"),
           {findings->Text(i, "title").value_or(""),
            findings->Text(i, "description").value_or("")}});
    }
  }
  return out;
}

// The documents of task `entity_id` ("task-12").
std::vector<search::Document> TaskDocuments(const std::string& entity_id, const TaskRow& task) {
  std::vector<search::Document> docs{
      {"task:" + entity_id, "task", entity_id + ": " + task.title, task.description}};
  for (const auto& [id, summary] : task.reports) {
    docs.push_back(
        {"report:" + std::to_string(id), "report", "Completion of " + entity_id, summary});
  }
  for (const auto& [id, finding] : task.findings) {
    docs.push_back({"finding:" + std::to_string(id), "finding", finding.first, finding.second});
  }
  return docs;
}

// The document of decision `entity_id` ("decision-7").
std::vector<search::Document> DecisionDocuments(const std::string& entity_id,
                                                const DecisionRow& decision) {
  char number[16];
  std::snprintf(number, sizeof number, "ADR-%03lld", static_cast<long long>(decision.number));
  return {{"decision:" + entity_id, "decision", std::string(number) + ": " + decision.title,
           decision.body}};
}

// Indexes the entities `entity_ids` (all "<prefix><number>") with their
// rows read together by `load`: one found gets its documents, one gone
// loses them, an id that does not parse fails alone (INVALID_PARAMS), and
// a failed read fails them all. One result per entity id.
template <typename Row>
std::vector<Result<void>> IndexEntities(
    store::Reader& db, search::IndexWriter& writer, std::int64_t repo,
    const std::vector<std::string>& entity_ids, const std::string& prefix,
    Result<std::unordered_map<std::int64_t, Row>> (*load)(store::Reader&, std::int64_t,
                                                          const std::vector<std::int64_t>&),
    std::vector<search::Document> (*documents)(const std::string&, const Row&)) {
  std::vector<Result<void>> results(entity_ids.size(), Ok());
  std::vector<std::int64_t> ids(entity_ids.size(), 0);
  std::vector<std::int64_t> wanted;
  for (std::size_t i = 0; i < entity_ids.size(); ++i) {
    auto id = NumberedId(entity_ids[i], prefix);
    if (!id) {
      results[i] = id.error();
    } else {
      ids[i] = *id;
      wanted.push_back(*id);
    }
  }
  auto rows = load(db, repo, wanted);
  const std::string type = prefix.substr(0, prefix.size() - 1);  // "task-" -> "task"
  for (std::size_t i = 0; i < entity_ids.size(); ++i) {
    if (!results[i]) continue;
    if (!rows) {
      results[i] = rows.error();
      continue;
    }
    const std::string source = type + ":" + entity_ids[i];
    auto row = rows->find(ids[i]);
    results[i] = row == rows->end()
                     ? writer.RemoveSource(source)
                     : writer.IndexDocuments(source, documents(entity_ids[i], row->second));
  }
  return results;
}

}  // namespace

// Outside a worker's drain nothing settles later: merge down at once.
Result<void> IndexProjection::Apply(const store::SyncEvent& event, store::Tx& db) {
  return std::move(ApplyEvents({event}, db, search::IndexWriter::kMaxSegments).front());
}

std::vector<Result<void>> IndexProjection::ApplyBatch(const std::vector<store::SyncEvent>& events,
                                                      store::Tx& db) {
  return ApplyEvents(events, db, search::IndexWriter::kMaxSegmentsDraining);
}

Result<void> IndexProjection::ApplyOne(const store::SyncEvent& event, search::IndexWriter& writer) {
  if (event.action == "delete") return DeleteWith({event.entity_type, event.entity_id}, writer);
  return Ok();  // file, task and decision upserts, and relationships: see ApplyBatch
}

std::vector<Result<void>> IndexProjection::ApplyEvents(const std::vector<store::SyncEvent>& events,
                                                       store::Tx& db, std::size_t max_segments) {
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
  // Then the rest: deletes, task and decision upserts (each kind's rows
  // read together), and file upserts last, kFilesPerLoad at a time, each
  // lot tokenized on several threads.
  std::vector<std::size_t> upserts;
  std::map<std::string, std::vector<std::size_t>> reports;  // "task", "decision"
  for (std::size_t i = 0; i < events.size(); ++i) {
    const store::SyncEvent& e = events[i];
    if (e.entity_type == "relationships") continue;
    if (e.entity_type == "file" && e.action != "delete") {
      upserts.push_back(i);
    } else if ((e.entity_type == "task" || e.entity_type == "decision") && e.action != "delete") {
      reports[e.entity_type].push_back(i);
    } else {
      results[i] = ApplyOne(e, writer);
    }
  }
  for (const auto& [type, at] : reports) {
    std::vector<std::string> ids;
    for (std::size_t i : at) ids.push_back(events[i].entity_id);
    auto done = type == "task" ? IndexTasks(db, writer, ids) : IndexDecisions(db, writer, ids);
    for (std::size_t k = 0; k < at.size(); ++k) results[at[k]] = std::move(done[k]);
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
  // One segment for the whole batch; from a worker, fewer merges while a
  // backlog drains (Settle merges down at its end).
  if (auto committed = writer.Commit(max_segments); !committed) {
    return fail_all(committed.error());
  }
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

Result<void> IndexProjection::Settle(store::Tx& db) {
  return search::MergeSegments(db, repository_id_);
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

std::vector<Result<void>> IndexProjection::IndexTasks(store::Reader& db,
                                                      search::IndexWriter& writer,
                                                      const std::vector<std::string>& entity_ids) {
  return IndexEntities<TaskRow>(db, writer, repository_id_, entity_ids, "task-", LoadTaskRows,
                                TaskDocuments);
}

std::vector<Result<void>> IndexProjection::IndexDecisions(
    store::Reader& db, search::IndexWriter& writer, const std::vector<std::string>& entity_ids) {
  return IndexEntities<DecisionRow>(db, writer, repository_id_, entity_ids, "decision-",
                                    LoadDecisionRows, DecisionDocuments);
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
  for (const char* table : {"tasks", "decisions"}) {
    auto rows =
        db.Query(std::string("SELECT id FROM ") + table + " WHERE repository_id = $1 ORDER BY id",
                 {repository_id_});
    if (!rows) return rows.error();
    const std::string prefix = table == std::string("tasks") ? "task-" : "decision-";
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < rows->size(); ++i) {
      ids.push_back(prefix + std::to_string(*rows->Int(i, "id")));
    }
    for (auto& done :
         prefix == "task-" ? IndexTasks(db, writer, ids) : IndexDecisions(db, writer, ids)) {
      DOCRUNCH_TRY(std::move(done));
    }
  }
  DOCRUNCH_TRY(writer.Commit());
  if (embedder_) return search::EmbedMissing(db, repository_id_, *embedder_);
  return Ok();
}

}  // namespace docrunch::sync
