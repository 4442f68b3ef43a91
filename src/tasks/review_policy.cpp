#include "tasks/review_policy.h"

#include <algorithm>
#include <cctype>

namespace docrunch::tasks {
namespace {

using config::ReviewMode;

bool NeverAuto(const config::TaskRules& rules, const std::string& type) {
  const auto& never = rules.review.auto_approve.never_for_types;
  return type == "security" || std::find(never.begin(), never.end(), type) != never.end();
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

ReviewMode ReviewModeFor(const config::TaskRules& rules, const std::string& type,
                         const std::string& priority) {
  std::vector<ReviewMode> candidates;
  if (auto t = rules.types.find(type); t != rules.types.end()) {
    candidates.push_back(t->second.review_mode);
  }
  if (auto t = rules.review.by_type.find(type); t != rules.review.by_type.end()) {
    candidates.push_back(t->second);
  }
  if (auto p = rules.review.by_priority.find(priority); p != rules.review.by_priority.end()) {
    candidates.push_back(p->second);
  }
  ReviewMode mode = candidates.empty() ? rules.review.default_mode
                                       : *std::max_element(candidates.begin(), candidates.end());
  if (mode == ReviewMode::kAuto && NeverAuto(rules, type)) mode = ReviewMode::kManager;
  return mode;
}

AutoApproval DecideAutoApproval(const config::TaskRules& rules, ReviewMode mode,
                                const std::string& type, const CompletionReport& completion) {
  AutoApproval out;
  const auto& rule = rules.review.auto_approve;
  if (mode != ReviewMode::kAuto) {
    out.reasons.push_back("review mode is " + std::string(config::ReviewModeName(mode)));
  }
  if (NeverAuto(rules, type)) {
    out.reasons.push_back(type + " tasks are never auto-approved");
  }
  if (rule.tests_passed && !completion.tests_passed) {
    out.reasons.push_back("tests_passed is false");
  }
  if (completion.changes.size() > static_cast<std::size_t>(rule.files_changed_max)) {
    out.reasons.push_back(std::to_string(completion.changes.size()) +
                          " files changed, more than files_changed_max " +
                          std::to_string(rule.files_changed_max));
  }
  std::string haystack = Lower(completion.summary + "\n" + completion.notes);
  for (const auto& path : completion.changes) haystack += "\n" + Lower(path);
  for (const auto& pattern : rule.forbidden_patterns) {
    if (haystack.find(Lower(pattern)) != std::string::npos) {
      out.reasons.push_back("forbidden pattern '" + pattern + "' in the summary, notes or changes");
    }
  }
  out.approved = out.reasons.empty();
  return out;
}

}  // namespace docrunch::tasks
