// Parse*Report: field presence and JSON types. Values are checked in
// report_validation.cpp.
#include <nlohmann/json.hpp>
#include <set>

#include "core/text.h"
#include "tasks/reports.h"

namespace docrunch::tasks {
namespace {

using nlohmann::json;

const char* TypeName(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "an integer";
    case json::value_t::number_float:
      return "a number with a fraction";
    case json::value_t::string:
      return "a string";
    case json::value_t::array:
      return "a list";
    case json::value_t::object:
      return "an object";
    default:
      return "an unsupported value";
  }
}

// Reads the fields of one JSON object, collecting every problem.
class Fields {
 public:
  Fields(const json& j, std::string prefix, std::vector<std::string>& problems)
      : j_(j), prefix_(std::move(prefix)), problems_(problems) {
    if (!j_.is_object()) {
      Problem("", std::string("expected an object, got ") + TypeName(j_));
      valid_ = false;
    }
  }

  void Str(const char* key, std::string& out, bool required) {
    const json* v = Get(key, required);
    if (!v) return;
    if (v->is_string()) {
      out = v->get<std::string>();
    } else {
      Problem(key, std::string("expected a string, got ") + TypeName(*v));
    }
  }

  void Int(const char* key, std::int64_t& out) {
    const json* v = Get(key, true);
    if (!v) return;
    if (v->is_number_integer() &&
        (!v->is_number_unsigned() || v->get<std::uint64_t>() < (1ull << 62))) {
      out = v->get<std::int64_t>();
    } else {
      std::string got = v->is_number() ? v->dump() : TypeName(*v);
      Problem(key, "expected an integer, got " + got);
    }
  }

  void Bool(const char* key, bool& out) {
    const json* v = Get(key, true);
    if (!v) return;
    if (v->is_boolean()) {
      out = v->get<bool>();
    } else {
      Problem(key, std::string("expected true or false, got ") + TypeName(*v));
    }
  }

  void StrList(const char* key, std::vector<std::string>& out, bool required) {
    const json* v = Get(key, required);
    if (!v) return;
    if (!v->is_array()) {
      Problem(key, std::string("expected a list of strings, got ") + TypeName(*v));
      return;
    }
    for (std::size_t i = 0; i < v->size(); ++i) {
      const json& item = (*v)[i];
      if (item.is_string()) {
        out.push_back(item.get<std::string>());
      } else {
        Problem(std::string(key) + "[" + std::to_string(i) + "]",
                std::string("expected a string, got ") + TypeName(item));
      }
    }
  }

  // Each element of an optional list of objects, with its own prefix.
  template <class Fn>
  void ObjectList(const char* key, Fn each) {
    const json* v = Get(key, false);
    if (!v) return;
    if (!v->is_array()) {
      Problem(key, std::string("expected a list of objects, got ") + TypeName(*v));
      return;
    }
    for (std::size_t i = 0; i < v->size(); ++i) {
      Fields item((*v)[i], Path(key) + "[" + std::to_string(i) + "]", problems_);
      if (item.valid_) each(item);
    }
  }

  // Reports every key no reader asked for (after all reads).
  void RejectUnknown() {
    if (!valid_) return;
    std::vector<std::string> known(seen_.begin(), seen_.end());
    for (const auto& [key, _] : j_.items()) {
      if (seen_.count(key)) continue;
      std::string hint = ClosestMatch(key, known);
      Problem(key, "unknown field" + (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
    }
  }

 private:
  std::string Path(std::string_view key) const {
    if (prefix_.empty()) return std::string(key);
    if (key.empty()) return prefix_;
    return prefix_ + "." + std::string(key);
  }
  void Problem(std::string_view key, const std::string& message) {
    std::string path = Path(key);
    problems_.push_back(path.empty() ? message : path + ": " + message);
  }
  const json* Get(const char* key, bool required) {
    seen_.insert(key);
    if (!valid_) return nullptr;
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) {
      if (required) Problem(key, "is required");
      return nullptr;
    }
    return &*it;
  }

  const json& j_;
  std::string prefix_;
  std::vector<std::string>& problems_;
  std::set<std::string> seen_;
  bool valid_ = true;
};

template <class T>
Result<T> Finish(T value, const std::vector<std::string>& problems) {
  if (problems.empty()) return value;
  return MakeError(ErrorCode::kInvalidParams, Join(problems, "; "));
}

void ReadFinding(Fields& f, FindingInput& out) {
  f.Str("type", out.type, true);
  f.Str("description", out.description, true);
  f.StrList("files", out.files, false);
}

void ReadDecision(Fields& f, DecisionInput& out) {
  f.Str("title", out.title, true);
  f.Str("context", out.context, true);
  f.Str("decision", out.decision, true);
  f.Str("rationale", out.rationale, true);
}

}  // namespace

Result<ClaimReport> ParseClaimReport(const json& j) {
  std::vector<std::string> problems;
  ClaimReport r;
  Fields f(j, "", problems);
  f.Str("task_id", r.task_id, true);
  f.Str("reported_by", r.reported_by, true);
  f.Str("reported_at", r.reported_at, true);
  f.RejectUnknown();
  return Finish(std::move(r), problems);
}

Result<ProgressReport> ParseProgressReport(const json& j) {
  std::vector<std::string> problems;
  ProgressReport r;
  Fields f(j, "", problems);
  f.Str("task_id", r.task_id, true);
  f.Int("percentage", r.percentage);
  f.Str("status", r.status, true);
  f.Str("reported_by", r.reported_by, true);
  f.Str("reported_at", r.reported_at, true);
  f.RejectUnknown();
  return Finish(std::move(r), problems);
}

Result<CompletionReport> ParseCompletionReport(const json& j) {
  std::vector<std::string> problems;
  CompletionReport r;
  Fields f(j, "", problems);
  f.Str("task_id", r.task_id, true);
  f.Str("summary", r.summary, true);
  f.StrList("changes", r.changes, true);
  f.Bool("tests_passed", r.tests_passed);
  f.Str("reported_by", r.reported_by, true);
  f.Str("reported_at", r.reported_at, true);
  f.Str("notes", r.notes, false);
  f.ObjectList("findings", [&](Fields& item) {
    ReadFinding(item, r.findings.emplace_back());
    item.RejectUnknown();
  });
  f.ObjectList("decisions", [&](Fields& item) {
    ReadDecision(item, r.decisions.emplace_back());
    item.RejectUnknown();
  });
  f.RejectUnknown();
  return Finish(std::move(r), problems);
}

Result<FindingReport> ParseFindingReport(const json& j) {
  std::vector<std::string> problems;
  FindingReport r;
  Fields f(j, "", problems);
  f.Str("task_id", r.task_id, true);
  ReadFinding(f, r.finding);
  f.Str("created_by", r.created_by, true);
  f.Str("created_at", r.created_at, true);
  f.RejectUnknown();
  return Finish(std::move(r), problems);
}

Result<DecisionReport> ParseDecisionReport(const json& j) {
  std::vector<std::string> problems;
  DecisionReport r;
  Fields f(j, "", problems);
  f.Str("task_id", r.task_id, false);
  ReadDecision(f, r.decision);
  f.Str("created_by", r.created_by, true);
  f.Str("created_at", r.created_at, true);
  f.RejectUnknown();
  return Finish(std::move(r), problems);
}

Result<BlockerReport> ParseBlockerReport(const json& j) {
  std::vector<std::string> problems;
  BlockerReport r;
  Fields f(j, "", problems);
  f.Str("task_id", r.task_id, true);
  f.Str("description", r.description, true);
  f.Str("needs", r.needs, true);
  f.Str("reported_by", r.reported_by, true);
  f.Str("reported_at", r.reported_at, true);
  f.RejectUnknown();
  return Finish(std::move(r), problems);
}

}  // namespace docrunch::tasks
