// docrunch task list|create|show|assign|approve|reject|block|unblock|move|deps|publish|report
//
// Hidden, for scripts and tests: `task claim ID --as AGENT` (a claim_task
// report stamped with the current time).
#include <spdlog/spdlog.h>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "app/snapshot_support.h"
#include "app/sync_runner.h"
#include "app/task_env.h"
#include "config/task_rules.h"
#include "core/text.h"
#include "docs/report_pages.h"
#include "jobs/queue.h"
#include "search/task_context_source.h"
#include "tasks/task_json.h"
#include "tasks/task_service.h"

namespace docrunch::app {
namespace {

using nlohmann::json;
using tasks::Task;
using tasks::TaskService;

std::string Dash(const std::string& s) {
  return s.empty() ? "-" : s;
}

std::string Pad(std::string s, std::size_t width) {
  if (s.size() > width) s = s.substr(0, width - 1) + "~";
  return s + std::string(width - s.size() + 2, ' ');
}

std::string TaskTable(const std::vector<Task>& list) {
  if (list.empty()) return "no tasks";
  std::string out = Pad("ID", 10) + Pad("STATUS", 8) + Pad("PRIORITY", 8) + Pad("TYPE", 10) +
                    Pad("ASSIGNEE", 16) + Pad("PROGRESS", 8) + "TITLE\n";
  for (const auto& t : list) {
    out += Pad(t.IdText(), 10) + Pad(std::string(tasks::TaskStatusName(t.status)), 8) +
           Pad(t.priority, 8) + Pad(t.type, 10) + Pad(Dash(t.assigned_to.value_or("")), 16) +
           Pad(std::to_string(t.progress) + "%", 8) + t.title + "\n";
  }
  return out;
}

std::string Lines(const std::string& title, const std::vector<std::string>& items) {
  if (items.empty()) return "";
  std::string out = title + ":\n";
  for (const auto& i : items) out += "  - " + i + "\n";
  return out;
}

std::string DetailsText(const tasks::TaskDetails& d) {
  const Task& t = d.task;
  std::string out = t.IdText() + ": " + t.title + "\n";
  out += "  status:      " + std::string(tasks::TaskStatusName(t.status)) +
         (t.status_before_block
              ? " (was " + std::string(tasks::TaskStatusName(*t.status_before_block)) + ")"
              : "") +
         (d.available ? " (available)" : "") + "\n";
  out += "  type:        " + t.type + ", priority " + t.priority + ", review " +
         std::string(config::ReviewModeName(t.review_mode)) + "\n";
  out += "  assigned to: " + Dash(t.assigned_to.value_or("")) + ", progress " +
         std::to_string(t.progress) + "%" +
         (t.status_note.empty() ? "" : " (" + t.status_note + ")") + "\n";
  out += "  created:     " + t.created_at + " by " + Dash(t.created_by) + "\n";
  if (!t.description.empty()) out += "\n" + t.description + "\n";
  out += "\n" + Lines("Guardrails", t.guardrails) +
         Lines("Acceptance criteria", t.acceptance_criteria);
  std::vector<std::string> deps, dependents, context;
  for (const auto& x : d.dependencies) {
    deps.push_back(x.IdText() + " " + std::string(tasks::TaskStatusName(x.status)) + ": " +
                   x.title);
  }
  for (const auto& x : d.dependents) dependents.push_back(x.IdText() + ": " + x.title);
  out += Lines("Depends on", deps) + Lines("Blocks", dependents);
  std::vector<std::string> reports;
  for (const auto& c : d.completions) {
    reports.push_back("completion by " + c.agent + " at " + c.reported_at + ", tests " +
                      (c.tests_passed ? "passed" : "failed") + ", " +
                      std::to_string(c.changes.size()) + " files: " + c.summary +
                      (c.review == "auto_approved"
                           ? " [auto-approved]"
                           : " [review: " + Join(c.review_reasons, "; ") + "]"));
  }
  for (const auto& f : d.findings) {
    reports.push_back(f.IdText() + " " + f.type + " by " + f.agent + ": " + f.description);
  }
  for (const auto& x : d.decisions) reports.push_back(x.IdText() + " decision: " + x.title);
  for (const auto& b : d.blockers) {
    reports.push_back("blocker by " + Dash(b.agent) + ": " + b.description +
                      (b.needs.empty() ? "" : " (needs " + b.needs + ")") +
                      (b.resolved_at.empty() ? " [open]" : " [resolved " + b.resolved_at + "]"));
  }
  out += Lines("Reports", reports);
  for (const auto& f : d.context.files) context.push_back("file " + f.path);
  for (const auto& s : d.context.symbols) {
    context.push_back(s.kind + " " + s.qualified_name + " (" + s.file_path + ":" +
                      std::to_string(s.line) + ")");
  }
  for (const auto& s : d.context.schemas)
    context.push_back("schema " + s.name + " (" + s.file_path + ")");
  for (const auto& x : d.context.decisions) context.push_back(x.id + ": " + x.title);
  out += Lines("Context", context);
  out += "History:\n";
  for (const auto& h : d.history) {
    out +=
        "  " + h.created_at + "  " + Pad(h.action, 16) + Pad(Dash(h.agent), 16) + h.details + "\n";
  }
  return out;
}

void PrintTask(const Task& t, bool json_out, const std::string& verb) {
  if (json_out) {
    Print(tasks::ToJson(t).dump(2));
  } else {
    Print(verb + " " + t.IdText() + " (" + std::string(tasks::TaskStatusName(t.status)) +
          "): " + t.title);
  }
}

// Applies the report's outbox events to the index and the pages now
// (embedded mode), so a decision is findable by `docrunch query` at once. A
// target that fails does not fail the report: its events retry.
Result<void> DrainReportEvents(TaskEnv& env) {
  auto drained =
      DrainSync(*env.store, *env.config, {env.repository_id, env.docs_root, env.project_name});
  if (!drained) return drained.error();
  return Ok();
}

Result<json> ReadReportJson(const std::string& text) {
  std::string source = text;
  if (text == "-") source.assign(std::istreambuf_iterator<char>(std::cin), {});
  json parsed = json::parse(source, nullptr, false);
  if (parsed.is_discarded()) {
    return MakeError(ErrorCode::kInvalidParams, "--json: not valid JSON");
  }
  return parsed;
}

Result<void> RunReport(AppContext& ctx, const std::string& kind, const std::string& text) {
  auto body = ReadReportJson(text);
  if (!body) return body.error();
  auto env = OpenTasks(ctx);
  if (!env) return env.error();
  TaskService& s = *env->service;
  json out;
  if (kind == "claim") {
    auto r = tasks::ParseClaimReport(*body);
    if (!r) return r.error();
    auto t = s.Claim(*r);
    if (!t) return t.error();
    out = tasks::ToJson(*t);
  } else if (kind == "progress") {
    auto r = tasks::ParseProgressReport(*body);
    if (!r) return r.error();
    auto t = s.UpdateProgress(*r);
    if (!t) return t.error();
    out = tasks::ToJson(*t);
  } else if (kind == "complete") {
    auto r = tasks::ParseCompletionReport(*body);
    if (!r) return r.error();
    auto o = s.SubmitCompletion(*r);
    if (!o) return o.error();
    out = tasks::ToJson(*o);
  } else if (kind == "finding") {
    auto r = tasks::ParseFindingReport(*body);
    if (!r) return r.error();
    auto f = s.LogFinding(*r);
    if (!f) return f.error();
    out = tasks::ToJson(*f);
  } else if (kind == "decision") {
    auto r = tasks::ParseDecisionReport(*body);
    if (!r) return r.error();
    auto d = s.RecordDecision(*r);
    if (!d) return d.error();
    out = tasks::ToJson(*d);
  } else {
    auto r = tasks::ParseBlockerReport(*body);
    if (!r) return r.error();
    auto b = s.ReportBlocker(*r);
    if (!b) return b.error();
    out = tasks::ToJson(*b);
  }
  DOCRUNCH_TRY(DrainReportEvents(*env));
  Print(out.dump(2));
  return Ok();
}

struct Options {
  std::string id, status, assignee, type, title, description, priority = "medium", to, reason, note,
                                                              as = "cli", kind, body;
  std::vector<std::string> depends_on;
  bool json = false, backlog = false, available = false;
};

// Adds `name` whose callback runs `fn(env)` after parsing.
template <class Fn>
CLI::App* Sub(CLI::App* parent, AppContext& ctx, Action& action, const char* name, const char* help,
              Fn fn) {
  CLI::App* cmd = parent->add_subcommand(name, help);
  cmd->callback([&ctx, &action, fn] {
    action = [&ctx, fn]() -> Result<void> {
      auto env = OpenTasks(ctx);
      if (!env) return env.error();
      DOCRUNCH_TRY(fn(*env));
      return DrainReportEvents(*env);  // what the command wrote, into the index and pages
    };
  });
  return cmd;
}

}  // namespace

void RegisterTask(CLI::App& app, AppContext& ctx, Action& action) {
  CLI::App* cmd = app.add_subcommand("task", "The Kanban of agent tasks");
  cmd->require_subcommand(1);
  auto o = std::make_shared<Options>();
  auto as = [o](CLI::App* c) {
    c->add_option("--as", o->as, "Who does this (an agent id; default cli)");
  };

  CLI::App* list = Sub(cmd, ctx, action, "list", "List tasks", [o](TaskEnv& env) -> Result<void> {
    tasks::TaskFilter filter;
    if (!o->status.empty()) {
      filter.status = tasks::ParseTaskStatus(o->status);
      if (!filter.status) {
        std::string hint = ClosestMatch(o->status, tasks::TaskStatusNames());
        return MakeError(ErrorCode::kUsage,
                         "--status: must be one of " + Join(tasks::TaskStatusNames(), ", ") +
                             ", got '" + o->status + "'" +
                             (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
      }
    }
    if (!o->assignee.empty()) filter.assigned_to = o->assignee;
    auto found = o->available ? env.service->Available() : env.service->List(filter);
    if (!found) return found.error();
    if (!o->json) {
      Print(TaskTable(*found));
      return Ok();
    }
    json out = json::array();
    for (const auto& t : *found) out.push_back(tasks::ToJson(t));
    Print(out.dump(2));
    return Ok();
  });
  list->add_option("--status", o->status, "Only tasks with this status");
  list->add_option("--assignee", o->assignee, "Only tasks assigned to this agent");
  list->add_flag("--available", o->available,
                 "Only tasks an agent may claim now (todo, dependencies done)");
  list->add_flag("--json", o->json, "Print JSON");

  CLI::App* create =
      Sub(cmd, ctx, action, "create", "Create a task from a type of task_templates.yaml",
          [o](TaskEnv& env) -> Result<void> {
            tasks::CreateTaskRequest r{o->type,       o->title,   o->description, o->priority,
                                       o->depends_on, o->backlog, o->as};
            auto t = env.service->Create(r);
            if (!t) return t.error();
            PrintTask(*t, o->json, "created");
            return Ok();
          });
  create->add_option("--type", o->type, "Task type (bug_fix, feature, ...)")->required();
  create->add_option("--title", o->title, "One-line title")->required();
  create->add_option("--description", o->description, "What to do");
  create->add_option("--priority", o->priority, "low, medium, high or critical");
  create->add_option("--depends-on", o->depends_on, "Tasks that must be done first")
      ->delimiter(',');
  create->add_flag("--backlog", o->backlog, "Create in backlog rather than todo");
  create->add_flag("--json", o->json, "Print JSON");
  as(create);

  CLI::App* show = Sub(cmd, ctx, action, "show", "A task with its history, reports and context",
                       [o](TaskEnv& env) -> Result<void> {
                         auto d = env.service->Show(o->id);
                         if (!d) return d.error();
                         Print(o->json ? tasks::ToJson(*d).dump(2) : DetailsText(*d));
                         return Ok();
                       });
  show->add_option("ID", o->id, "Task id (task-12)")->required();
  show->add_flag("--json", o->json, "Print JSON");

  CLI::App* assign = Sub(cmd, ctx, action, "assign", "Reserve a todo task for an agent",
                         [o](TaskEnv& env) -> Result<void> {
                           auto t = env.service->Assign(o->id, o->to, o->as);
                           if (!t) return t.error();
                           PrintTask(*t, o->json, "assigned");
                           return Ok();
                         });
  assign->add_option("ID", o->id, "Task id")->required();
  assign->add_option("--to", o->to, "Agent id")->required();

  CLI::App* approve = Sub(cmd, ctx, action, "approve", "Approve a task in review",
                          [o](TaskEnv& env) -> Result<void> {
                            auto t = env.service->Approve(o->id, o->as, o->note);
                            if (!t) return t.error();
                            PrintTask(*t, o->json, "approved");
                            return Ok();
                          });
  approve->add_option("ID", o->id, "Task id")->required();
  approve->add_option("--note", o->note, "A remark for the record");

  CLI::App* reject =
      Sub(cmd, ctx, action, "reject", "Reject a task in review", [o](TaskEnv& env) -> Result<void> {
        auto t = env.service->Reject(o->id, o->as, o->reason);
        if (!t) return t.error();
        PrintTask(*t, o->json, "rejected");
        return Ok();
      });
  reject->add_option("ID", o->id, "Task id")->required();
  reject->add_option("--reason", o->reason, "Why")->required();

  CLI::App* block =
      Sub(cmd, ctx, action, "block", "Block a task", [o](TaskEnv& env) -> Result<void> {
        auto t = env.service->Block(o->id, o->as, o->reason);
        if (!t) return t.error();
        PrintTask(*t, o->json, "blocked");
        return Ok();
      });
  block->add_option("ID", o->id, "Task id")->required();
  block->add_option("--reason", o->reason, "Why")->required();

  CLI::App* unblock = Sub(cmd, ctx, action, "unblock",
                          "Resolve a task's blockers; it returns to its previous status",
                          [o](TaskEnv& env) -> Result<void> {
                            auto t = env.service->Unblock(o->id, o->as, o->reason);
                            if (!t) return t.error();
                            PrintTask(*t, o->json, "unblocked");
                            return Ok();
                          });
  unblock->add_option("ID", o->id, "Task id")->required();
  unblock->add_option("--resolution", o->reason, "How it was resolved");

  CLI::App* move =
      Sub(cmd, ctx, action, "move",
          "Move a task: backlog<->todo, assigned->todo, rejected->todo, approved->done",
          [o](TaskEnv& env) -> Result<void> {
            auto to = tasks::ParseTaskStatus(o->to);
            if (!to) {
              return MakeError(ErrorCode::kUsage, "--to: must be one of " +
                                                      Join(tasks::TaskStatusNames(), ", ") +
                                                      ", got '" + o->to + "'");
            }
            auto t = env.service->Move(o->id, *to, o->as);
            if (!t) return t.error();
            PrintTask(*t, o->json, "moved");
            return Ok();
          });
  move->add_option("ID", o->id, "Task id")->required();
  move->add_option("--to", o->to, "Target status")->required();

  CLI::App* deps = Sub(cmd, ctx, action, "deps", "Replace a task's dependencies (cycles refused)",
                       [o](TaskEnv& env) -> Result<void> {
                         auto t = env.service->SetDependencies(o->id, o->depends_on, o->as);
                         if (!t) return t.error();
                         PrintTask(*t, o->json, "updated");
                         return Ok();
                       });
  deps->add_option("ID", o->id, "Task id")->required();
  deps->add_option("--depends-on", o->depends_on, "Task ids; empty for none")->delimiter(',');

  CLI::App* publish =
      Sub(cmd, ctx, action, "publish", "Write tasks/ID.md and its decisions' pages now",
          [o](TaskEnv& env) -> Result<void> {
            auto id = tasks::ParseTaskId(o->id);
            if (!id) return id.error();
            docs::DocWriter writer(env.docs_root);
            docs::ReportsProjection projection(writer, env.repository_id);
            auto paths = projection.PublishTask(*env.store, *id);
            if (!paths) return paths.error();
            for (const auto& p : *paths) Print("wrote " + (env.docs_root / p).string());
            return Ok();
          });
  publish->add_option("ID", o->id, "Task id")->required();

  CLI::App* report = cmd->add_subcommand(
      "report",
      "Send an agent report as JSON: claim, progress, complete, finding, decision, blocker");
  report->add_option("KIND", o->kind, "The report")
      ->required()
      ->check(CLI::IsMember({"claim", "progress", "complete", "finding", "decision", "blocker"}));
  report->add_option("--json", o->body, "The report's fields as a JSON object ('-': stdin)")
      ->required();
  report->callback(
      [&ctx, &action, o] { action = [&ctx, o] { return RunReport(ctx, o->kind, o->body); }; });

  CLI::App* claim = Sub(cmd, ctx, action, "claim", "Claim a task as an agent (for scripts/tests)",
                        [o, &ctx](TaskEnv& env) -> Result<void> {
                          tasks::ClaimReport r{o->id, o->as, FormatIso8601(ctx.clock().Now())};
                          auto t = env.service->Claim(r);
                          if (!t) return t.error();
                          PrintTask(*t, o->json, "claimed");
                          return Ok();
                        });
  claim->add_option("ID", o->id, "Task id")->required();
  claim->add_flag("--json", o->json, "Print JSON");
  claim->group("");  // hidden
  as(claim);
  for (CLI::App* c : {assign, approve, reject, block, unblock, move, deps}) {
    as(c);
    c->add_flag("--json", o->json, "Print JSON");
  }
}

namespace {

// rollback.auto_snapshot.on_task_complete: a `snapshot` job on the fast
// queue, so the agent's completion does not wait for an archive; the worker
// (or `serve`'s in-process one) takes it. Once per completion report, even
// when queued again.
void QueueCompletionSnapshot(AppContext& ctx, const tasks::CompletionOutcome& outcome) {
  const std::string task = outcome.task.IdText();
  nlohmann::json payload{{"trigger", "task_completion"},
                         {"note", "after the completion of " + task}};
  auto queue = OpenFastQueue(ctx);
  Result<std::string> queued =
      queue ? (*queue)->Enqueue(
                  "fast", {"snapshot", payload.dump(),
                           "snapshot:" + task + ":completion-" + std::to_string(outcome.report.id)})
            : Result<std::string>(queue.error());
  if (!queued) {
    spdlog::warn("snapshot after the completion of {}: not queued: {}", task,
                 queued.error().ToString());
  }
}

}  // namespace

Result<TaskEnv> OpenTasks(AppContext& ctx) {
  auto loaded = ctx.Config();
  if (!loaded) return loaded.error();
  auto store = ctx.Store();
  if (!store) return store.error();
  const config::Config& c = (*loaded)->config;
  auto rules = config::LoadTaskRules((*loaded)->file.parent_path());
  if (!rules) return rules.error();
  const auto& root = (*loaded)->project_root;
  std::string name = c.project.name.empty() ? root.filename().string() : c.project.name;
  std::error_code ec;
  auto canonical = std::filesystem::canonical(root, ec);  // the same row `scan` uses
  auto repo = tasks::EnsureRepository(**store, ec ? root.string() : canonical.string(), name);
  if (!repo) return repo.error();
  TaskEnv env;
  env.store = *store;
  env.repository_id = *repo;
  env.repository_root = ec ? root : canonical;
  std::filesystem::path docs = c.storage.docs_output;
  env.docs_root = (docs.is_relative() ? root / docs : docs).lexically_normal();
  env.config = &c;
  env.project_name = name;
  tasks::TaskServiceOptions options;
  options.claim_ttl = c.tasks.claim_ttl.value;
  options.limits.max_text_bytes = static_cast<std::size_t>(c.tasks.max_text_kb) * 1024;
  store::Store* live = *store;
  env.auto_snapshot = [&ctx, live](const std::string& trigger, const std::string& note) {
    return AutoSnapshot(ctx, *live, trigger, note);
  };
  if (AutoSnapshotWanted(c.rollback, "task_completion")) {
    options.after_completion = [&ctx](const tasks::CompletionOutcome& outcome) {
      QueueCompletionSnapshot(ctx, outcome);
    };
  }
  env.context = std::make_unique<search::SearchContextSource>();
  env.service = std::make_unique<TaskService>(**store, *repo, ctx.clock(), std::move(*rules),
                                              options, env.context.get());
  return env;
}

}  // namespace docrunch::app
