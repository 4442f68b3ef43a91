// A task and its context packed into a token budget, for agents that pay
// per token (PRODUCT §8 get_task, §9 the start_task prompt).
//
// The task comes first: its header, description, guardrails, acceptance
// criteria, dependencies and its own open reports, cut at the budget if it
// alone does not fit. Then a fixed `trailer` (the prompt's workflow
// paragraph), when it fits. The rest of the budget takes context items
// (files, symbols with their signatures and not their bodies, schemas,
// decisions, findings) chosen by maximal marginal relevance: each step takes
// the item with the best
//     kLambda * relevance - (1 - kLambda) * max similarity to those taken,
// among the items that still fit, so the budget carries distinct items
// rather than five views of one file. Relevance is the search's (0..1, see
// TaskContext); similarity is the Jaccard overlap of two items' words
// (ContextWords), at least 0.5 between two items of the same file and 0.9
// between a file and an item in it (whose line already names the file).
//
// Tokens are estimated as bytes / 4, rounded up (EstimateTokens): close to
// what BPE tokenizers give for English and code, and the same on every
// platform. The budget bounds the text an agent reads (the tool's text
// content, the prompt's message); used_tokens is that text's estimate.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "tasks/task_service.h"

namespace docrunch::tasks {

// ceil(bytes / 4).
int EstimateTokens(std::string_view text);

constexpr int kDefaultContextTokens = 2000;
constexpr int kMinContextTokens = 20;
constexpr int kMaxContextTokens = 100000;
constexpr double kLambda = 0.6;

// The max_tokens argument checked: absent gives the default; anything but
// an integer in [kMinContextTokens, kMaxContextTokens] is INVALID_PARAMS
// "max_tokens: ...". Strings (prompt arguments are strings) must hold the
// integer alone.
Result<int> ParseMaxTokens(const nlohmann::json& value);
Result<int> ParseMaxTokens(const std::string& value);

struct PackedItem {
  std::string kind;  // file, function, class, component, schema, decision, finding
  std::string text;  // the line the agent reads
  double relevance = 0;
  nlohmann::json data;  // the same as fields
};

struct PackedTask {
  std::string text;  // everything, in order: task, context lines, trailer
  bool task_truncated = false;
  std::vector<PackedItem> items;  // in the order they were chosen (most useful first)
  int max_tokens = 0;
  int used_tokens = 0;  // EstimateTokens(text) <= max_tokens
  int candidates = 0;   // context items there were to choose from
};

// Packs `details` into `max_tokens` (already checked). `trailer` (the
// instructions of a prompt) ends the text; its bytes are set aside first
// when it takes at most half the budget, so a long task is cut before it
// rather than losing it; a larger one comes only if room is left.
PackedTask PackTask(const TaskDetails& details, int max_tokens, const std::string& trailer = "");

// {"items": [...data with kind and relevance], "max_tokens", "used_tokens",
//  "candidates", "omitted", "task_truncated", "estimate": "bytes/4"}.
nlohmann::json ToJson(const PackedTask& packed);

}  // namespace docrunch::tasks
