// /workflows: durable workflow runs over the WorkflowEngine (jobs/workflow.h),
// as `docrunch workflows` runs them: list and show for readers; start,
// signal (an approval, say) and cancel for admins. Runs are executed by
// `docrunch worker start --workflows`; their changes reach
// /ws/workflows/{id} as `workflow.changed` through the outbox.
#include "api/routes.h"
#include "api/schemas.h"

namespace docrunch::api {
namespace {

using namespace schema;

const std::vector<std::string> kRunStatuses{"pending", "running",     "waiting",  "completed",
                                            "failed",  "compensated", "cancelled"};

json RunItem() {
  return AnyObject(
      "a run: id (wf-...), workflow, status, input, result, error, lease, wake_at, "
      "cancel_requested, times; one run also has its steps and signals");
}

Result<jobs::WorkflowEngine*> Engine(const ApiServices& s) {
  if (!s.workflows) {
    return MakeError(ErrorCode::kStorageUnavailable, "this server runs no workflow engine");
  }
  return s.workflows;
}

// The path's run id: "wf-" and hex digits (INVALID_REQUEST naming `id`).
Result<std::string> RunId(const Call& call) {
  const std::string& id = call.params.at("id");
  bool ok = id.size() > 3 && id.size() <= 64 && id.rfind("wf-", 0) == 0;
  for (std::size_t i = 3; ok && i < id.size(); ++i) {
    ok = (id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f');
  }
  if (!ok) return MakeError(ErrorCode::kUsage, "id: not a workflow run id (wf-<hex>)");
  return id;
}

}  // namespace

void AddWorkflowRoutes(Routes& routes, ApiServices& s) {
  routes.push_back({"GET", "/workflows", Access::kReader, "workflows",
                    "Workflow runs, newest first, optionally of one status",
                    PageQuery({{"status", Enum(kRunStatuses)}}), nullptr, Page(RunItem()), 200,
                    [&s](Call& call) -> Result<json> {
                      auto page = ReadPage(call);
                      if (!page) return page.error();
                      auto engine = Engine(s);
                      if (!engine) return engine.error();
                      const int want = static_cast<int>(page->offset + page->limit + 1);
                      auto runs =
                          (*engine)->List(call.query.value("status", ""), std::min(want, 1000));
                      if (!runs) return runs.error();
                      json items = json::array();
                      for (std::size_t i = page->offset; i < runs->size(); ++i) {
                        items.push_back((*runs)[i].ToJson());
                      }
                      return MakePageOf(std::move(items), *page);
                    }});
  routes.push_back({"GET", "/workflows/{id}", Access::kReader, "workflows",
                    "One run with its steps (attempts, timings, compensations) and signals",
                    json::object(), nullptr, RunItem(), 200, [&s](Call& call) -> Result<json> {
                      auto id = RunId(call);
                      if (!id) return id.error();
                      auto engine = Engine(s);
                      if (!engine) return engine.error();
                      auto run = (*engine)->Get(*id);
                      if (!run) return run.error();
                      return run->ToJson();
                    }});
  routes.push_back(
      {"POST", "/workflows", Access::kAdmin, "workflows",
       "Start a run of a registered workflow (201, Location); workers run it", json::object(),
       Object({{"workflow", Str("a registered workflow: demo", 64)},
               {"input", AnyObject("the workflow's input")}},
              {"workflow"}),
       Object({{"id", Str()}}, {"id"}), 201, [&s](Call& call) -> Result<json> {
         auto engine = Engine(s);
         if (!engine) return engine.error();
         json input = call.body.value("input", json::object());
         auto id = (*engine)->Start(call.body["workflow"].get<std::string>(), input.dump());
         if (!id) return id.error();
         call.headers.emplace_back("Location", s.base_path + "/workflows/" + *id);
         return json{{"id", *id}};
       }});
  routes.push_back(
      {"POST", "/workflows/{id}/signal", Access::kAdmin, "workflows",
       "Send a signal (approve, reject, ...) that the run's WaitForSignal consumes", json::object(),
       Object({{"name", Str("[a-z0-9_-], 1-64", 64)}, {"data", AnyObject("the signal's data")}},
              {"name"}),
       Object({{"signalled", Bool()}}, {"signalled"}), 200, [&s](Call& call) -> Result<json> {
         auto id = RunId(call);
         if (!id) return id.error();
         auto engine = Engine(s);
         if (!engine) return engine.error();
         json data = call.body.value("data", json::object());
         auto sent = (*engine)->Signal(*id, call.body["name"].get<std::string>(), data.dump());
         if (!sent) return sent.error();
         return json{{"signalled", true}};
       }});
  routes.push_back({"POST", "/workflows/{id}/cancel", Access::kAdmin, "workflows",
                    "Cancel a run: its completed steps are compensated, in reverse order",
                    json::object(), Object({}), Object({{"cancelled", Bool()}}, {"cancelled"}), 200,
                    [&s](Call& call) -> Result<json> {
                      auto id = RunId(call);
                      if (!id) return id.error();
                      auto engine = Engine(s);
                      if (!engine) return engine.error();
                      auto cancelled = (*engine)->Cancel(*id);
                      if (!cancelled) return cancelled.error();
                      return json{{"cancelled", true}};
                    }});
}

}  // namespace docrunch::api
