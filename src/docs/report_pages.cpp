#include "docs/report_pages.h"

#include "docs/analysis_pages.h"

#include <charconv>
#include <filesystem>
#include <set>
#include <unordered_map>

#include "core/text.h"
#include "docs/markdown.h"

namespace docrunch::docs {
namespace {

using tasks::TaskStatusName;

// A value inside a Markdown table cell: one line, no column breaks.
std::string Cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out.empty() ? "-" : out;
}

std::string Or(const std::string& value, const std::string& fallback) {
  return value.empty() ? fallback : value;
}

void Bullets(std::string& out, const std::vector<std::string>& items, bool code = false) {
  for (const auto& item : items) {
    out += code ? "- " + InlineCode(item) + "\n" : "- " + item + "\n";
  }
}

void Section(std::string& out, const std::string& title) {
  out += "\n## " + title + "\n\n";
}

void Fields(std::string& out, const tasks::Task& t) {
  out += "| field | value |\n| --- | --- |\n";
  auto row = [&](const std::string& k, const std::string& v) {
    out += "| " + k + " | " + Cell(v) + " |\n";
  };
  row("type", t.type);
  row("status", std::string(TaskStatusName(t.status)));
  row("priority", t.priority);
  row("assigned to", t.assigned_to.value_or(""));
  row("review mode", std::string(config::ReviewModeName(t.review_mode)));
  row("progress", std::to_string(t.progress) + "%");
  row("created", t.created_at + (t.created_by.empty() ? "" : " by " + t.created_by));
  row("started", t.started_at);
  row("completed", t.completed_at);
}

void Completions(std::string& out, const std::vector<tasks::CompletionRecord>& reports) {
  int n = 0;
  for (const auto& c : reports) {
    out += "### Completion " + std::to_string(++n) + " by " + c.agent + "\n\n";
    out += "- Reported at: " + c.reported_at + " (received " + c.created_at + ")\n";
    out += std::string("- Tests passed: ") + (c.tests_passed ? "yes" : "no") + "\n";
    if (c.review == "auto_approved") {
      out += "- Review: auto-approved\n";
    } else {
      out += "- Review: needed (" + Join(c.review_reasons, "; ") + ")\n";
    }
    out += "\n" + c.summary + "\n";
    if (!c.changes.empty()) {
      out += "\nFiles changed:\n\n";
      Bullets(out, c.changes, true);
    }
    if (!c.notes.empty()) out += "\nNotes: " + c.notes + "\n";
    out += "\n";
  }
}

Result<std::int64_t> ParseNumberedId(const std::string& text, const std::string& prefix) {
  std::int64_t n = 0;
  const char* begin = text.data() + prefix.size();
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, n);
  if (text.rfind(prefix, 0) != 0 || ec != std::errc() || ptr != end || n < 1 || *begin == '0') {
    return MakeError(ErrorCode::kInvalidParams,
                     "entity id: expected " + prefix + "<n>, got '" + text.substr(0, 40) + "'");
  }
  return n;
}

}  // namespace

std::string TaskPagePath(std::int64_t task_id) {
  return "tasks/" + tasks::TaskIdText(task_id) + ".md";
}

std::string DecisionPagePath(int number) {
  return "decisions/" + tasks::DecisionIdText(number) + ".md";
}

std::string RenderTaskPage(const tasks::TaskDetails& d) {
  const tasks::Task& t = d.task;
  std::string out = "# " + t.IdText() + ": " + t.title + "\n\n";
  Fields(out, t);
  Section(out, "Description");
  out += Or(t.description, "(none)") + "\n";
  Section(out, "Guardrails");
  t.guardrails.empty() ? void(out += "(none)\n") : Bullets(out, t.guardrails);
  Section(out, "Acceptance criteria");
  t.acceptance_criteria.empty() ? void(out += "(none)\n") : Bullets(out, t.acceptance_criteria);
  if (!d.dependencies.empty()) {
    Section(out, "Depends on");
    for (const auto& dep : d.dependencies) {
      out += "- " + dep.IdText() + ": " + dep.title + " (" +
             std::string(TaskStatusName(dep.status)) + ")\n";
    }
  }
  Section(out, "Completion reports");
  Completions(out, d.completions);
  if (!d.findings.empty()) {
    Section(out, "Findings");
    for (const auto& f : d.findings) {
      out += "- **" + f.type + "** (" + f.IdText() + ", " + f.agent + "): " + f.description;
      for (std::size_t i = 0; i < f.files.size(); ++i) {
        out += (i == 0 ? " Files: " : ", ") + InlineCode(f.files[i]);
      }
      out += "\n";
    }
  }
  if (!d.decisions.empty()) {
    Section(out, "Decisions");
    for (const auto& dec : d.decisions) {
      out +=
          "- [" + dec.IdText() + "](../" + DecisionPagePath(dec.number) + "): " + dec.title + "\n";
    }
  }
  if (!d.blockers.empty()) {
    Section(out, "Blockers");
    for (const auto& b : d.blockers) {
      out += "- " + b.description + (b.needs.empty() ? "" : " Needs: " + b.needs) + " (" +
             Or(b.agent, "-") + ", " + b.created_at + ")";
      if (!b.resolved_at.empty()) {
        out += "; resolved " + b.resolved_at + " by " + b.resolved_by +
               (b.resolution.empty() ? "" : ": " + b.resolution);
      }
      out += "\n";
    }
  }
  Section(out, "History");
  out += "| at | action | agent | details |\n| --- | --- | --- | --- |\n";
  for (const auto& h : d.history) {
    out += "| " + h.created_at + " | " + h.action + " | " + Cell(h.agent) + " | " +
           Cell(h.details) + " |\n";
  }
  return out;
}

std::string RenderDecisionPage(const tasks::DecisionRecord& d) {
  std::string out = "# " + d.IdText() + ": " + d.title + "\n\n";
  out += "- Status: " + d.status + "\n";
  if (d.task_id) {
    out += "- Task: [" + tasks::TaskIdText(*d.task_id) + "](../" + TaskPagePath(*d.task_id) + ")\n";
  }
  out +=
      "- Recorded by: " + d.agent + " at " + d.reported_at + " (received " + d.created_at + ")\n";
  out += "\n## Context\n\n" + d.context + "\n";
  out += "\n## Decision\n\n" + d.decision + "\n";
  out += "\n## Rationale\n\n" + d.rationale + "\n";
  return out;
}

Result<tasks::TaskDetails> LoadTaskReport(store::Reader& db, std::int64_t repository_id,
                                          std::int64_t task_id) {
  tasks::TaskDetails d;
  auto task = tasks::LoadTask(db, repository_id, task_id);
  if (!task) return task.error();
  d.task = *task;
  for (auto id : task->depends_on) {
    auto dep = tasks::LoadTask(db, repository_id, id);
    if (dep) d.dependencies.push_back(*dep);
  }
  auto history = tasks::LoadHistory(db, task_id);
  auto completions = tasks::LoadCompletions(db, task_id);
  auto findings = tasks::LoadFindings(db, task_id);
  auto decisions = tasks::LoadDecisions(db, repository_id, task_id);
  auto blockers = tasks::LoadBlockers(db, task_id);
  for (const Error* e :
       {history ? nullptr : &history.error(), completions ? nullptr : &completions.error(),
        findings ? nullptr : &findings.error(), decisions ? nullptr : &decisions.error(),
        blockers ? nullptr : &blockers.error()}) {
    if (e) return *e;
  }
  d.history = std::move(*history);
  d.completions = std::move(*completions);
  d.findings = std::move(*findings);
  d.decisions = std::move(*decisions);
  d.blockers = std::move(*blockers);
  return d;
}

Result<void> ReportsProjection::ApplyTask(store::Reader& db, std::int64_t task_id) {
  auto report = LoadTaskReport(db, repository_id_, task_id);
  if (!report && report.error().code == ErrorCode::kStorageNotFound) {
    return writer_.Remove(TaskPagePath(task_id));
  }
  if (!report) return report.error();
  if (report->completions.empty()) return writer_.Remove(TaskPagePath(task_id));
  auto written = writer_.Write(TaskPagePath(task_id), RenderTaskPage(*report));
  if (!written) return written.error();
  return Ok();
}

Result<void> ReportsProjection::ApplyDecision(store::Reader& db, std::int64_t decision_row_id) {
  auto decision = tasks::LoadDecision(db, decision_row_id);
  if (!decision && decision.error().code == ErrorCode::kStorageNotFound) return Ok();
  if (!decision) return decision.error();
  return WriteDecision(*decision);
}

Result<void> ReportsProjection::WriteDecision(const tasks::DecisionRecord& decision) {
  auto written = writer_.Write(DecisionPagePath(decision.number), RenderDecisionPage(decision));
  if (!written) return written.error();
  return Ok();
}

std::vector<Result<void>> ReportsProjection::RenderBatch(
    const std::vector<store::SyncEvent>& events, store::Reader& db) {
  std::vector<Result<void>> results(events.size(), Ok());
  std::vector<std::size_t> decisions;  // events whose rows are read below
  std::vector<std::int64_t> ids;       // their row ids
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (events[i].entity_type != "decision") {
      results[i] = Render(events[i], db);
      continue;
    }
    auto id = ParseNumberedId(events[i].entity_id, "decision-");
    if (!id) {
      results[i] = id.error();
      continue;
    }
    decisions.push_back(i);
    ids.push_back(*id);
  }
  if (decisions.empty()) return results;
  auto loaded = tasks::LoadDecisionsById(db, ids);
  if (!loaded) {
    for (std::size_t i : decisions) results[i] = loaded.error();
    return results;
  }
  std::unordered_map<std::int64_t, const tasks::DecisionRecord*> by_id;
  for (const auto& d : *loaded) by_id[d.id] = &d;
  for (std::size_t k = 0; k < decisions.size(); ++k) {
    auto found = by_id.find(ids[k]);
    // A decision gone since its event: nothing to write (as ApplyDecision).
    if (found != by_id.end()) results[decisions[k]] = WriteDecision(*found->second);
  }
  return results;
}

Result<void> ReportsProjection::Apply(const store::SyncEvent& event, store::Tx& db) {
  return Render(event, db);
}

Result<void> ReportsProjection::Render(const store::SyncEvent& event, store::Reader& db) {
  if (event.entity_type == "task") {
    auto id = tasks::ParseTaskId(event.entity_id, "entity id");
    if (!id) return id.error();
    if (event.action == "delete") return writer_.Remove(TaskPagePath(*id));
    return ApplyTask(db, *id);
  }
  if (event.entity_type == "decision") {
    auto id = ParseNumberedId(event.entity_id, "decision-");
    if (!id) return id.error();
    return ApplyDecision(db, *id);
  }
  if (event.entity_type == "analysis") {
    return ApplyAnalysisPage(db, writer_, repository_id_, event.entity_id);
  }
  return Ok();
}

Result<void> ReportsProjection::Delete(const sync::EntityRef& entity, store::Tx&) {
  return Remove(entity);
}

Result<void> ReportsProjection::Remove(const sync::EntityRef& entity) {
  if (entity.type == "analysis") {
    auto path = AnalysisPagePath(entity.id);
    if (!path) return path.error();
    return writer_.Remove(*path);
  }
  if (entity.type != "task") return Ok();  // decision pages go with Rebuild
  auto id = tasks::ParseTaskId(entity.id, "entity id");
  if (!id) return id.error();
  return writer_.Remove(TaskPagePath(*id));
}

sync::ProjectionHealth ReportsProjection::Health() {
  std::error_code ec;
  std::filesystem::create_directories(writer_.root(), ec);
  if (ec) return {false, "docs folder " + writer_.root().string() + ": " + ec.message()};
  return {true, ""};
}

Result<void> ReportsProjection::Rebuild(store::Tx& db) {
  std::set<std::string> wanted;
  auto ids = db.Query(
      "SELECT DISTINCT task_id FROM completion_reports WHERE repository_id = $1 ORDER BY task_id",
      {repository_id_});
  if (!ids) return ids.error();
  for (std::size_t i = 0; i < ids->size(); ++i) {
    std::int64_t id = ids->Int(i, "task_id").value_or(0);
    DOCRUNCH_TRY(ApplyTask(db, id));
    wanted.insert(TaskPagePath(id));
  }
  auto decisions = tasks::LoadDecisions(db, repository_id_, std::nullopt);
  if (!decisions) return decisions.error();
  for (const auto& d : *decisions) {
    auto written = writer_.Write(DecisionPagePath(d.number), RenderDecisionPage(d));
    if (!written) return written.error();
    wanted.insert(DecisionPagePath(d.number));
  }
  DOCRUNCH_TRY(RebuildAnalysisPages(db, writer_, repository_id_, wanted));
  for (const char* folder : {"tasks", "decisions", "reports"}) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(writer_.root() / folder, ec)) {
      std::string relative = std::string(folder) + "/" + entry.path().filename().string();
      if (entry.path().extension() == ".md" && !wanted.count(relative)) {
        DOCRUNCH_TRY(writer_.Remove(relative));
      }
    }
  }
  return Ok();
}

Result<std::vector<std::string>> ReportsProjection::PublishTask(store::Reader& db,
                                                                std::int64_t task_id) {
  auto report = LoadTaskReport(db, repository_id_, task_id);
  if (!report) return report.error();
  if (report->completions.empty()) {
    return MakeError(ErrorCode::kInvalidParams,
                     report->task.IdText() + " has no completion report to publish yet");
  }
  std::vector<std::string> paths{TaskPagePath(task_id)};
  auto written = writer_.Write(paths[0], RenderTaskPage(*report));
  if (!written) return written.error();
  for (const auto& d : report->decisions) {
    auto page = writer_.Write(DecisionPagePath(d.number), RenderDecisionPage(d));
    if (!page) return page.error();
    paths.push_back(DecisionPagePath(d.number));
  }
  return paths;
}

}  // namespace docrunch::docs
