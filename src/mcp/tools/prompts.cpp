// Prompts for the workflows an agent follows: start a task, explain a
// component, review a completion. Each embeds the current data so the
// agent starts with the context rather than a list of calls to make.
#include <spdlog/spdlog.h>

#include <sstream>

#include "docs/report_pages.h"
#include "mcp/tools/tool_services.h"
#include "tasks/context_pack.h"
#include "tasks/task_json.h"

namespace docrunch::mcp {
namespace {

json UserMessage(const std::string& text) {
  return json{{"role", "user"}, {"content", {{"type", "text"}, {"text", text}}}};
}

PromptOutcome TaskError(const Error& error) {
  // Messages of the id check already start with the field.
  const bool named = error.message.rfind("task_id: ", 0) == 0;
  return RpcError{rpc::kInvalidParams, (named ? "" : "task_id: ") + error.message, nullptr};
}

constexpr const char* kStartWorkflow =
    "Workflow: claim_task first (reported_by your agent id, reported_at now in ISO-8601). Use "
    "get_impact before changing shared files. Send update_progress at milestones, log_finding "
    "for anything outside the task, record_decision for design choices, report_blocker if you "
    "cannot go on. Finish with submit_completion listing every changed file and whether the "
    "tests passed.";

PromptOutcome StartTask(ToolServices& s, const std::map<std::string, std::string>& args) {
  auto it = args.find("max_tokens");
  auto budget = tasks::ParseMaxTokens(it == args.end() ? std::string() : it->second);
  if (!budget) return RpcError{rpc::kInvalidParams, budget.error().message, nullptr};
  auto details = s.tasks->Show(args.at("task_id"));
  if (!details) return TaskError(details.error());
  // The task first, then the workflow when it fits, then the context that fits.
  tasks::PackedTask packed = tasks::PackTask(*details, *budget, kStartWorkflow);
  return json{{"description", "Start " + details->task.IdText() + " with its context"},
              {"messages", json::array({UserMessage(packed.text)})}};
}

PromptOutcome ExplainComponent(ToolServices& s, const std::map<std::string, std::string>& args) {
  const std::string& name = args.at("name");
  auto rows = s.store->Query(
      "SELECT s.kind, s.qualified_name, f.path, s.start_line, s.signature, s.docstring FROM "
      "symbols s JOIN files f ON f.id = s.file_id WHERE s.repository_id = $1 AND (s.name = $2 "
      "OR s.qualified_name = $2) ORDER BY f.path LIMIT 10",
      {s.repository_id, name});
  if (!rows) return RpcError{rpc::kInternalError, rows.error().ToString(), nullptr};
  std::ostringstream text;
  text << "Explain the component `" << name
       << "` of this project: what it is for, how it is used, what depends on it and what to "
          "watch out for when changing it.\n\n";
  if (rows->empty()) {
    text << "No symbol of that name is indexed; start with search_docs(\"" << name << "\").\n";
  }
  for (std::size_t i = 0; i < rows->size(); ++i) {
    text << "- " << rows->Text(i, "kind").value_or("") << " "
         << rows->Text(i, "qualified_name").value_or("") << " at "
         << rows->Text(i, "path").value_or("") << ":" << rows->Int(i, "start_line").value_or(0)
         << "\n  " << rows->Text(i, "signature").value_or("") << "\n";
    auto doc = rows->Text(i, "docstring").value_or("");
    if (!doc.empty()) text << "  " << doc << "\n";
  }
  text << "\nUse get_relations and get_impact on its file for the dependencies.";
  return json{{"description", "Explain " + name},
              {"messages", json::array({UserMessage(text.str())})}};
}

PromptOutcome ReviewCompletion(ToolServices& s, const std::map<std::string, std::string>& args) {
  auto details = s.tasks->Show(args.at("task_id"));
  if (!details) return TaskError(details.error());
  if (details->completions.empty()) {
    return RpcError{rpc::kInvalidParams,
                    "task_id: " + details->task.IdText() + " has no completion report to review",
                    nullptr};
  }
  std::ostringstream text;
  text << "Review the completion of " << details->task.IdText()
       << ". Check every acceptance criterion against the changes, that the guardrails hold and "
          "that the tests passed; then call review_task with decision approve, or reject with "
          "the reason.\n\n"
       << docs::RenderTaskPage(*details);
  return json{{"description", "Review " + details->task.IdText()},
              {"messages", json::array({UserMessage(text.str())})}};
}

}  // namespace

void AddPrompts(Catalog& catalog, ToolServices& s) {
  Completer task_ids = [&s](const std::string& prefix) { return tool_util::TaskIds(s, prefix); };
  Completer symbols = [&s](const std::string& prefix) {
    std::vector<std::string> out;
    auto rows = s.store->Query(
        // length($2), not a bound integer: PostgreSQL has no substr(text, int, bigint).
        "SELECT DISTINCT name FROM symbols WHERE repository_id = $1 AND "
        "substr(name, 1, length($2)) = $2 "
        "AND kind IN ('class', 'component', 'struct', 'interface', 'function') ORDER BY name "
        "LIMIT 100",
        {s.repository_id, prefix});
    if (!rows) {
      // A completion is a convenience: answer with none, but say why.
      spdlog::warn("completion of symbol names failed: {}", rows.error().ToString());
      return out;
    }
    for (std::size_t i = 0; i < rows->size(); ++i)
      out.push_back(rows->Text(i, "name").value_or(""));
    return out;
  };
  catalog.prompts = {
      {"start_task",
       "Start a task",
       "Begin work on a task: its description, guardrails, acceptance criteria, related code "
       "and the reporting workflow",
       {{"task_id", "The task to start (e.g. task-12)", true, task_ids},
        {"max_tokens", "Token budget of the message (default 2000, estimated as bytes/4)", false,
         nullptr}},
       [&s](const auto& args) { return StartTask(s, args); }},
      {"explain_component",
       "Explain a component",
       "Explain what a class, function or component is for and how it is used",
       {{"name", "The component's name", true, symbols}},
       [&s](const auto& args) { return ExplainComponent(s, args); }},
      {"review_completion",
       "Review a completion",
       "Review a task an agent submitted: criteria, guardrails, tests, then approve or reject",
       {{"task_id", "The task in review", true, task_ids}},
       [&s](const auto& args) { return ReviewCompletion(s, args); }},
  };
}

Catalog BuildCatalog(ToolServices& services) {
  Catalog catalog;
  catalog.instructions =
      "Docrunch knows this repository (" + services.project_name +
      ") and its task board. Find work with get_available_tasks, read it with get_task, claim "
      "it with claim_task, report with update_progress / log_finding / record_decision / "
      "report_blocker and finish with submit_completion. Search the code with search_docs; "
      "check get_impact before changing shared files. reported_at is ISO-8601 with a zone.";
  AddQueryTools(catalog, services);
  AddChatTools(catalog, services);
  AddReportTools(catalog, services);
  AddAdminTools(catalog, services);
  AddResources(catalog, services);
  AddPrompts(catalog, services);
  return catalog;
}

}  // namespace docrunch::mcp
