#include "tasks/context_pack.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>

#include "core/text.h"
#include "tasks/task_context.h"

namespace docrunch::tasks {
namespace {

using nlohmann::json;

constexpr std::string_view kContextHeader = "\n\nContext (most relevant first):";

double Rounded(double x) {
  return std::round(x * 1000) / 1000;
}

// `text` cut to at most `max` bytes on a UTF-8 boundary, "…" marking a cut.
std::string Cut(const std::string& text, std::size_t max) {
  if (text.size() <= max) return text;
  if (max < 3) return "";
  return text.substr(0, Utf8Prefix(text, max - 3)) + "…";
}

void Lines(std::string& out, const char* heading, const std::vector<std::string>& items) {
  if (items.empty()) return;
  out += std::string("\n") + heading + ":";
  for (const auto& i : items) out += "\n- " + i;
}

std::string TaskList(const std::vector<Task>& tasks) {
  std::string out;
  for (const auto& t : tasks) {
    out +=
        (out.empty() ? "" : ", ") + t.IdText() + " (" + std::string(TaskStatusName(t.status)) + ")";
  }
  return out;
}

// The task block: what an agent needs of the task itself.
std::string TaskText(const TaskDetails& d) {
  const Task& t = d.task;
  std::string out = t.IdText() + ": " + t.title + "\n" + t.type + ", priority " + t.priority +
                    ", status " + std::string(TaskStatusName(t.status)) +
                    (d.available ? " (available)" : "");
  if (t.assigned_to) out += ", assigned to " + *t.assigned_to;
  if (t.progress > 0) out += ", progress " + std::to_string(t.progress) + "%";
  if (!t.status_note.empty()) out += ": " + t.status_note;
  if (!d.dependencies.empty()) out += "\nDepends on: " + TaskList(d.dependencies);
  if (!d.dependents.empty()) out += "\nBlocks: " + TaskList(d.dependents);
  if (!t.description.empty()) out += "\n\n" + t.description + "\n";
  Lines(out, "Guardrails", t.guardrails);
  Lines(out, "Acceptance criteria", t.acceptance_criteria);
  std::vector<std::string> reports;
  for (const auto& b : d.blockers) {
    if (b.resolved_at.empty())
      reports.push_back("blocker: " + b.description + " (needs " + b.needs + ")");
  }
  for (const auto& c : d.completions) {
    reports.push_back("completion: " + c.summary + " (tests " +
                      (c.tests_passed ? "passed" : "failed") + ", " + c.review + ")");
  }
  for (const auto& f : d.findings)
    reports.push_back(f.IdText() + " " + f.type + ": " + f.description);
  for (const auto& dec : d.decisions) reports.push_back(dec.IdText() + ": " + dec.title);
  Lines(out, "Reports so far", reports);
  return out;
}

struct Candidate {
  PackedItem item;
  std::set<std::string> words;
  std::string file;  // "" when not of a file
};

Candidate MakeCandidate(std::string kind, std::string text, double relevance, json data,
                        std::string file) {
  json fields = {{"kind", kind}};
  fields.update(data);
  fields["relevance"] = Rounded(relevance);
  auto words = ContextWords(text, 64);
  return {{std::move(kind), std::move(text), relevance, std::move(fields)},
          {words.begin(), words.end()},
          std::move(file)};
}

void AddSymbols(std::vector<Candidate>& out, const std::vector<ContextSymbol>& symbols) {
  for (const auto& s : symbols) {
    std::string text =
        s.kind + " " + s.qualified_name + " (" + s.file_path + ":" + std::to_string(s.line) + ")";
    if (!s.signature.empty()) text += " " + s.signature;
    if (!s.summary.empty()) text += " — " + s.summary;
    json data = {{"name", s.qualified_name}, {"path", s.file_path}, {"line", s.line}};
    if (!s.signature.empty()) data["signature"] = s.signature;
    if (!s.summary.empty()) data["summary"] = s.summary;
    out.push_back(
        MakeCandidate(s.kind, std::move(text), s.relevance, std::move(data), s.file_path));
  }
}

std::vector<Candidate> Candidates(const TaskContext& c) {
  std::vector<Candidate> out;
  for (const auto& f : c.files) {
    out.push_back(MakeCandidate("file", "file " + f.path + " (" + f.language + ")", f.relevance,
                                {{"path", f.path}, {"language", f.language}}, f.path));
  }
  AddSymbols(out, c.symbols);
  AddSymbols(out, c.schemas);
  for (const auto& d : c.decisions) {
    out.push_back(MakeCandidate("decision", "decision " + d.id + ": " + d.title, d.relevance,
                                {{"id", d.id}, {"title", d.title}}, ""));
  }
  for (const auto& f : c.findings) {
    std::string text = "finding " + f.id + ": " + f.title;
    if (!f.description.empty() && f.description != f.title) text += " — " + f.description;
    out.push_back(MakeCandidate("finding", std::move(text), f.relevance,
                                {{"id", f.id}, {"title", f.title}, {"summary", f.description}},
                                ""));
  }
  return out;
}

double Similarity(const Candidate& a, const Candidate& b) {
  std::size_t shared = 0;
  for (const auto& w : a.words) shared += b.words.count(w);
  const std::size_t all = a.words.size() + b.words.size() - shared;
  double jaccard = all == 0 ? 0 : static_cast<double>(shared) / static_cast<double>(all);
  // Two items of one file overlap; a file next to one of its symbols adds
  // almost nothing (the symbol's line names the file).
  if (!a.file.empty() && a.file == b.file) {
    jaccard = std::max(jaccard, a.item.kind == "file" || b.item.kind == "file" ? 0.9 : 0.5);
  }
  return jaccard;
}

}  // namespace

int EstimateTokens(std::string_view text) {
  return static_cast<int>((text.size() + 3) / 4);
}

Result<int> ParseMaxTokens(const nlohmann::json& value) {
  if (value.is_null()) return kDefaultContextTokens;
  const std::string range = "an integer from " + std::to_string(kMinContextTokens) + " to " +
                            std::to_string(kMaxContextTokens);
  const bool integer = value.is_number_integer() &&
                       !(value.is_number_unsigned() &&
                         value.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX));
  if (!integer) return MakeError(ErrorCode::kInvalidParams, "max_tokens: must be " + range);
  const auto n = value.get<std::int64_t>();
  if (n < kMinContextTokens || n > kMaxContextTokens) {
    return MakeError(ErrorCode::kInvalidParams,
                     "max_tokens: must be " + range + ", not " + std::to_string(n));
  }
  return static_cast<int>(n);
}

Result<int> ParseMaxTokens(const std::string& value) {
  if (value.empty()) return kDefaultContextTokens;
  json parsed = json::parse(value, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_number()) {
    return MakeError(ErrorCode::kInvalidParams, "max_tokens: must be an integer from " +
                                                    std::to_string(kMinContextTokens) + " to " +
                                                    std::to_string(kMaxContextTokens) + ", not '" +
                                                    value.substr(0, 32) + "'");
  }
  return ParseMaxTokens(parsed);
}

PackedTask PackTask(const TaskDetails& details, int max_tokens, const std::string& trailer) {
  PackedTask out;
  out.max_tokens = max_tokens;
  const std::size_t budget = static_cast<std::size_t>(std::max(0, max_tokens)) * 4;
  // The trailer's bytes set aside first when it takes at most half the
  // budget: instructions outlast the end of a long description.
  const bool reserved = !trailer.empty() && 2 + trailer.size() <= budget / 2;
  const std::size_t for_task = reserved ? budget - 2 - trailer.size() : budget;
  std::string task = TaskText(details);
  out.task_truncated = task.size() > for_task;
  out.text = Cut(task, for_task);
  std::string tail;
  if (!trailer.empty() && out.text.size() + 2 + trailer.size() <= budget) tail = "\n\n" + trailer;
  std::size_t used = out.text.size() + tail.size();

  std::vector<Candidate> candidates = Candidates(details.context);
  out.candidates = static_cast<int>(candidates.size());
  std::vector<bool> taken(candidates.size(), false);
  std::vector<std::size_t> chosen;
  std::string lines;
  while (true) {
    const std::size_t header = chosen.empty() ? kContextHeader.size() : 0;
    std::size_t best = candidates.size();
    double best_score = 0;
    for (std::size_t i = 0; i < candidates.size(); ++i) {
      if (taken[i] || used + header + 3 + candidates[i].item.text.size() > budget) continue;
      double redundancy = 0;
      for (std::size_t j : chosen)
        redundancy = std::max(redundancy, Similarity(candidates[i], candidates[j]));
      const double score = kLambda * candidates[i].item.relevance - (1 - kLambda) * redundancy;
      if (best == candidates.size() || score > best_score) {
        best = i;
        best_score = score;
      }
    }
    if (best == candidates.size()) break;
    taken[best] = true;
    chosen.push_back(best);
    lines += "\n- " + candidates[best].item.text;
    used += header + 3 + candidates[best].item.text.size();
  }
  if (!chosen.empty()) out.text += std::string(kContextHeader) + lines;
  out.text += tail;
  for (std::size_t i : chosen) out.items.push_back(std::move(candidates[i].item));
  out.used_tokens = EstimateTokens(out.text);
  return out;
}

json ToJson(const PackedTask& packed) {
  json items = json::array();
  for (const auto& i : packed.items) items.push_back(i.data);
  return {{"items", std::move(items)},
          {"max_tokens", packed.max_tokens},
          {"used_tokens", packed.used_tokens},
          {"candidates", packed.candidates},
          {"omitted", packed.candidates - static_cast<int>(packed.items.size())},
          {"task_truncated", packed.task_truncated},
          {"estimate", "bytes/4"}};
}

}  // namespace docrunch::tasks
