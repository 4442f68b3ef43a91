// Chat with citations (PRODUCT §14; issue 15 item 7; docs/chat.md).
//
// A question is answered from the knowledge base only: the search index
// (code with its file and line; tasks, completion reports, findings and
// decisions) gives passages, each with a citation label: `path:line` for
// code, `task-N` for a task and its reports and findings, `adr-NNN` for a
// decision. With a `chat` profile whose provider is enabled, the passages
// (and a bounded tail of the session's earlier messages) go into a prompt
// that tells the model to answer from them alone and cite each claim with
// a label in square brackets; the labels the answer cites are checked
// against the passages (an unknown one is kept in the text but flagged
// `verified: false`). Without a chat profile the answer is extractive: the
// best passages, each with its citation.
//
// Both messages (the question and the answer) and, for a new conversation,
// the session are written in one transaction after the answer exists: a
// provider that fails, times out, answers nothing or is refused by a
// budget (LLM_BUDGET_EXCEEDED) leaves nothing behind, not even the
// question; the caller sees the error and may ask again.
//
// Thread-safety: a ChatService may be used from several threads when its
// gateway may (llm/gateway.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "llm/gateway.h"
#include "search/search.h"
#include "store/store.h"

namespace docrunch::chat {

// A question longer than this is refused (INVALID_PARAMS naming it).
constexpr std::size_t kMaxQuestionBytes = 8192;
// How many passages an answer draws on, and how many of the session's
// earlier messages (each cut to kHistoryMessageBytes) a prompt repeats.
constexpr int kMaxPassages = 8;
constexpr int kExtractivePassages = 5;
constexpr int kHistoryMessages = 6;
constexpr std::size_t kHistoryMessageBytes = 2000;
constexpr std::size_t kPassageBytes = 800;

// One retrieved passage.
struct Passage {
  std::string label;   // "src/billing.py:12", "task-3", "adr-002"
  std::string source;  // the search document: "symbol:src/billing.py#charge", "task:task-3"
  std::string kind;    // function, class, module, task, report, finding, decision, ...
  std::string title;
  std::string text;  // what the prompt shows: the title and the stored snippet
  std::optional<std::string> path;
  std::optional<int> line;
  double score = 0;
};

struct Citation {
  std::string label;
  bool verified = false;  // one of the passages the answer was given
  // For a verified citation: the passage's search document, kind, title,
  // file and line.
  std::string source, kind, title;
  std::optional<std::string> path;
  std::optional<int> line;
};

struct Message {
  std::int64_t id = 0;
  std::int64_t session_id = 0;
  std::string role;  // "user" | "assistant"
  std::string content;
  std::vector<Citation> citations;
  std::string mode;    // assistant: "generated" | "extractive"; user: ""
  std::string prompt;  // generated answers: the request sent (JSON text)
  std::string provider, model;
  std::optional<std::int64_t> llm_call_id;
  std::string created_at;
};

struct Session {
  std::int64_t id = 0;
  std::string title;
  std::string created_by;
  std::string created_at, updated_at;
  std::int64_t messages = 0;
};

// "chat-12" (or "12") -> 12; INVALID_PARAMS naming `field` otherwise.
Result<std::int64_t> ParseSessionId(std::string_view text, std::string_view field = "session_id");
std::string SessionIdText(std::int64_t id);  // "chat-12"

// The citation labels of `answer`: each `[...]` whose content (split at
// commas and semicolons) looks like `path:line`, `task-N` or `adr-N`, in
// the order they first appear, each once.
std::vector<std::string> CitedLabels(std::string_view answer);

// Whose conversations a caller may read and continue: a session belongs to
// its created_by; admins and the local CLI see every one (`owner` unset).
// Another's session is "not found", as one that does not exist, so its
// existence is not told.
using SessionOwner = std::optional<std::string>;

struct AskRequest {
  std::string question;
  std::string session;     // "" = a new session; else "chat-N"
  std::string created_by;  // the agent or user asking ("" for the local CLI)
  std::string agent;       // for the cost ledger (CallOptions::agent)
  std::string task;        // for the cost ledger (CallOptions::task)
  SessionOwner owner;      // set: `session` must be this caller's
};

struct AskResult {
  Session session;
  bool new_session = false;
  Message question;
  Message answer;
  std::vector<Passage> passages;  // what the answer was drawn from
  bool grounded = true;           // generated: at least one verified citation
};

class ChatService {
 public:
  // `repository_id` 0: no repository scanned yet (no passages). `gateway`
  // null: extractive answers only. Everything outlives the service.
  ChatService(store::Store& store, std::int64_t repository_id, search::SearchOptions search,
              llm::Gateway* gateway);

  Result<AskResult> Ask(const AskRequest& request);

  // The passages `question` retrieves.
  Result<std::vector<Passage>> Retrieve(const std::string& question);

  // An empty session (the REST route's POST /chat/sessions). Its title:
  // 1-200 bytes (INVALID_PARAMS naming `title`).
  Result<Session> CreateSession(const std::string& title, const std::string& created_by);
  // Most recently updated first; with `owner`, only that caller's.
  Result<std::vector<Session>> ListSessions(int limit, const SessionOwner& owner = std::nullopt);
  // STORAGE_NOT_FOUND naming chat-N, also for another's session.
  Result<Session> GetSession(std::int64_t id, const SessionOwner& owner = std::nullopt);
  Result<std::vector<Message>> Messages(std::int64_t session_id);

 private:
  store::Store& store_;
  std::int64_t repository_id_;
  search::SearchOptions search_;
  llm::Gateway* gateway_;
};

// The JSON shapes the CLI, MCP and REST share.
nlohmann::json ToJson(const Citation& citation);
nlohmann::json ToJson(const Message& message);
nlohmann::json ToJson(const Session& session);
nlohmann::json ToJson(const AskResult& result);

}  // namespace docrunch::chat
