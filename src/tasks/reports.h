// What agents report (PRODUCT §9: claim_task, update_progress,
// submit_completion, log_finding, record_decision, report_blocker), with
// the roadmap's required fields, and how those reports are checked.
//
// Two layers: Parse*(json) checks presence and JSON types of the fields
// (what the MCP tools and the CLI's `task report` receive) and rejects
// unknown fields; Validate*(report, limits, now) checks values (ranges,
// the agent-id character set, timestamps, sizes). Both return
// INVALID_PARAMS whose message names every field at fault, e.g.
// "percentage: must be an integer from 0 to 100, got 150". The service runs
// Validate* itself, so typed callers cannot skip it.
//
// Limits (docs/tasks.md): reported_by/created_by 1-64 characters of
// [A-Za-z0-9._:@-] starting with a letter or digit; reported_at/created_at
// ISO-8601 with a zone (Z or +hh:mm), at most max_clock_skew ahead of the
// server's clock; titles up to 200 bytes; other texts up to
// tasks.max_text_kb; lists up to 500 entries; each file path up to 1024
// bytes, relative, without NUL or "..".
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace docrunch::tasks {

struct ReportLimits {
  std::size_t max_text_bytes = 64 * 1024;
  std::size_t max_title_bytes = 200;
  std::size_t max_agent_id = 64;
  std::size_t max_list_items = 500;
  std::size_t max_path_bytes = 1024;
  std::chrono::milliseconds max_clock_skew{std::chrono::minutes(5)};
};

struct ClaimReport {
  std::string task_id;
  std::string reported_by;
  std::string reported_at;
};

struct ProgressReport {
  std::string task_id;
  std::int64_t percentage = 0;
  std::string status;  // a short status line: "running the test suite"
  std::string reported_by;
  std::string reported_at;
};

// A finding, on its own (log_finding) or inside a completion.
struct FindingInput {
  std::string type;  // bug | improvement | question | blocker
  std::string description;
  std::vector<std::string> files;
};

struct DecisionInput {
  std::string title;
  std::string context;
  std::string decision;
  std::string rationale;
};

struct CompletionReport {
  std::string task_id;
  std::string summary;
  std::vector<std::string> changes;  // files changed
  bool tests_passed = false;
  std::string reported_by;
  std::string reported_at;
  std::string notes;
  std::vector<FindingInput> findings;
  std::vector<DecisionInput> decisions;
};

struct FindingReport {
  std::string task_id;
  FindingInput finding;
  std::string created_by;
  std::string created_at;
};

struct DecisionReport {
  std::string task_id;  // optional: "" when the decision belongs to no task
  DecisionInput decision;
  std::string created_by;
  std::string created_at;
};

struct BlockerReport {
  std::string task_id;
  std::string description;
  std::string needs;  // what would unblock it
  std::string reported_by;
  std::string reported_at;
};

Result<ClaimReport> ParseClaimReport(const nlohmann::json& j);
Result<ProgressReport> ParseProgressReport(const nlohmann::json& j);
Result<CompletionReport> ParseCompletionReport(const nlohmann::json& j);
Result<FindingReport> ParseFindingReport(const nlohmann::json& j);
Result<DecisionReport> ParseDecisionReport(const nlohmann::json& j);
Result<BlockerReport> ParseBlockerReport(const nlohmann::json& j);

// The value checks. Each returns the sender's reported_at as a time point.
Result<TimePoint> ValidateClaim(const ClaimReport& r, const ReportLimits& l, TimePoint now);
Result<TimePoint> ValidateProgress(const ProgressReport& r, const ReportLimits& l, TimePoint now);
Result<TimePoint> ValidateCompletion(const CompletionReport& r, const ReportLimits& l,
                                     TimePoint now);
Result<TimePoint> ValidateFinding(const FindingReport& r, const ReportLimits& l, TimePoint now);
Result<TimePoint> ValidateDecision(const DecisionReport& r, const ReportLimits& l, TimePoint now);
Result<TimePoint> ValidateBlocker(const BlockerReport& r, const ReportLimits& l, TimePoint now);

// Single-field checks, also used by the admin operations ("" when fine,
// else the problem prefixed with `field`).
std::string CheckAgentId(std::string_view field, const std::string& value,
                         const ReportLimits& limits);
std::string CheckText(std::string_view field, const std::string& value, std::size_t max_bytes,
                      bool required);
// A required one-line text (a title, a status line): CheckText, and no line
// break, tab or other control character, which would break the headings,
// lists and tables it is shown in.
std::string CheckLine(std::string_view field, const std::string& value, std::size_t max_bytes);

// The finding types, in order.
const std::vector<std::string>& FindingTypes();

}  // namespace docrunch::tasks
