// docrunch workflows start NAME [--input JSON] | list [--status S] [--limit N]
// [--json] | show ID [--json] | cancel ID | signal ID NAME [--data JSON] |
// run [--once] [--concurrency N]: durable workflows on the source of truth
// (jobs/db_workflow.h). `start` prints the run id alone, for scripts.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/workflows_command.h"

#include "app/builtin_workflows.h"
#include "app/commands.h"
#include "jobs/db_workflow.h"

namespace docrunch::app {
namespace {

std::atomic<bool> g_stop_workflows{false};
extern "C" void OnStopWorkflowsSignal(int) {
  g_stop_workflows = true;
}

std::string Owner() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host) + ":" + std::to_string(getpid());
}

Result<std::unique_ptr<WorkflowEngineEnv>> OpenEngine(AppContext& ctx, int concurrency = 1) {
  return OpenWorkflowEngine(ctx, concurrency);
}

std::string Line(const jobs::WorkflowRun& run) {
  std::string line = run.id + "  " + run.workflow + "  " + run.status + "  " + run.created_at;
  if (!run.wake_at.empty()) line += "  wakes " + run.wake_at;
  return line;
}

std::string Describe(const jobs::WorkflowRun& run) {
  std::string text = Line(run) + "\n";
  if (run.cancel_requested && run.status != "cancelled") text += "  cancellation requested\n";
  if (run.result) text += "  result: " + run.result->dump() + "\n";
  if (!run.error.empty()) text += "  error: " + run.error + "\n";
  if (!run.lease_owner.empty()) {
    text += "  held by " + run.lease_owner + " until " + run.lease_until + "\n";
  }
  for (const auto& s : run.steps) {
    text += "  " + std::to_string(s.seq) + ". " + s.kind + " " + s.name + ": " + s.status + ", " +
            std::to_string(s.attempts) + (s.attempts == 1 ? " attempt" : " attempts") + ", " +
            s.started_at + (s.finished_at.empty() ? "" : " -> " + s.finished_at) + "\n";
    if (!s.error.empty()) text += "     error: " + s.error + "\n";
  }
  for (const auto& s : run.signals) {
    text += "  signal " + s.name + " " + s.data.dump() + " at " + s.created_at +
            (s.consumed_at.empty() ? " (unconsumed)" : ", consumed " + s.consumed_at) + "\n";
  }
  return text.substr(0, text.size() - 1);
}

struct Flags {
  std::string name;
  std::string id;
  std::string input = "{}";
  std::string status;
  std::string signal;
  std::string data = "{}";
  int limit = 50;
  int concurrency = 2;
  bool json = false;
  bool once = false;
};

Result<void> Start(AppContext& ctx, const Flags& f) {
  auto engine = OpenEngine(ctx);
  if (!engine) return engine.error();
  std::string input = f.input;
  if (f.name == "repo-scan") {
    // A relative root is this directory's, as for `docrunch scan PATH`.
    auto json = nlohmann::json::parse(input.empty() ? "{}" : input, nullptr, false);
    if (json.is_object() && json.contains("root") && json["root"].is_string()) {
      json["root"] = std::filesystem::absolute(json["root"].get<std::string>()).string();
      input = json.dump();
    }
  }
  auto id = (*engine)->workflows->Start(f.name, input);
  if (!id) return id.error();
  Print(*id);
  return Ok();
}

}  // namespace

Result<std::string> StartWorkflow(AppContext& ctx, const std::string& name,
                                  const std::string& input) {
  auto engine = OpenEngine(ctx);
  if (!engine) return engine.error();
  return (*engine)->workflows->Start(name, input);
}

namespace {

Result<void> List(AppContext& ctx, const Flags& f) {
  auto engine = OpenEngine(ctx);
  if (!engine) return engine.error();
  auto runs = (*engine)->workflows->List(f.status, f.limit);
  if (!runs) return runs.error();
  if (f.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& run : *runs) {
      nlohmann::json one = run.ToJson();
      one.erase("steps");
      one.erase("signals");
      out.push_back(std::move(one));
    }
    Print(out.dump(2));
    return Ok();
  }
  std::string text;
  for (const auto& run : *runs) text += Line(run) + "\n";
  Print(text.empty() ? "no workflow runs" : text.substr(0, text.size() - 1));
  return Ok();
}

Result<void> Show(AppContext& ctx, const Flags& f) {
  auto engine = OpenEngine(ctx);
  if (!engine) return engine.error();
  auto run = (*engine)->workflows->Get(f.id);
  if (!run) return run.error();
  Print(f.json ? run->ToJson().dump(2) : Describe(*run));
  return Ok();
}

Result<void> Cancel(AppContext& ctx, const Flags& f) {
  auto engine = OpenEngine(ctx);
  if (!engine) return engine.error();
  DOCRUNCH_TRY((*engine)->workflows->Cancel(f.id));
  auto run = (*engine)->workflows->Get(f.id);
  if (!run) return run.error();
  Print(run->status == "cancelled" ? "cancelled " + f.id
                                   : "cancellation requested for " + f.id + " (" + run->status +
                                         "): it stops at its next step");
  return Ok();
}

Result<void> SignalRun(AppContext& ctx, const Flags& f) {
  auto engine = OpenEngine(ctx);
  if (!engine) return engine.error();
  DOCRUNCH_TRY((*engine)->workflows->Signal(f.id, f.signal, f.data));
  Print("signalled " + f.id + ": " + f.signal);
  return Ok();
}

Result<void> Run(AppContext& ctx, const Flags& f) {
  std::signal(SIGTERM, OnStopWorkflowsSignal);
  std::signal(SIGINT, OnStopWorkflowsSignal);
  return RunWorkflowWorker(ctx, f.concurrency, f.once, g_stop_workflows);
}

}  // namespace

Result<std::unique_ptr<WorkflowEngineEnv>> OpenWorkflowEngine(AppContext& ctx, int concurrency) {
  auto loaded = ctx.Config();
  if (!loaded) return loaded.error();
  auto store = ctx.Store();
  if (!store) return store.error();
  auto tasks = OpenTasks(ctx);
  if (!tasks) return tasks.error();
  jobs::WorkflowWorkerOptions options;
  options.owner = Owner();
  options.concurrency = concurrency;
  options.lease = (*loaded)->config.workflows.lease.value;
  options.heartbeat = options.lease / 3;
  auto env = std::make_unique<WorkflowEngineEnv>();
  env->tasks = std::move(*tasks);
  auto llm = OpenLlm(ctx, **store);
  if (!llm) return llm.error();
  env->llm = std::move(*llm);
  env->workflows = std::make_unique<jobs::DbWorkflowEngine>(**store, ctx.clock(), options);
  RegisterBuiltinWorkflows(*env->workflows, **store, (*loaded)->config, (*loaded)->project_root,
                           env->tasks, env->llm->gateway.get());
  return env;
}

Result<void> RunWorkflowWorker(AppContext& ctx, int concurrency, bool once,
                               const std::atomic<bool>& stop) {
  auto engine = OpenEngine(ctx, concurrency);
  if (!engine) return engine.error();
  if (once) {
    auto ran = (*engine)->workflows->RunDue();
    if (!ran) return ran.error();
    Print("ran " + std::to_string(*ran) + (*ran == 1 ? " execution" : " executions"));
    return Ok();
  }
  return (*engine)->workflows->RunWorker(stop);
}

void RegisterWorkflows(CLI::App& app, AppContext& ctx, Action& action) {
  CLI::App* cmd = app.add_subcommand("workflows",
                                     "Durable workflows: start, list, show, cancel, "
                                     "signal, run");
  cmd->require_subcommand(1);
  auto f = std::make_shared<Flags>();
  auto bind = [&ctx, &action, f](CLI::App* sub, Result<void> (*fn)(AppContext&, const Flags&)) {
    sub->callback([&ctx, &action, f, fn] { action = [&ctx, f, fn] { return fn(ctx, *f); }; });
  };
  CLI::App* start = cmd->add_subcommand("start", "Start a run; prints its id alone on stdout");
  start->add_option("NAME", f->name, "The workflow (repo-scan, ai-task, demo)")->required();
  start->add_option("--input", f->input, "The run's input as JSON (default {})");
  bind(start, Start);

  CLI::App* list = cmd->add_subcommand("list", "Runs, newest first");
  list->add_option("--status", f->status,
                   "pending, running, waiting, completed, failed, compensated or cancelled");
  list->add_option("--limit", f->limit, "At most this many (1-1000, default 50)");
  list->add_flag("--json", f->json, "Print JSON");
  bind(list, List);

  CLI::App* show = cmd->add_subcommand("show", "A run with its steps and signals");
  show->add_option("ID", f->id, "The run id (wf-...)")->required();
  show->add_flag("--json", f->json, "Print JSON");
  bind(show, Show);

  CLI::App* cancel = cmd->add_subcommand("cancel", "Cancel a run (its compensations run)");
  cancel->add_option("ID", f->id, "The run id")->required();
  bind(cancel, Cancel);

  CLI::App* signal = cmd->add_subcommand("signal", "Send a signal (approve, reject, ...) to a run");
  signal->add_option("ID", f->id, "The run id")->required();
  signal->add_option("NAME", f->signal, "The signal's name")->required();
  signal->add_option("--data", f->data, "The signal's data as JSON (default {})");
  bind(signal, SignalRun);

  CLI::App* run = cmd->add_subcommand("run", "Run workflows in this process until SIGTERM");
  run->add_flag("--once", f->once, "Run what is due now, then exit");
  run->add_option("--concurrency", f->concurrency, "Threads (default 2)");
  bind(run, Run);
}

}  // namespace docrunch::app
