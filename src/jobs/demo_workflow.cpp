#include "jobs/demo_workflow.h"

namespace docrunch::jobs {

void RegisterDemoWorkflow(DbWorkflowEngine& engine) {
  engine.Register("demo", [](WorkflowContext& ctx) -> Result<nlohmann::json> {
    const nlohmann::json& input = ctx.input();
    const std::string title =
        input.is_object() ? input.value("title", std::string("demo")) : std::string("demo");
    const long long timeout_s = input.is_object() ? input.value("timeout_s", 86400LL) : 86400LL;
    // Both steps are idempotent: a worker killed inside one (its attempt is
    // then used up, and its result may not be on record) runs it again
    // rather than failing the run.
    StepOptions again;
    again.max_attempts = 3;
    again.backoff = std::chrono::milliseconds(200);
    auto draft = ctx.Step(
        "draft",
        [&title](StepCall&) -> Result<nlohmann::json> {
          return nlohmann::json{{"draft", title}};
        },
        again, [](const nlohmann::json&) -> Result<void> { return Ok(); });
    if (!draft) return draft.error();
    auto approval = ctx.WaitForSignal("approve", std::chrono::seconds(std::max(1LL, timeout_s)));
    if (!approval) return approval.error();
    if (approval->timed_out) {
      return MakeError(ErrorCode::kInterrupted,
                       "no approve signal within " + std::to_string(timeout_s) + " s");
    }
    const nlohmann::json& data = approval->data;
    const std::string by = data.is_object() ? data.value("by", std::string()) : std::string();
    return ctx.Step(
        "publish",
        [&title, &by](StepCall&) -> Result<nlohmann::json> {
          return nlohmann::json{{"title", title}, {"approved_by", by}};
        },
        again);
  });
}

}  // namespace docrunch::jobs
