#include "app/builtin_workflows.h"

#include <algorithm>
#include <memory>

#include "app/scan_runner.h"
#include "app/snapshot_support.h"
#include "app/sync_runner.h"
#include "core/text.h"
#include "docs/analysis_pages.h"
#include "docs/doc_writer.h"
#include "jobs/demo_workflow.h"
#include "llm/providers.h"
#include "scan/graph.h"
#include "scan/parser/parser.h"
#include "scan/scan_steps.h"
#include "scan/scan_store.h"
#include "search/search.h"
#include "tasks/context_pack.h"
#include "tasks/task_json.h"

namespace docrunch::app {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

Error BadInput(const std::string& field, const std::string& why) {
  return MakeError(ErrorCode::kInvalidParams, "input." + field + ": " + why);
}

// The repository's pending outbox events applied to every configured
// target, here and now; a target still behind afterwards (a failing
// Markdown folder, an index that cannot be written) is this step's error,
// so the step retries and, out of attempts, the scan is undone.
//
// With `only_target` ("index"): that target's first pass, the events left
// pending for the full drain of the next step.
Result<json> SyncRepository(store::Store& store, const config::Config& config,
                            const RepoScanInput& in, std::int64_t repository_id,
                            const std::string& only_target = "") {
  SyncSetup setup{repository_id, in.docs, in.name, /*repair_docs=*/only_target.empty(),
                  only_target};
  auto drained = DrainSync(store, config, setup);
  if (!drained) return drained.error();
  if (!drained->markdown_error.empty()) {
    return MakeError(ErrorCode::kInternal, "markdown: " + drained->markdown_error);
  }
  if (drained->stats.failed > 0) {
    return MakeError(ErrorCode::kInternal,
                     std::to_string(drained->stats.failed) +
                         " derived-store updates failed (see `docrunch sync status`)");
  }
  json times = json::object();
  for (const auto& [target, spent] : drained->stats.target_time) times[target] = spent.count();
  return json{{"events", drained->stats.events},
              {"applied", drained->stats.applied},
              {"pages_changed", drained->pages_changed},
              {"pages_total", drained->pages_total},
              {"target_ms", times}};
}

}  // namespace

jobs::WorkflowFn RepoScanWorkflow(store::Store& store, const config::Config& config,
                                  const fs::path& project_root, AutoSnapshotFn auto_snapshot) {
  auto parser = std::make_shared<scan::Parser>();
  return [&store, &config, &project_root, parser,
          auto_snapshot](jobs::WorkflowContext& ctx) -> Result<json> {
    auto in = ParseRepoScanInput(ctx.input(), config, project_root);
    if (!in) return in.error();
    scan::ScanOptions options;
    options.root = in->root;
    options.full = in->full;
    options.walk = WalkOptionsFor(config, in->root);
    options.parse = ParseWith(*parser);  // the closure holds the parser

    // Every step may run again after a killed worker (its attempt is used
    // up); the scan's own errors are not transient, so few attempts.
    jobs::StepOptions again;
    again.max_attempts = 3;
    again.backoff = 1s;
    auto plan = ctx.Step(
        "walk",
        [&](jobs::StepCall&) -> Result<json> {
          std::error_code ec;
          if (!fs::is_directory(in->root, ec)) {
            return MakeError(ErrorCode::kInvalidParams, "repository path " + in->root.string() +
                                                            " does not exist or is not a folder");
          }
          // Refused before anything is written: another repository's pages live there.
          if (!in->docs.empty()) DOCRUNCH_TRY(docs::ClaimDocsFolder(in->docs, in->root));
          return scan::PlanStep(store, options);
        },
        again);
    if (!plan) return plan.error();
    const std::size_t files = plan->at("parse").size();
    std::vector<json> batches;
    for (std::size_t first = 0; first < files; first += scan::kParseBatch) {
      auto batch = ctx.Step(
          "parse-" + std::to_string(first / scan::kParseBatch + 1),
          [&](jobs::StepCall&) {
            return scan::ParseStep(options, *plan, first, scan::kParseBatch);
          },
          again);
      if (!batch) return batch.error();
      batches.push_back(std::move(*batch));
    }
    auto analysis = ctx.Step(
        "analyze",
        [&](jobs::StepCall&) { return scan::AnalyzeStep(store, options, *plan, batches); }, again);
    if (!analysis) return analysis.error();
    const std::int64_t repository_id = plan->at("repository_id").get<std::int64_t>();
    auto stored = ctx.TxStep(
        "store",
        [&](store::Tx& tx, jobs::StepCall&) {
          return scan::StoreStep(tx, *plan, batches, *analysis);
        },
        again,
        // Called after the workflow function returned: captures by value.
        [&store, &config, in = *in, repository_id](const json& result) -> Result<void> {
          DOCRUNCH_TRY(scan::UndoStoreStep(store, result));
          // The derived stores follow the restored rows when they can; when
          // they cannot (what failed the run), the events wait for a worker.
          (void)SyncRepository(store, config, in, repository_id);
          return Ok();
        });
    if (!stored) return stored.error();
    // The search index first, then everything (the Markdown, and the index
    // again, which finds every entity already applied): a worker killed
    // while the pages render does not index again.
    auto indexed = ctx.Step(
        "index",
        [&](jobs::StepCall&) { return SyncRepository(store, config, *in, repository_id, "index"); },
        again);
    if (!indexed) return indexed.error();
    auto synced = ctx.Step(
        "markdown",
        [&](jobs::StepCall&) { return SyncRepository(store, config, *in, repository_id); }, again);
    if (!synced) return synced.error();
    json result{{"summary", stored->at("summary")}, {"index", *indexed}, {"sync", *synced}};
    const json& summary = stored->at("summary");
    const bool changed = summary.value("files_parsed", 0) + summary.value("files_deleted", 0) > 0;
    if (auto_snapshot && changed && AutoSnapshotWanted(config.rollback, "scan")) {
      auto snapshot = ctx.Step("snapshot", [&](jobs::StepCall&) -> Result<json> {
        auto made = auto_snapshot("scan", "after a scan of " + in->name);
        if (!made) return json{{"warning", made.error().message}};
        return *made ? json{{"version", **made}} : json::object();
      });
      if (!snapshot) return snapshot.error();
      result["snapshot"] = *snapshot;
    }
    return result;
  };
}

namespace {

// The task's status now, for compensations that depend on it.
Result<tasks::TaskStatus> StatusOf(tasks::TaskService& service, const std::string& task_id) {
  auto task = service.Get(task_id);
  if (!task) return task.error();
  return task->status;
}

std::string StringField(const json& input, const char* key, const std::string& fallback) {
  return input.is_object() && input.contains(key) && input[key].is_string()
             ? input[key].get<std::string>()
             : fallback;
}

Result<void> CheckAiTaskInput(const json& input) {
  if (!input.is_object()) return BadInput("", "expected an object");
  for (const auto& [key, value] : input.items()) {
    if (key == "timeout_s") {
      if (!value.is_number_integer() || value.get<long long>() < 1) {
        return BadInput(key, "expected a whole number of seconds >= 1");
      }
    } else if (key == "task_id" || key == "agent" || key == "summary") {
      if (!value.is_string()) return BadInput(key, "expected a string");
    } else if (key == "role") {
      const bool known = value.is_string() &&
                         std::find(std::begin(llm::kProfileRoles), std::end(llm::kProfileRoles),
                                   value.get<std::string>()) != std::end(llm::kProfileRoles);
      if (!known) {
        return BadInput(key,
                        "expected a specialist role (manager, librarian, qa, security, ui_ux, "
                        "chat, analyzer)");
      }
    } else if (key == "max_tokens") {
      auto budget = tasks::ParseMaxTokens(value);  // its message starts with the key
      if (!budget) return MakeError(ErrorCode::kInvalidParams, "input." + budget.error().message);
    } else {
      return BadInput(key,
                      "unknown key (expected task_id, agent, summary, timeout_s, role, "
                      "max_tokens)");
    }
  }
  if (!input.contains("task_id")) return BadInput("task_id", "required");
  return Ok();
}

}  // namespace

std::string DefaultSpecialistRole(const std::string& task_type) {
  if (task_type == "security") return "security";
  if (task_type == "docs") return "librarian";
  if (task_type == "test") return "qa";
  return "manager";
}

namespace {

constexpr const char* kSpecialistInstructions =
    "You are doing this task as its specialist. You cannot run commands or change files: answer "
    "with your completion report, in plain text. Say what you did or what should be done and "
    "where (name files and symbols as path:line), how it meets each acceptance criterion, and "
    "what is left open.";

// `text` cut to at most `max_bytes`, at a UTF-8 character boundary, with a
// note when it was cut.
std::string FitText(std::string text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  const std::string note = "\n[cut to fit the task's text limit]";
  text.resize(Utf8Prefix(text, max_bytes > note.size() ? max_bytes - note.size() : 0));
  return text + note;
}

// The specialist step: with a profile for the run's role (input `role`, else
// DefaultSpecialistRole of the task's type) and a gateway, one generation
// from the task packed with its context (input `max_tokens`, default 2,000)
// whose answer is the completion summary; the call is recorded in the cost
// ledger for the agent and the task, and a budget's hard stop is this
// step's error. Without a profile: the input's summary, and says so.
Result<json> SpecialistStep(TaskEnv& env, llm::Gateway* gateway, const json& input,
                            const std::string& run_id, jobs::StepCall& call) {
  const std::string task_id = input["task_id"].get<std::string>();
  auto details = env.service->Show(task_id);
  if (!details) return details.error();
  const std::string role = StringField(input, "role", DefaultSpecialistRole(details->task.type));
  const std::string fallback =
      StringField(input, "summary", "Completed by the ai-task workflow " + run_id);
  auto profile = llm::GetProfile(*env.store, role);
  if (!profile && profile.error().code != ErrorCode::kStorageNotFound) return profile.error();
  if (!profile || gateway == nullptr) {
    return json{{"llm", "not configured: no profile for the role '" + role +
                            "' (docrunch profile set " + role + " --provider NAME)"},
                {"role", role},
                {"summary", fallback}};
  }
  // Checked when the run started (CheckAiTaskInput).
  auto budget = tasks::ParseMaxTokens(input.contains("max_tokens") ? input["max_tokens"] : json());
  if (!budget) return budget.error();
  tasks::PackedTask packed = tasks::PackTask(*details, *budget, kSpecialistInstructions);
  llm::GenerateRequest request;
  request.messages.push_back({"user", packed.text});
  llm::CallOptions options;
  options.agent = StringField(input, "agent", "ai-task");
  options.task = details->task.IdText();
  options.cancel = &call.stop;
  auto answer = gateway->GenerateForRole(role, std::move(request), options);
  if (!answer) return answer.error();
  const std::size_t limit = static_cast<std::size_t>(env.config->tasks.max_text_kb) * 1024;
  std::string summary = answer->text;
  if (summary.find_first_not_of(" \t\r\n") == std::string::npos) {
    return MakeError(ErrorCode::kLlmProviderError,
                     "the " + role + " profile's model answered with no text");
  }
  return json{{"llm",
               {{"role", role},
                {"provider", profile->provider},
                {"model", answer->model},
                {"input_tokens", answer->usage.input_tokens},
                {"output_tokens", answer->usage.output_tokens},
                {"finish_reason", answer->finish_reason},
                {"context_tokens", packed.used_tokens}}},
              {"role", role},
              {"summary", FitText(std::move(summary), limit)}};
}

}  // namespace

jobs::WorkflowFn AiTaskWorkflow(TaskEnv& env, llm::Gateway* gateway) {
  return [&env, gateway](jobs::WorkflowContext& ctx) -> Result<json> {
    const json& input = ctx.input();
    DOCRUNCH_TRY(CheckAiTaskInput(input));
    tasks::TaskService& service = *env.service;
    const std::string task_id = input["task_id"].get<std::string>();
    const std::string agent = StringField(input, "agent", "ai-task");
    const long long timeout_s = input.value("timeout_s", 86400LL);

    // claim: todo -> working. Undone when the run fails: a task it left
    // rejected goes back to todo (reopen); one still working is blocked
    // with the reason, for a person to look at (the task model has no
    // working -> todo move but an expired claim).
    auto claimed = ctx.Step(
        "claim",
        [&](jobs::StepCall&) -> Result<json> {
          auto task = service.Claim({task_id, agent, FormatIso8601(SystemClock().Now())});
          if (!task) return task.error();
          return tasks::ToJson(*task);
        },
        {},
        [&env, task_id, run = ctx.run_id()](const json&) -> Result<void> {
          auto status = StatusOf(*env.service, task_id);
          if (!status) return status.error();
          if (*status == tasks::TaskStatus::kRejected) {
            auto reopened = env.service->Move(task_id, tasks::TaskStatus::kTodo, "ai-task");
            if (!reopened) return reopened.error();
          } else if (*status == tasks::TaskStatus::kWorking) {
            auto blocked =
                env.service->Block(task_id, "ai-task", "the ai-task workflow " + run + " failed");
            if (!blocked) return blocked.error();
          }
          return Ok();
        });
    if (!claimed) return claimed.error();

    // specialist: the work itself, by the role's LLM profile when there is
    // one (SpecialistStep); else a no-op that hands on the input's summary.
    // A killed worker's attempt is used up: two, so one kill still ends.
    jobs::StepOptions twice;
    twice.max_attempts = 2;
    twice.backoff = 2s;
    auto specialist = ctx.Step(
        "specialist",
        [&](jobs::StepCall& call) {
          return SpecialistStep(env, gateway, input, ctx.run_id(), call);
        },
        twice);
    if (!specialist) return specialist.error();

    // complete: working -> review (or approved, when the review rules
    // approve it at once). Undone by a rejection while it waits in review.
    auto completed = ctx.Step(
        "complete",
        [&](jobs::StepCall&) -> Result<json> {
          tasks::CompletionReport report;
          report.task_id = task_id;
          report.summary = (*specialist)["summary"].get<std::string>();
          report.reported_by = agent;
          report.reported_at = FormatIso8601(SystemClock().Now());
          auto outcome = service.SubmitCompletion(report);
          if (!outcome) return outcome.error();
          return json{{"status", tasks::TaskStatusName(outcome->task.status)},
                      {"auto_approved", outcome->auto_approved}};
        },
        {},
        [&env, task_id, run = ctx.run_id()](const json&) -> Result<void> {
          auto status = StatusOf(*env.service, task_id);
          if (!status) return status.error();
          if (*status != tasks::TaskStatus::kReview) return Ok();
          auto rejected =
              env.service->Reject(task_id, "ai-task", "the ai-task workflow " + run + " failed");
          if (!rejected) return rejected.error();
          return Ok();
        });
    if (!completed) return completed.error();

    std::string by = "ai-task", note;
    if (!(*completed)["auto_approved"].get<bool>()) {
      auto decision = ctx.WaitForSignal("approve|reject", std::chrono::seconds(timeout_s));
      if (!decision) return decision.error();
      if (decision->timed_out) {
        return MakeError(ErrorCode::kInterrupted,
                         "no approve or reject signal within " + std::to_string(timeout_s) + " s");
      }
      const json& data = decision->data;
      by = StringField(data, "by", "workflow");
      note = StringField(data, "note", StringField(data, "reason", ""));
      if (decision->name == "reject") {
        auto rejected = ctx.Step("reject", [&](jobs::StepCall&) -> Result<json> {
          auto task = service.Reject(task_id, by, note.empty() ? "rejected" : note);
          if (!task) return task.error();
          return json{{"status", tasks::TaskStatusName(task->status)}};
        });
        if (!rejected) return rejected.error();
        // The saga's way back: the claim's compensation reopens the task.
        return MakeError(ErrorCode::kTaskInvalidTransition,
                         "rejected by " + by + (note.empty() ? "" : ": " + note));
      }
    }

    // publish: approved -> done; its page follows through the outbox.
    return ctx.Step("publish", [&](jobs::StepCall&) -> Result<json> {
      auto status = StatusOf(service, task_id);
      if (!status) return status.error();
      if (*status == tasks::TaskStatus::kReview) {
        auto approved = service.Approve(task_id, by, note);
        if (!approved) return approved.error();
      }
      auto done = service.Move(task_id, tasks::TaskStatus::kDone, by);
      if (!done) return done.error();
      SyncSetup setup{env.repository_id, env.docs_root, env.project_name, false};
      auto drained = DrainSync(*env.store, *env.config, setup);
      if (!drained) return drained.error();
      return json{{"task", task_id}, {"status", "done"}, {"approved_by", by}};
    });
  };
}

jobs::WorkflowFn EmbeddingsWorkflow(TaskEnv& env) {
  return [&env](jobs::WorkflowContext& ctx) -> Result<json> {
    const json& input = ctx.input();
    const std::size_t batch = input.is_object() ? input.value("batch", 256) : 256;
    auto embedder = ConfiguredEmbedder(*env.config);
    if (!embedder) {
      return MakeError(ErrorCode::kInvalidParams,
                       "search.embeddings.enabled is false: there is no endpoint to embed with");
    }
    jobs::StepOptions again;
    again.max_attempts = 5;
    again.backoff = 2s;  // an endpoint's 429 or 5xx: later
    // plan: the documents without a vector of this model (vectors of
    // another model dropped), fixed now so the batches are too.
    auto plan = ctx.TxStep(
        "plan",
        [&](store::Tx& tx, jobs::StepCall&) -> Result<json> {
          auto ids = search::DocumentsToEmbed(tx, env.repository_id, embedder->model());
          if (!ids) return ids.error();
          return json{{"model", embedder->model()}, {"documents", *ids}};
        },
        again);
    if (!plan) return plan.error();
    const auto ids = plan->at("documents").get<std::vector<std::int64_t>>();
    int embedded = 0;
    for (std::size_t first = 0; first < ids.size(); first += batch) {
      const std::vector<std::int64_t> part(
          ids.begin() + static_cast<long>(first),
          ids.begin() + static_cast<long>(std::min(ids.size(), first + batch)));
      auto done = ctx.Step(
          "embed-" + std::to_string(first / batch + 1),
          [&](jobs::StepCall&) -> Result<json> {
            auto stored = search::EmbedDocuments(*env.store, env.repository_id, *embedder, part);
            if (!stored) return stored.error();
            return json{{"documents", part.size()}, {"embedded", *stored}};
          },
          again);
      if (!done) return done.error();
      embedded += done->at("embedded").get<int>();
    }
    return json{{"model", plan->at("model")}, {"documents", ids.size()}, {"embedded", embedded}};
  };
}

namespace {

Result<json> CheckAnalysisInput(const json& input) {
  if (!input.is_object()) return BadInput("", "expected an object");
  for (const auto& [key, value] : input.items()) {
    if (key == "full") {
      if (!value.is_boolean()) return BadInput(key, "expected true or false");
    } else if (key == "paths") {
      if (!value.is_array() || value.size() > 50) {
        return BadInput(key, "expected a list of at most 50 repository paths");
      }
      for (const auto& p : value) {
        if (!p.is_string() || p.get<std::string>().empty()) {
          return BadInput(key, "expected repository paths as strings");
        }
      }
    } else {
      return BadInput(key, "unknown key (expected paths, full)");
    }
  }
  return input;
}

// The impact of changing each of `paths` (or, without any, of the five
// files most others depend on): direct dependents and the transitive set.
json ImpactReport(const scan::DependencyGraph& graph, const std::vector<std::string>& files,
                  std::vector<std::string> paths) {
  auto direct = [&](const std::string& path) {
    std::set<std::string> users;
    for (const auto& e : graph.Dependents(path)) {
      const std::string file = scan::FileOfNode(e.node);
      if (file != path) users.insert(file);
    }
    return users.size();
  };
  if (paths.empty()) {
    std::vector<std::pair<std::size_t, std::string>> ranked;
    for (const auto& f : files) ranked.emplace_back(direct(f), f);
    std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    for (std::size_t i = 0; i < ranked.size() && i < 5 && ranked[i].first > 0; ++i) {
      paths.push_back(ranked[i].second);
    }
  }
  json impact = json::array();
  for (const auto& path : paths) {
    scan::ImpactSet set = graph.Impact(path);
    impact.push_back({{"path", path},
                      {"dependents", direct(path)},
                      {"files", set.files},
                      {"symbols", set.symbols.size()}});
  }
  return impact;
}

}  // namespace

jobs::WorkflowFn AnalysisWorkflow(TaskEnv& env) {
  return [&env](jobs::WorkflowContext& ctx) -> Result<json> {
    const json& input = ctx.input();
    DOCRUNCH_TRY(CheckAnalysisInput(input));
    jobs::StepOptions again;
    again.max_attempts = 3;
    again.backoff = 1s;
    // scan: the repository brought up to date (inline and incremental: a
    // scan run again after a killed worker finds little to do).
    auto scanned = ctx.Step(
        "scan",
        [&](jobs::StepCall&) -> Result<json> {
          ScanRequest request{env.repository_root,        env.docs_root, env.project_name,
                              input.value("full", false), nullptr,       nullptr};
          auto outcome = RunScan(*env.store, *env.config, request);
          if (!outcome) return outcome.error();
          const auto& s = outcome->summary;
          return json{{"files", s.files},
                      {"files_parsed", s.files_parsed},
                      {"relationships", s.relationships},
                      {"repository_id", s.repository_id}};
        },
        again);
    if (!scanned) return scanned.error();
    const std::int64_t repository_id = scanned->at("repository_id").get<std::int64_t>();
    // analyze: import cycles and the impact of a change, over the stored
    // relationships; the report is this step's recorded result.
    auto report = ctx.Step(
        "analyze",
        [&](jobs::StepCall&) -> Result<json> {
          scan::ScanStore db(*env.store);
          auto relationships = db.LoadRelationships(repository_id);
          if (!relationships) return relationships.error();
          auto stored = db.LoadFiles(repository_id);
          if (!stored) return stored.error();
          std::vector<std::string> files;
          for (const auto& [path, f] : *stored) files.push_back(path);
          std::vector<std::string> paths;
          for (const auto& p : input.value("paths", json::array())) {
            const std::string path = p.get<std::string>();
            if (!stored->count(path)) {
              return MakeError(ErrorCode::kInvalidParams,
                               "input.paths: " + path + " is not a scanned file");
            }
            paths.push_back(path);
          }
          scan::DependencyGraph graph(*relationships);
          return json{{"repository_id", repository_id},
                      {"files", files.size()},
                      {"relationships", relationships->size()},
                      {"cycles", graph.ImportCycles()},
                      {"impact", ImpactReport(graph, files, paths)}};
        },
        again);
    if (!report) return report.error();
    // publish: through the outbox to the Markdown target, which renders the
    // page from the recorded report (docs/analysis_pages.h); drained here.
    return ctx.Step(
        "publish",
        [&](jobs::StepCall&) -> Result<json> {
          DOCRUNCH_TRY(env.store->Transact([&](store::Tx& tx) -> Result<void> {
            auto emitted = tx.EmitSyncEvent(
                {repository_id, "analysis", ctx.run_id(), "report", "upsert", std::nullopt, 1});
            if (!emitted) return emitted.error();
            return Ok();
          }));
          SyncSetup setup{repository_id, env.docs_root, env.project_name, false};
          auto drained = DrainSync(*env.store, *env.config, setup);
          if (!drained) return drained.error();
          auto page = docs::AnalysisPagePath(ctx.run_id());
          if (!page) return page.error();
          return json{{"page", *page},
                      {"cycles", report->at("cycles").size()},
                      {"impact", report->at("impact").size()}};
        },
        again);
  };
}

json RepoScanInputJson(const RepoScanInput& input) {
  return {{"root", input.root.string()},
          {"docs", input.docs.string()},
          {"name", input.name},
          {"full", input.full}};
}

Result<RepoScanInput> ParseRepoScanInput(const json& input, const config::Config& config,
                                         const fs::path& project_root) {
  if (!input.is_object()) return BadInput("", "expected an object");
  for (const auto& [key, value] : input.items()) {
    if (key != "root" && key != "docs" && key != "name" && key != "full") {
      return BadInput(key, "unknown key (expected root, docs, name, full)");
    }
    if (key == "full" ? !value.is_boolean() : !value.is_string()) {
      return BadInput(key, key == "full" ? "expected true or false" : "expected a string");
    }
  }
  RepoScanInput in;
  in.root = input.value("root", project_root.string());
  if (in.root.empty() || !in.root.is_absolute()) {
    return BadInput("root", "expected an absolute path, got '" + in.root.string() + "'");
  }
  const fs::path default_docs = config.storage.docs_output.empty()
                                    ? fs::path()
                                    : ResolveAgainst(project_root, config.storage.docs_output);
  in.docs = input.value("docs", default_docs.string());
  if (!in.docs.empty() && !in.docs.is_absolute()) {
    return BadInput("docs", "expected an absolute path, got '" + in.docs.string() + "'");
  }
  std::string fallback =
      config.project.name.empty() ? in.root.filename().string() : config.project.name;
  in.name = input.value("name", fallback);
  in.full = input.value("full", false);
  return in;
}

void RegisterBuiltinWorkflows(jobs::DbWorkflowEngine& engine, store::Store& store,
                              const config::Config& config, const fs::path& project_root,
                              TaskEnv& tasks, llm::Gateway* gateway) {
  jobs::RegisterDemoWorkflow(engine);
  engine.Register("ai-task", AiTaskWorkflow(tasks, gateway),
                  [&tasks](const json& input) -> Result<json> {
                    DOCRUNCH_TRY(CheckAiTaskInput(input));
                    auto task = tasks.service->Get(input["task_id"].get<std::string>());
                    if (!task) return BadInput("task_id", task.error().message);
                    return input;
                  });
  engine.Register("analysis", AnalysisWorkflow(tasks), CheckAnalysisInput);
  engine.Register("embeddings", EmbeddingsWorkflow(tasks),
                  [&config](const json& input) -> Result<json> {
                    if (!input.is_object()) return BadInput("", "expected an object");
                    for (const auto& [key, value] : input.items()) {
                      if (key != "batch") return BadInput(key, "unknown key (expected batch)");
                      if (!value.is_number_integer() || value.get<long long>() < 1 ||
                          value.get<long long>() > 4096) {
                        return BadInput(key, "expected a whole number from 1 to 4096");
                      }
                    }
                    if (!config.search.embeddings.enabled) {
                      return MakeError(ErrorCode::kInvalidParams,
                                       "search.embeddings.enabled is false: there is no endpoint "
                                       "to embed with");
                    }
                    return input;
                  });
  engine.Register("repo-scan", RepoScanWorkflow(store, config, project_root, tasks.auto_snapshot),
                  [&config, &project_root](const json& input) -> Result<json> {
                    json in = input;
                    // A relative root is the project's (the CLI makes it
                    // its working directory's before this).
                    if (in.is_object() && in.contains("root") && in["root"].is_string()) {
                      in["root"] =
                          ResolveAgainst(project_root, in["root"].get<std::string>()).string();
                    }
                    auto parsed = ParseRepoScanInput(in, config, project_root);
                    if (!parsed) return parsed.error();
                    return RepoScanInputJson(*parsed);
                  });
}

}  // namespace docrunch::app
