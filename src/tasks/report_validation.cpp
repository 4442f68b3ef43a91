// Validate*: the value checks of every report (see reports.h for limits).
#include <algorithm>

#include "core/text.h"
#include "tasks/reports.h"
#include "tasks/task.h"

namespace docrunch::tasks {
namespace {

bool AgentChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '@' || c == '-';
}

std::string Quoted(const std::string& s) {
  std::string out;
  for (char c : s.substr(0, 40)) out += static_cast<unsigned char>(c) < 0x20 ? '?' : c;
  return "'" + out + (s.size() > 40 ? "...'" : "'");
}

std::string Field(std::string_view field) {
  return std::string(field) + ": ";
}

// Collects problems; the first time point parsed is kept.
class Checker {
 public:
  Checker(const ReportLimits& limits, TimePoint now) : limits_(limits), now_(now) {}

  void Add(std::string problem) {
    if (!problem.empty()) problems_.push_back(std::move(problem));
  }
  void TaskId(std::string_view field, const std::string& value) {
    if (auto id = ParseTaskId(value, field); !id) problems_.push_back(id.error().message);
  }
  void Agent(std::string_view field, const std::string& value) {
    Add(CheckAgentId(field, value, limits_));
  }
  void Title(std::string_view field, const std::string& value) {
    Add(CheckLine(field, value, limits_.max_title_bytes));
  }
  void Text(std::string_view field, const std::string& value, bool required = true) {
    Add(CheckText(field, value, limits_.max_text_bytes, required));
  }
  void Paths(std::string_view field, const std::vector<std::string>& paths);
  void Finding(const std::string& prefix, const FindingInput& f);
  void Decision(const std::string& prefix, const DecisionInput& d);
  void When(std::string_view field, const std::string& value);

  Result<TimePoint> Finish() const {
    if (!problems_.empty()) return MakeError(ErrorCode::kInvalidParams, Join(problems_, "; "));
    return when_;
  }

 private:
  const ReportLimits& limits_;
  TimePoint now_;
  TimePoint when_{};
  std::vector<std::string> problems_;
};

void Checker::Paths(std::string_view field, const std::vector<std::string>& paths) {
  if (paths.size() > limits_.max_list_items) {
    Add(Field(field) + "at most " + std::to_string(limits_.max_list_items) + " entries, got " +
        std::to_string(paths.size()));
    return;
  }
  for (std::size_t i = 0; i < paths.size(); ++i) {
    const std::string& p = paths[i];
    std::string item = std::string(field) + "[" + std::to_string(i) + "]";
    bool dotdot = p == ".." || p.starts_with("../") || p.find("/../") != std::string::npos ||
                  p.ends_with("/..");
    if (p.empty()) {
      Add(Field(item) + "must not be empty");
    } else if (p.size() > limits_.max_path_bytes) {
      Add(Field(item) + "at most " + std::to_string(limits_.max_path_bytes) + " bytes, got " +
          std::to_string(p.size()));
    } else if (p.find('\0') != std::string::npos || p.find('\n') != std::string::npos) {
      Add(Field(item) + "must not contain NUL or line breaks");
    } else if (p[0] == '/' || dotdot) {
      Add(Field(item) + "must be a path relative to the repository without '..', got " + Quoted(p));
    }
  }
}

void Checker::Finding(const std::string& prefix, const FindingInput& f) {
  const auto& types = FindingTypes();
  if (std::find(types.begin(), types.end(), f.type) == types.end()) {
    std::string hint = ClosestMatch(f.type, types);
    Add(prefix + "type: must be one of " + Join(types, ", ") + ", got " + Quoted(f.type) +
        (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
  }
  Text(prefix + "description", f.description);
  Paths(prefix + "files", f.files);
}

void Checker::Decision(const std::string& prefix, const DecisionInput& d) {
  Title(prefix + "title", d.title);
  Text(prefix + "context", d.context);
  Text(prefix + "decision", d.decision);
  Text(prefix + "rationale", d.rationale);
}

void Checker::When(std::string_view field, const std::string& value) {
  auto parsed = ParseIso8601(value);
  if (!parsed) {
    Add(Field(field) + "expected an ISO-8601 timestamp with a zone, such as " +
        "2026-11-27T11:31:18Z or 2026-11-27T12:31:18+01:00, got " + Quoted(value));
    return;
  }
  if (*parsed > now_ + limits_.max_clock_skew) {
    Add(Field(field) + Quoted(value) + " is in the future (server time " + FormatIso8601(now_) +
        ", tolerance " + std::to_string(limits_.max_clock_skew.count() / 1000) + " s)");
    return;
  }
  when_ = *parsed;
}

}  // namespace

const std::vector<std::string>& FindingTypes() {
  static const std::vector<std::string> types{"bug", "improvement", "question", "blocker"};
  return types;
}

std::string CheckAgentId(std::string_view field, const std::string& value,
                         const ReportLimits& limits) {
  if (value.empty()) return Field(field) + "must not be empty";
  if (value.size() > limits.max_agent_id) {
    return Field(field) + "at most " + std::to_string(limits.max_agent_id) + " characters, got " +
           std::to_string(value.size());
  }
  bool ok = std::all_of(value.begin(), value.end(), AgentChar) && value[0] != '.' &&
            value[0] != '_' && value[0] != ':' && value[0] != '@' && value[0] != '-';
  if (ok) return "";
  return Field(field) +
         "an agent id may contain only letters, digits and . _ : @ - and must start with a "
         "letter or digit, got " +
         Quoted(value);
}

std::string CheckText(std::string_view field, const std::string& value, std::size_t max_bytes,
                      bool required) {
  bool blank = std::all_of(value.begin(), value.end(),
                           [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
  if (required && blank) return Field(field) + "must not be empty";
  if (value.size() > max_bytes) {
    return Field(field) + "at most " + std::to_string(max_bytes) + " bytes, got " +
           std::to_string(value.size());
  }
  if (value.find('\0') != std::string::npos) return Field(field) + "must not contain NUL";
  return "";
}

std::string CheckLine(std::string_view field, const std::string& value, std::size_t max_bytes) {
  std::string problem = CheckText(field, value, max_bytes, true);
  if (!problem.empty()) return problem;
  const bool control = std::any_of(value.begin(), value.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
  if (control) return Field(field) + "must be one line: no line breaks, tabs or control characters";
  return "";
}

Result<TimePoint> ValidateClaim(const ClaimReport& r, const ReportLimits& l, TimePoint now) {
  Checker c(l, now);
  c.TaskId("task_id", r.task_id);
  c.Agent("reported_by", r.reported_by);
  c.When("reported_at", r.reported_at);
  return c.Finish();
}

Result<TimePoint> ValidateProgress(const ProgressReport& r, const ReportLimits& l, TimePoint now) {
  Checker c(l, now);
  c.TaskId("task_id", r.task_id);
  if (r.percentage < 0 || r.percentage > 100) {
    c.Add("percentage: must be an integer from 0 to 100, got " + std::to_string(r.percentage));
  }
  c.Title("status", r.status);
  c.Agent("reported_by", r.reported_by);
  c.When("reported_at", r.reported_at);
  return c.Finish();
}

Result<TimePoint> ValidateCompletion(const CompletionReport& r, const ReportLimits& l,
                                     TimePoint now) {
  Checker c(l, now);
  c.TaskId("task_id", r.task_id);
  c.Text("summary", r.summary);
  c.Paths("changes", r.changes);
  c.Agent("reported_by", r.reported_by);
  c.When("reported_at", r.reported_at);
  c.Text("notes", r.notes, false);
  for (std::size_t i = 0; i < r.findings.size(); ++i) {
    c.Finding("findings[" + std::to_string(i) + "].", r.findings[i]);
  }
  for (std::size_t i = 0; i < r.decisions.size(); ++i) {
    c.Decision("decisions[" + std::to_string(i) + "].", r.decisions[i]);
  }
  if (r.findings.size() > l.max_list_items || r.decisions.size() > l.max_list_items) {
    c.Add("findings/decisions: at most " + std::to_string(l.max_list_items) + " entries each");
  }
  return c.Finish();
}

Result<TimePoint> ValidateFinding(const FindingReport& r, const ReportLimits& l, TimePoint now) {
  Checker c(l, now);
  c.TaskId("task_id", r.task_id);
  c.Finding("", r.finding);
  c.Agent("created_by", r.created_by);
  c.When("created_at", r.created_at);
  return c.Finish();
}

Result<TimePoint> ValidateDecision(const DecisionReport& r, const ReportLimits& l, TimePoint now) {
  Checker c(l, now);
  if (!r.task_id.empty()) c.TaskId("task_id", r.task_id);
  c.Decision("", r.decision);
  c.Agent("created_by", r.created_by);
  c.When("created_at", r.created_at);
  return c.Finish();
}

Result<TimePoint> ValidateBlocker(const BlockerReport& r, const ReportLimits& l, TimePoint now) {
  Checker c(l, now);
  c.TaskId("task_id", r.task_id);
  c.Text("description", r.description);
  c.Text("needs", r.needs);
  c.Agent("reported_by", r.reported_by);
  c.When("reported_at", r.reported_at);
  return c.Finish();
}

}  // namespace docrunch::tasks
