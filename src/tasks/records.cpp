#include "tasks/records.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "store/batch.h"

namespace docrunch::tasks {
namespace {

using nlohmann::json;
using store::Rows;

constexpr const char* kTaskColumns =
    "id, repository_id, type, title, description, status, priority, assigned_to, depends_on, "
    "blocks, guardrails, acceptance_criteria, review_mode, progress, status_note, "
    "status_before_block, created_by, created_at, started_at, completed_at, claimed_at, "
    "last_report_at, updated_at";

std::string Text(const Rows& rows, std::size_t i, std::string_view column) {
  return rows.Text(i, column).value_or("");
}

json ParseJson(const std::string& text, json fallback) {
  json parsed = json::parse(text, nullptr, false);
  return parsed.is_discarded() ? fallback : parsed;
}

// The stored lists are what nlohmann's dump() wrote: a flat array of
// strings or integers. These read that form directly (a list is parsed for
// every task row listed, which made nlohmann's parser the top of a REST
// list's profile); anything else (escapes beyond the simple ones, nesting,
// odd spacing) goes through the full parser, so the result is the same.
std::optional<std::vector<std::string>> FastStringList(std::string_view text) {
  std::vector<std::string> out;
  if (text.size() < 2 || text.front() != '[' || text.back() != ']') return std::nullopt;
  std::size_t i = 1;
  if (text[i] == ']') return out;
  for (;;) {
    if (text[i] != '"') return std::nullopt;
    std::string item;
    for (++i; i < text.size() && text[i] != '"'; ++i) {
      char c = text[i];
      if (c == '\\') {
        if (++i >= text.size()) return std::nullopt;
        switch (text[i]) {
          case '"': item.push_back('"'); break;
          case '\\': item.push_back('\\'); break;
          case '/': item.push_back('/'); break;
          case 'n': item.push_back('\n'); break;
          case 't': item.push_back('\t'); break;
          case 'r': item.push_back('\r'); break;
          default: return std::nullopt;  // \u, \b, \f: the full parser
        }
      } else {
        item.push_back(c);
      }
    }
    if (i >= text.size()) return std::nullopt;
    out.push_back(std::move(item));
    ++i;  // past the closing quote
    if (i == text.size() - 1) return out;
    if (text[i] != ',') return std::nullopt;
    ++i;
  }
}

std::vector<std::string> StringList(const std::string& text) {
  if (auto fast = FastStringList(text)) return std::move(*fast);
  std::vector<std::string> out;
  for (const auto& item : ParseJson(text, json::array())) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

std::vector<std::int64_t> IdList(const std::string& text) {
  std::vector<std::int64_t> out;
  if (text == "[]") return out;
  for (const auto& item : ParseJson(text, json::array())) {
    if (item.is_number_integer()) out.push_back(item.get<std::int64_t>());
  }
  return out;
}

Task TaskFromRow(const Rows& rows, std::size_t i) {
  Task t;
  t.id = rows.Int(i, "id").value_or(0);
  t.repository_id = rows.Int(i, "repository_id").value_or(0);
  t.type = Text(rows, i, "type");
  t.title = Text(rows, i, "title");
  t.description = Text(rows, i, "description");
  t.status = ParseTaskStatus(Text(rows, i, "status")).value_or(TaskStatus::kTodo);
  t.priority = Text(rows, i, "priority");
  t.assigned_to = rows.Text(i, "assigned_to");
  t.depends_on = IdList(Text(rows, i, "depends_on"));
  t.blocks = IdList(Text(rows, i, "blocks"));
  t.guardrails = StringList(Text(rows, i, "guardrails"));
  t.acceptance_criteria = StringList(Text(rows, i, "acceptance_criteria"));
  t.review_mode =
      config::ParseReviewMode(Text(rows, i, "review_mode")).value_or(config::ReviewMode::kManager);
  t.progress = static_cast<int>(rows.Int(i, "progress").value_or(0));
  t.status_note = Text(rows, i, "status_note");
  if (auto before = rows.Text(i, "status_before_block")) {
    t.status_before_block = ParseTaskStatus(*before);
  }
  t.created_by = Text(rows, i, "created_by");
  t.created_at = Text(rows, i, "created_at");
  t.started_at = Text(rows, i, "started_at");
  t.completed_at = Text(rows, i, "completed_at");
  t.claimed_at = Text(rows, i, "claimed_at");
  t.last_report_at = Text(rows, i, "last_report_at");
  t.updated_at = Text(rows, i, "updated_at");
  return t;
}

std::optional<std::int64_t> OptionalId(const Rows& rows, std::size_t i, std::string_view column) {
  return rows.Int(i, column);
}

DecisionRecord DecisionFromRow(const Rows& rows, std::size_t i) {
  DecisionRecord d;
  d.id = rows.Int(i, "id").value_or(0);
  d.number = static_cast<int>(rows.Int(i, "number").value_or(0));
  d.task_id = OptionalId(rows, i, "task_id");
  d.title = Text(rows, i, "title");
  d.context = Text(rows, i, "context");
  d.decision = Text(rows, i, "decision");
  d.rationale = Text(rows, i, "rationale");
  d.status = Text(rows, i, "status");
  d.agent = Text(rows, i, "agent");
  d.reported_at = Text(rows, i, "reported_at");
  d.created_at = Text(rows, i, "created_at");
  return d;
}

constexpr const char* kDecisionColumns =
    "id, number, task_id, title, context, decision, rationale, status, agent, reported_at, "
    "created_at";

}  // namespace

std::string DecisionRecord::IdText() const {
  return DecisionIdText(number);
}

std::string DecisionIdText(int number) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "adr-%03d", number);
  return buf;
}

Result<int> ParseDecisionId(std::string_view text, std::string_view field) {
  std::string_view digits = text;
  if (digits.starts_with("adr-")) digits.remove_prefix(4);
  int n = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (text.starts_with("adr-") && ec == std::errc() && end == digits.data() + digits.size() &&
      n >= 1 && n <= 999'999) {
    return n;
  }
  return MakeError(ErrorCode::kInvalidParams,
                   std::string(field) + ": expected a decision id such as adr-007, got '" +
                       std::string(text.substr(0, 40)) + "'");
}

Result<Task> LoadTask(store::Reader& db, std::int64_t repository_id, std::int64_t id) {
  auto rows = db.Query(
      std::string("SELECT ") + kTaskColumns + " FROM tasks WHERE id = $1 AND repository_id = $2",
      {id, repository_id});
  if (!rows) return rows.error();
  if (rows->empty()) {
    return MakeError(ErrorCode::kStorageNotFound, "task " + TaskIdText(id) + " not found");
  }
  return TaskFromRow(*rows, 0);
}

Result<std::vector<Task>> ListTasks(store::Reader& db, std::int64_t repository_id,
                                    const TaskFilter& filter) {
  std::string sql = std::string("SELECT ") + kTaskColumns + " FROM tasks WHERE repository_id = $1";
  store::Params params{repository_id};
  if (filter.status) {
    params.push_back(std::string(TaskStatusName(*filter.status)));
    sql += " AND status = $" + std::to_string(params.size());
  }
  if (filter.assigned_to) {
    params.push_back(*filter.assigned_to);
    sql += " AND assigned_to = $" + std::to_string(params.size());
  }
  if (filter.type) {
    params.push_back(*filter.type);
    sql += " AND type = $" + std::to_string(params.size());
  }
  if (filter.priority) {
    params.push_back(*filter.priority);
    sql += " AND priority = $" + std::to_string(params.size());
  }
  sql += " ORDER BY id";
  if (filter.limit) {
    params.push_back(static_cast<std::int64_t>(*filter.limit));
    sql += " LIMIT $" + std::to_string(params.size());
    params.push_back(static_cast<std::int64_t>(filter.offset));
    sql += " OFFSET $" + std::to_string(params.size());
  }
  auto rows = db.Query(sql, params);
  if (!rows) return rows.error();
  std::vector<Task> out;
  for (std::size_t i = 0; i < rows->size(); ++i) out.push_back(TaskFromRow(*rows, i));
  return out;
}

Result<std::vector<HistoryEntry>> LoadHistory(store::Reader& db, std::int64_t task_id) {
  auto rows = db.Query(
      "SELECT id, action, agent, details, created_at FROM task_history WHERE task_id = $1 "
      "ORDER BY id",
      {task_id});
  if (!rows) return rows.error();
  std::vector<HistoryEntry> out;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    out.push_back({rows->Int(i, "id").value_or(0), Text(*rows, i, "action"),
                   Text(*rows, i, "agent"), Text(*rows, i, "details"),
                   Text(*rows, i, "created_at")});
  }
  return out;
}

Result<std::vector<CompletionRecord>> LoadCompletions(store::Reader& db, std::int64_t task_id) {
  auto rows = db.Query(
      "SELECT id, task_id, agent, summary, files_changed, tests_passed, details, reported_at, "
      "created_at FROM completion_reports WHERE task_id = $1 ORDER BY id",
      {task_id});
  if (!rows) return rows.error();
  std::vector<CompletionRecord> out;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    CompletionRecord c;
    c.id = rows->Int(i, "id").value_or(0);
    c.task_id = rows->Int(i, "task_id").value_or(0);
    c.agent = Text(*rows, i, "agent");
    c.summary = Text(*rows, i, "summary");
    c.changes = StringList(Text(*rows, i, "files_changed"));
    c.tests_passed = rows->Int(i, "tests_passed").value_or(0) != 0;
    json details = ParseJson(Text(*rows, i, "details"), json::object());
    c.notes = details.value("notes", "");
    c.review = details.value("review", "");
    for (const auto& r : details.value("review_reasons", json::array())) {
      if (r.is_string()) c.review_reasons.push_back(r.get<std::string>());
    }
    c.reported_at = Text(*rows, i, "reported_at");
    c.created_at = Text(*rows, i, "created_at");
    out.push_back(std::move(c));
  }
  return out;
}

namespace {

Result<std::vector<FindingRecord>> FindingsWhere(store::Reader& db, const char* where,
                                                 std::int64_t id) {
  auto rows = db.Query(
      std::string("SELECT id, task_id, kind, description, files, agent, reported_at, created_at "
                  "FROM findings WHERE ") +
          where + " = $1 ORDER BY id",
      {id});
  if (!rows) return rows.error();
  std::vector<FindingRecord> out;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    out.push_back({rows->Int(i, "id").value_or(0), OptionalId(*rows, i, "task_id"),
                   Text(*rows, i, "kind"), Text(*rows, i, "description"),
                   StringList(Text(*rows, i, "files")), Text(*rows, i, "agent"),
                   Text(*rows, i, "reported_at"), Text(*rows, i, "created_at")});
  }
  return out;
}

}  // namespace

Result<std::vector<FindingRecord>> LoadFindings(store::Reader& db, std::int64_t task_id) {
  return FindingsWhere(db, "task_id", task_id);
}

Result<std::vector<FindingRecord>> LoadRepositoryFindings(store::Reader& db,
                                                          std::int64_t repository_id) {
  return FindingsWhere(db, "repository_id", repository_id);
}

Result<std::vector<DecisionRecord>> LoadDecisions(store::Reader& db, std::int64_t repository_id,
                                                  std::optional<std::int64_t> task_id) {
  std::string sql =
      std::string("SELECT ") + kDecisionColumns + " FROM decisions WHERE repository_id = $1";
  store::Params params{repository_id};
  if (task_id) {
    sql += " AND task_id = $2";
    params.push_back(*task_id);
  }
  auto rows = db.Query(sql + " ORDER BY number", params);
  if (!rows) return rows.error();
  std::vector<DecisionRecord> out;
  for (std::size_t i = 0; i < rows->size(); ++i) out.push_back(DecisionFromRow(*rows, i));
  return out;
}

Result<DecisionRecord> LoadDecision(store::Reader& db, std::int64_t decision_row_id) {
  auto rows = db.Query(std::string("SELECT ") + kDecisionColumns + " FROM decisions WHERE id = $1",
                       {decision_row_id});
  if (!rows) return rows.error();
  if (rows->empty()) {
    return MakeError(ErrorCode::kStorageNotFound,
                     "decision " + std::to_string(decision_row_id) + " not found");
  }
  return DecisionFromRow(*rows, 0);
}

Result<std::vector<DecisionRecord>> LoadDecisionsById(store::Reader& db,
                                                      const std::vector<std::int64_t>& row_ids) {
  constexpr std::size_t kIdsPerQuery = 500;
  std::vector<DecisionRecord> out;
  for (std::size_t at = 0; at < row_ids.size(); at += kIdsPerQuery) {
    const std::size_t end = std::min(row_ids.size(), at + kIdsPerQuery);
    store::Params params;
    const std::string in = store::AppendInList(params, row_ids.begin() + at, row_ids.begin() + end);
    auto rows = db.Query(
        std::string("SELECT ") + kDecisionColumns + " FROM decisions WHERE id IN (" + in + ")",
        params);
    if (!rows) return rows.error();
    for (std::size_t i = 0; i < rows->size(); ++i) out.push_back(DecisionFromRow(*rows, i));
  }
  return out;
}

Result<std::vector<BlockerRecord>> LoadBlockers(store::Reader& db, std::int64_t task_id) {
  auto rows = db.Query(
      "SELECT id, task_id, reason, needs, agent, reported_at, created_at, resolution, "
      "resolved_by, resolved_at FROM blockers WHERE task_id = $1 ORDER BY id",
      {task_id});
  if (!rows) return rows.error();
  std::vector<BlockerRecord> out;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    out.push_back({rows->Int(i, "id").value_or(0), rows->Int(i, "task_id").value_or(0),
                   Text(*rows, i, "reason"), Text(*rows, i, "needs"), Text(*rows, i, "agent"),
                   Text(*rows, i, "reported_at"), Text(*rows, i, "created_at"),
                   Text(*rows, i, "resolution"), Text(*rows, i, "resolved_by"),
                   Text(*rows, i, "resolved_at")});
  }
  return out;
}

}  // namespace docrunch::tasks
