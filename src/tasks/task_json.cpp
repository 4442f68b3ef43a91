#include "tasks/task_json.h"

namespace docrunch::tasks {
namespace {

using nlohmann::json;

json Time(const std::string& t) {
  return t.empty() ? json(nullptr) : json(t);
}

json Ids(const std::vector<std::int64_t>& ids) {
  json out = json::array();
  for (auto id : ids) out.push_back(TaskIdText(id));
  return out;
}

template <class T>
json List(const std::vector<T>& items) {
  json out = json::array();
  for (const auto& item : items) out.push_back(ToJson(item));
  return out;
}

}  // namespace

json ToJson(const Task& t) {
  // Built key by key: an initializer list of pairs makes a two-element
  // array per field first, which doubled the cost of a REST task list.
  json out = json::object();
  out["id"] = t.IdText();
  out["type"] = t.type;
  out["title"] = t.title;
  out["description"] = t.description;
  out["status"] = TaskStatusName(t.status);
  out["priority"] = t.priority;
  out["assigned_to"] = t.assigned_to ? json(*t.assigned_to) : json(nullptr);
  out["depends_on"] = Ids(t.depends_on);
  out["blocks"] = Ids(t.blocks);
  out["guardrails"] = t.guardrails;
  out["acceptance_criteria"] = t.acceptance_criteria;
  out["review_mode"] = config::ReviewModeName(t.review_mode);
  out["progress"] = t.progress;
  out["status_note"] = t.status_note.empty() ? json(nullptr) : json(t.status_note);
  out["blocked_from"] =
      t.status_before_block ? json(TaskStatusName(*t.status_before_block)) : json(nullptr);
  out["created_by"] = t.created_by;
  out["created_at"] = Time(t.created_at);
  out["started_at"] = Time(t.started_at);
  out["claimed_at"] = Time(t.claimed_at);
  out["last_report_at"] = Time(t.last_report_at);
  out["completed_at"] = Time(t.completed_at);
  out["updated_at"] = Time(t.updated_at);
  return out;
}

json ToJson(const CompletionRecord& c) {
  return {{"id", c.id},
          {"agent", c.agent},
          {"summary", c.summary},
          {"changes", c.changes},
          {"tests_passed", c.tests_passed},
          {"notes", c.notes},
          {"review", c.review},
          {"review_reasons", c.review_reasons},
          {"reported_at", c.reported_at},
          {"received_at", c.created_at}};
}

json ToJson(const FindingRecord& f) {
  return {{"id", f.IdText()},
          {"task_id", f.task_id ? json(TaskIdText(*f.task_id)) : json(nullptr)},
          {"type", f.type},
          {"description", f.description},
          {"files", f.files},
          {"created_by", f.agent},
          {"created_at", f.reported_at},
          {"received_at", f.created_at}};
}

json ToJson(const DecisionRecord& d) {
  return {{"id", d.IdText()},
          {"task_id", d.task_id ? json(TaskIdText(*d.task_id)) : json(nullptr)},
          {"title", d.title},
          {"context", d.context},
          {"decision", d.decision},
          {"rationale", d.rationale},
          {"status", d.status},
          {"created_by", d.agent},
          {"created_at", d.reported_at},
          {"received_at", d.created_at}};
}

json ToJson(const BlockerRecord& b) {
  return {{"id", b.id},
          {"task_id", TaskIdText(b.task_id)},
          {"description", b.description},
          {"needs", b.needs},
          {"reported_by", b.agent},
          {"reported_at", b.reported_at},
          {"received_at", b.created_at},
          {"resolution", b.resolution.empty() ? json(nullptr) : json(b.resolution)},
          {"resolved_by", b.resolved_by.empty() ? json(nullptr) : json(b.resolved_by)},
          {"resolved_at", Time(b.resolved_at)}};
}

json ToJson(const TaskDetails& d) {
  json out = ToJson(d.task);
  out["available"] = d.available;
  out["dependencies"] = List(d.dependencies);
  out["dependents"] = List(d.dependents);
  json history = json::array();
  for (const auto& h : d.history) {
    json details = json::parse(h.details, nullptr, false);
    history.push_back({{"action", h.action},
                       {"agent", h.agent.empty() ? json(nullptr) : json(h.agent)},
                       {"details", details.is_discarded() ? json::object() : details},
                       {"at", h.created_at}});
  }
  out["history"] = history;
  out["completions"] = List(d.completions);
  out["findings"] = List(d.findings);
  out["decisions"] = List(d.decisions);
  out["blockers"] = List(d.blockers);
  json files = json::array(), symbols = json::array(), schemas = json::array(),
       decisions = json::array();
  for (const auto& f : d.context.files)
    files.push_back({{"path", f.path}, {"language", f.language}});
  for (const auto* list : {&d.context.symbols, &d.context.schemas}) {
    for (const auto& s : *list) {
      (list == &d.context.symbols ? symbols : schemas)
          .push_back({{"kind", s.kind},
                      {"name", s.name},
                      {"qualified_name", s.qualified_name},
                      {"file_path", s.file_path},
                      {"line", s.line}});
    }
  }
  for (const auto& dec : d.context.decisions) {
    decisions.push_back({{"id", dec.id}, {"title", dec.title}});
  }
  out["context"] = {
      {"files", files}, {"symbols", symbols}, {"schemas", schemas}, {"decisions", decisions}};
  return out;
}

json ToJson(const CompletionOutcome& o) {
  return {{"task", ToJson(o.task)},
          {"report", ToJson(o.report)},
          {"auto_approved", o.auto_approved},
          {"review_reasons", o.review_reasons},
          {"findings",
           [&] {
             json ids = json::array();
             for (auto id : o.findings) ids.push_back("finding-" + std::to_string(id));
             return ids;
           }()},
          {"decisions", List(o.decisions)}};
}

}  // namespace docrunch::tasks
