#include "jobs/workflow.h"

#include <array>

namespace docrunch::jobs {

namespace {

constexpr std::array<std::string_view, 4> kFinal = {"completed", "failed", "compensated",
                                                    "cancelled"};
constexpr std::array<std::string_view, 3> kLive = {"pending", "running", "waiting"};

nlohmann::json OrNull(const std::string& text) {
  return text.empty() ? nlohmann::json() : nlohmann::json(text);
}

}  // namespace

bool IsWorkflowSuspension(const Error& error) {
  return error.code == ErrorCode::kInterrupted && error.message.rfind(kWorkflowSuspended, 0) == 0;
}

bool IsFinalRunStatus(std::string_view status) {
  for (auto s : kFinal) {
    if (s == status) return true;
  }
  return false;
}

bool IsRunStatus(std::string_view status) {
  if (IsFinalRunStatus(status)) return true;
  for (auto s : kLive) {
    if (s == status) return true;
  }
  return false;
}

nlohmann::json WorkflowRun::ToJson() const {
  nlohmann::json out = {
      {"id", id},
      {"workflow", workflow},
      {"status", status},
      {"input", input},
      {"result", result.value_or(nlohmann::json())},
      {"error", OrNull(error)},
      {"lease_owner", OrNull(lease_owner)},
      {"lease_until", OrNull(lease_until)},
      {"wake_at", OrNull(wake_at)},
      {"cancel_requested", cancel_requested},
      {"created_at", created_at},
      {"updated_at", updated_at},
      {"finished_at", OrNull(finished_at)},
  };
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& s : this->steps) {
    steps.push_back({{"seq", s.seq},
                     {"name", s.name},
                     {"kind", s.kind},
                     {"status", s.status},
                     {"attempts", s.attempts},
                     {"result", s.result.value_or(nlohmann::json())},
                     {"error", OrNull(s.error)},
                     {"started_at", s.started_at},
                     {"finished_at", OrNull(s.finished_at)}});
  }
  nlohmann::json signals = nlohmann::json::array();
  for (const auto& s : this->signals) {
    signals.push_back({{"id", s.id},
                       {"name", s.name},
                       {"data", s.data},
                       {"created_at", s.created_at},
                       {"consumed_at", OrNull(s.consumed_at)}});
  }
  out["steps"] = std::move(steps);
  out["signals"] = std::move(signals);
  return out;
}

}  // namespace docrunch::jobs
