#include "chat/chat.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>

#include "core/clock.h"
#include "core/text.h"
#include "core/utf8.h"
#include "llm/cost_observer.h"
#include "llm/providers.h"

namespace docrunch::chat {
namespace {

using json = nlohmann::json;

std::string Trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "task-12" / "adr-7" (any case) / "path:12"; a label is compared in this
// form: task and adr labels lower-case, paths as they are.
std::optional<std::string> NormalizeLabel(std::string_view raw) {
  std::string label = Trim(raw);
  if (label.size() >= 2 && label.front() == '`' && label.back() == '`') {
    label = label.substr(1, label.size() - 2);
  }
  if (label.empty() || label.size() > 512) return std::nullopt;
  std::string lower = Lower(label);
  for (std::string_view prefix : {"task-", "adr-"}) {
    if (lower.rfind(prefix, 0) == 0 && AllDigits(std::string_view(lower).substr(prefix.size()))) {
      return lower;
    }
  }
  std::size_t colon = label.rfind(':');
  if (colon != std::string::npos && colon > 0 &&
      AllDigits(std::string_view(label).substr(colon + 1)) &&
      label.find_first_of(" \t\n") == std::string::npos) {
    return label;
  }
  return std::nullopt;
}

// The first "task-N" in `text`, or "".
std::string TaskLabelIn(std::string_view text) {
  std::string lower = Lower(std::string(text));
  for (std::size_t at = lower.find("task-"); at != std::string::npos;
       at = lower.find("task-", at + 1)) {
    std::size_t end = at + 5;
    while (end < lower.size() && std::isdigit(static_cast<unsigned char>(lower[end]))) ++end;
    if (end > at + 5) return lower.substr(at, end - at);
  }
  return "";
}

json CitationsJson(const std::vector<Citation>& citations) {
  json out = json::array();
  for (const auto& c : citations) out.push_back(ToJson(c));
  return out;
}

std::vector<Citation> CitationsFromJson(const std::string& text) {
  std::vector<Citation> out;
  json parsed = json::parse(text, nullptr, false);
  if (!parsed.is_array()) return out;
  for (const auto& c : parsed) {
    if (!c.is_object()) continue;
    Citation citation;
    citation.label = c.value("label", "");
    citation.verified = c.value("verified", false);
    citation.source = c.value("source", "");
    citation.kind = c.value("kind", "");
    citation.title = c.value("title", "");
    if (c.contains("path") && c["path"].is_string()) citation.path = c["path"].get<std::string>();
    if (c.contains("line") && c["line"].is_number_integer()) citation.line = c["line"].get<int>();
    out.push_back(std::move(citation));
  }
  return out;
}

Citation CitationOf(const Passage& p) {
  return Citation{p.label, true, p.source, p.kind, p.title, p.path, p.line};
}

const char* kSystemPrompt =
    "You answer questions about a software project using ONLY the numbered passages given in "
    "the user's message, which come from the project's knowledge base (its code, tasks, "
    "reports and architecture decisions). Each passage starts with its citation label in "
    "square brackets, such as [src/app.py:12], [task-3] or [adr-002]. Cite every claim with "
    "the label of the passage it comes from, in square brackets, exactly as written. Do not "
    "use outside knowledge and do not cite anything that is not a passage label. If the "
    "passages do not answer the question, say so.";

std::string UserPrompt(const std::vector<Passage>& passages, const std::string& question) {
  std::string out = "Passages:\n\n";
  for (const auto& p : passages) out += "[" + p.label + "] " + p.text + "\n\n";
  out += "Question: " + question;
  return out;
}

Message MessageFromRow(const store::Rows& rows, std::size_t i) {
  Message m;
  m.id = rows.Int(i, "id").value_or(0);
  m.session_id = rows.Int(i, "session_id").value_or(0);
  m.role = rows.Text(i, "role").value_or("");
  m.content = rows.Text(i, "content").value_or("");
  m.citations = CitationsFromJson(rows.Text(i, "citations").value_or("[]"));
  m.mode = rows.Text(i, "mode").value_or("");
  m.prompt = rows.Text(i, "prompt").value_or("");
  m.provider = rows.Text(i, "provider").value_or("");
  m.model = rows.Text(i, "model").value_or("");
  m.llm_call_id = rows.Int(i, "llm_call_id");
  m.created_at = rows.Text(i, "created_at").value_or("");
  return m;
}

constexpr const char* kMessageColumns =
    "id, session_id, role, content, citations, mode, prompt, provider, model, llm_call_id, "
    "created_at";

store::Value OrNull(const std::string& s) {
  return s.empty() ? store::Value{} : store::Value{s};
}

Result<std::int64_t> InsertMessage(store::Tx& tx, const Message& m) {
  auto rows = tx.Query(
      "INSERT INTO chat_messages (session_id, role, content, citations, mode, prompt, provider, "
      "model, llm_call_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
      "RETURNING id",
      {m.session_id, m.role, m.content, CitationsJson(m.citations).dump(), m.mode, OrNull(m.prompt),
       OrNull(m.provider), OrNull(m.model),
       m.llm_call_id ? store::Value{*m.llm_call_id} : store::Value{}, m.created_at});
  if (!rows) return rows.error();
  if (rows->empty()) return MakeError(ErrorCode::kInternal, "chat: the insert returned no id");
  return *rows->Int(0, "id");
}

Session SessionFromRow(const store::Rows& rows, std::size_t i) {
  Session s;
  s.id = rows.Int(i, "id").value_or(0);
  s.title = rows.Text(i, "title").value_or("");
  s.created_by = rows.Text(i, "created_by").value_or("");
  s.created_at = rows.Text(i, "created_at").value_or("");
  s.updated_at = rows.Text(i, "updated_at").value_or("");
  s.messages = rows.Int(i, "messages").value_or(0);
  return s;
}

constexpr const char* kSessionSelect =
    "SELECT s.id, s.title, s.created_by, s.created_at, s.updated_at, "
    "(SELECT count(*) FROM chat_messages m WHERE m.session_id = s.id) AS messages "
    "FROM chat_sessions s";

Error SessionNotFound(std::int64_t id) {
  return MakeError(ErrorCode::kStorageNotFound, "session_id: no chat session " + SessionIdText(id));
}

// A session's title from its first question: the first line, cut.
std::string TitleOf(const std::string& question) {
  std::string first = Trim(question.substr(0, question.find('\n')));
  return CutWithEllipsis(first.empty() ? Trim(question) : first, 120);
}

std::string Extractive(const std::vector<Passage>& passages) {
  if (passages.empty()) {
    return "Nothing in the knowledge base matches the question (no passage was found).";
  }
  std::string out =
      "No chat provider is configured, so here are the passages that best match the "
      "question:\n";
  int n = 0;
  for (const auto& p : passages) {
    if (n == kExtractivePassages) break;
    // "title — snippet" on one line.
    std::string text = p.text;
    if (std::size_t nl = text.find('\n'); nl != std::string::npos) text.replace(nl, 1, " — ");
    std::replace(text.begin(), text.end(), '\n', ' ');
    out += "\n" + std::to_string(++n) + ". " + CutWithEllipsis(text, 400) + " [" + p.label + "]";
  }
  return out;
}

}  // namespace

Result<std::int64_t> ParseSessionId(std::string_view text, std::string_view field) {
  std::string_view digits = text;
  if (digits.rfind("chat-", 0) == 0) digits.remove_prefix(5);
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (!AllDigits(digits) || ec != std::errc() || end != digits.data() + digits.size() || id <= 0) {
    return MakeError(ErrorCode::kInvalidParams,
                     std::string(field) + ": '" + CutWithEllipsis(text, 40) +
                         "' is not a chat session id (chat-N, e.g. chat-1)");
  }
  return id;
}

std::string SessionIdText(std::int64_t id) {
  return "chat-" + std::to_string(id);
}

std::vector<std::string> CitedLabels(std::string_view answer) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while ((at = answer.find('[', at)) != std::string_view::npos) {
    std::size_t end = answer.find_first_of("[]\n", at + 1);
    if (end == std::string_view::npos) break;
    if (answer[end] != ']') {
      at = end;
      continue;
    }
    std::string_view inside = answer.substr(at + 1, end - at - 1);
    std::size_t start = 0;
    while (start <= inside.size()) {
      std::size_t sep = inside.find_first_of(",;", start);
      if (sep == std::string_view::npos) sep = inside.size();
      if (auto label = NormalizeLabel(inside.substr(start, sep - start))) {
        if (std::find(out.begin(), out.end(), *label) == out.end()) out.push_back(*label);
      }
      start = sep + 1;
    }
    at = end + 1;
  }
  return out;
}

ChatService::ChatService(store::Store& store, std::int64_t repository_id,
                         search::SearchOptions search, llm::Gateway* gateway)
    : store_(store), repository_id_(repository_id), search_(std::move(search)), gateway_(gateway) {}

Result<std::vector<Passage>> ChatService::Retrieve(const std::string& question) {
  std::vector<Passage> out;
  if (repository_id_ == 0) return out;
  auto results = search::Search(store_, repository_id_, question, kMaxPassages * 3,
                                search::Scope::kAll, search_);
  if (!results) return results.error();
  std::map<std::string, std::size_t> by_label;
  for (const auto& r : *results) {
    Passage p;
    p.source = r.id;
    p.kind = r.type;
    p.title = r.title;
    p.score = r.score;
    std::string content = Trim(r.content);
    p.text = Trim(r.title);
    if (!content.empty() && content != p.text) p.text += "\n" + content;
    if (r.file_path) {
      p.path = r.file_path;
      p.line = r.line_number.value_or(1);
      p.label = *r.file_path + ":" + std::to_string(*p.line);
    } else if (r.type == "decision") {
      // "ADR-007: title"
      std::string lower = Lower(r.title.substr(0, r.title.find(':')));
      if (lower.rfind("adr-", 0) == 0) p.label = lower;
    } else if (r.type == "task" || r.type == "report") {
      p.label = TaskLabelIn(r.type == "task" ? r.id : r.title);
    } else if (r.type == "finding" && r.id.rfind("finding:", 0) == 0) {
      auto row = store_.Query("SELECT task_id, file_path, line FROM findings WHERE id = $1",
                              {std::int64_t{std::atoll(r.id.c_str() + 8)}});
      if (!row) return row.error();
      if (!row->empty()) {
        if (auto task = row->Int(0, "task_id")) {
          p.label = "task-" + std::to_string(*task);
        } else if (auto path = row->Text(0, "file_path")) {
          p.path = *path;
          p.line = static_cast<int>(row->Int(0, "line").value_or(1));
          p.label = *path + ":" + std::to_string(*p.line);
        }
      }
    }
    if (p.label.empty()) continue;  // nothing it could be cited by
    if (auto same = by_label.find(p.label); same != by_label.end()) {
      // A task's reports and findings join the task's passage.
      Passage& first = out[same->second];
      if (first.text.size() < kPassageBytes)
        first.text = CutWithEllipsis(first.text + "\n" + p.text, kPassageBytes);
      continue;
    }
    if (static_cast<int>(out.size()) == kMaxPassages) continue;
    p.text = CutWithEllipsis(p.text, kPassageBytes);
    by_label[p.label] = out.size();
    out.push_back(std::move(p));
  }
  return out;
}

Result<AskResult> ChatService::Ask(const AskRequest& request) {
  const std::string question = Trim(request.question);
  if (question.empty()) {
    return MakeError(ErrorCode::kInvalidParams, "question: must not be empty");
  }
  if (request.question.size() > kMaxQuestionBytes) {
    return MakeError(ErrorCode::kInvalidParams,
                     "question: " + std::to_string(request.question.size()) +
                         " bytes is over the limit of " + std::to_string(kMaxQuestionBytes));
  }
  if (!IsValidUtf8(request.question)) {
    return MakeError(ErrorCode::kInvalidParams, "question: is not valid UTF-8");
  }
  AskResult result;
  std::vector<Message> history;
  if (!request.session.empty()) {
    auto id = ParseSessionId(request.session);
    if (!id) return id.error();
    auto session = GetSession(*id, request.owner);
    if (!session) return session.error();
    result.session = *session;
    auto earlier = Messages(*id);
    if (!earlier) return earlier.error();
    history = std::move(*earlier);
  } else {
    result.new_session = true;
    result.session.title = TitleOf(question);
    result.session.created_by = request.created_by;
  }

  auto passages = Retrieve(question);
  if (!passages) return passages.error();
  result.passages = std::move(*passages);

  // Whether a provider answers: a chat profile whose provider is enabled.
  std::optional<llm::ProfileInfo> profile;
  if (gateway_ != nullptr && !result.passages.empty()) {
    auto found = llm::GetProfile(store_, "chat");
    if (found) {
      auto provider = llm::GetProvider(store_, found->provider);
      if (!provider) return provider.error();
      if (provider->info.enabled) profile = *found;
    } else if (found.error().code != ErrorCode::kStorageNotFound) {
      return found.error();
    }
  }

  Message& answer = result.answer;
  answer.role = "assistant";
  if (profile) {
    llm::GenerateRequest generate;
    generate.system = kSystemPrompt;
    if (!profile->system_prompt.empty()) generate.system += "\n\n" + profile->system_prompt;
    // The session's last messages, oldest first, starting with a question.
    std::size_t from = history.size() > kHistoryMessages ? history.size() - kHistoryMessages : 0;
    while (from < history.size() && history[from].role != "user") ++from;
    for (std::size_t i = from; i < history.size(); ++i) {
      generate.messages.push_back(
          {history[i].role, CutWithEllipsis(history[i].content, kHistoryMessageBytes)});
    }
    generate.messages.push_back({"user", UserPrompt(result.passages, question)});
    json prompt = {{"system", generate.system}, {"messages", json::array()}};
    for (const auto& m : generate.messages) {
      prompt["messages"].push_back({{"role", m.role}, {"content", m.content}});
    }
    llm::CallOptions options;
    options.agent = request.agent;
    options.task = request.task;
    const std::int64_t call_before = llm::CostObserver::LastCallId();
    auto generated = gateway_->GenerateForRole("chat", std::move(generate), options);
    const std::int64_t call_after = llm::CostObserver::LastCallId();
    if (!generated) return generated.error();
    std::string text = Trim(generated->text);
    if (text.empty()) {
      return MakeError(ErrorCode::kLlmProviderError,
                       "chat: the provider '" + profile->provider +
                           "' answered with no text; nothing was stored");
    }
    answer.content = text;
    answer.mode = "generated";
    answer.prompt = prompt.dump();
    answer.provider = profile->provider;
    answer.model = generated->model;
    if (call_after != call_before && call_after != 0) answer.llm_call_id = call_after;
    std::map<std::string, const Passage*> known;
    for (const auto& p : result.passages) known[p.label] = &p;
    bool any_verified = false;
    for (const auto& label : CitedLabels(text)) {
      auto hit = known.find(label);
      if (hit != known.end()) {
        answer.citations.push_back(CitationOf(*hit->second));
        any_verified = true;
      } else {
        Citation unknown;
        unknown.label = label;
        unknown.verified = false;
        answer.citations.push_back(std::move(unknown));
      }
    }
    result.grounded = any_verified;
  } else {
    answer.content = Extractive(result.passages);
    answer.mode = "extractive";
    for (std::size_t i = 0; i < result.passages.size() && i < kExtractivePassages; ++i) {
      answer.citations.push_back(CitationOf(result.passages[i]));
    }
  }

  Message& asked = result.question;
  asked.role = "user";
  asked.content = question;
  auto written = store_.Transact([&](store::Tx& tx) -> Result<void> {
    const std::string now = FormatIso8601(tx.clock().Now());
    if (result.new_session) {
      auto rows = tx.Query(
          "INSERT INTO chat_sessions (title, created_by, created_at, updated_at) "
          "VALUES ($1, $2, $3, $3) RETURNING id",
          {result.session.title, result.session.created_by, now});
      if (!rows) return rows.error();
      result.session.id = *rows->Int(0, "id");
      result.session.created_at = now;
    } else {
      auto n = tx.Exec("UPDATE chat_sessions SET updated_at = $2 WHERE id = $1",
                       {result.session.id, now});
      if (!n) return n.error();
      if (*n == 0) return SessionNotFound(result.session.id);  // removed meanwhile
    }
    result.session.updated_at = now;
    asked.session_id = answer.session_id = result.session.id;
    asked.created_at = answer.created_at = now;
    auto q = InsertMessage(tx, asked);
    if (!q) return q.error();
    asked.id = *q;
    auto a = InsertMessage(tx, answer);
    if (!a) return a.error();
    answer.id = *a;
    return Ok();
  });
  if (!written) return written.error();
  result.session.messages += 2;
  return result;
}

Result<Session> ChatService::CreateSession(const std::string& title,
                                           const std::string& created_by) {
  std::string trimmed = Trim(title);
  if (trimmed.empty() || trimmed.size() > 200 || !IsValidUtf8(trimmed)) {
    return MakeError(ErrorCode::kInvalidParams, "title: 1 to 200 bytes of UTF-8 text");
  }
  Session s;
  s.title = trimmed;
  s.created_by = created_by;
  auto written = store_.Transact([&](store::Tx& tx) -> Result<void> {
    s.created_at = s.updated_at = FormatIso8601(tx.clock().Now());
    auto rows = tx.Query(
        "INSERT INTO chat_sessions (title, created_by, created_at, updated_at) "
        "VALUES ($1, $2, $3, $3) RETURNING id",
        {s.title, s.created_by, s.created_at});
    if (!rows) return rows.error();
    s.id = *rows->Int(0, "id");
    return Ok();
  });
  if (!written) return written.error();
  return s;
}

Result<std::vector<Session>> ChatService::ListSessions(int limit, const SessionOwner& owner) {
  store::Params params{std::int64_t{std::clamp(limit, 1, 500)}};
  std::string where;
  if (owner) {
    params.push_back(*owner);
    where = " WHERE s.created_by = $2";
  }
  auto rows = store_.Query(
      std::string(kSessionSelect) + where + " ORDER BY s.updated_at DESC, s.id DESC LIMIT $1",
      params);
  if (!rows) return rows.error();
  std::vector<Session> out;
  for (std::size_t i = 0; i < rows->size(); ++i) out.push_back(SessionFromRow(*rows, i));
  return out;
}

Result<Session> ChatService::GetSession(std::int64_t id, const SessionOwner& owner) {
  auto rows = store_.Query(std::string(kSessionSelect) + " WHERE s.id = $1", {id});
  if (!rows) return rows.error();
  if (rows->empty()) return SessionNotFound(id);
  Session session = SessionFromRow(*rows, 0);
  if (owner && session.created_by != *owner) return SessionNotFound(id);
  return session;
}

Result<std::vector<Message>> ChatService::Messages(std::int64_t session_id) {
  auto rows = store_.Query(std::string("SELECT ") + kMessageColumns +
                               " FROM chat_messages WHERE session_id = $1 ORDER BY id",
                           {session_id});
  if (!rows) return rows.error();
  std::vector<Message> out;
  for (std::size_t i = 0; i < rows->size(); ++i) out.push_back(MessageFromRow(*rows, i));
  return out;
}

json ToJson(const Citation& c) {
  json out = {{"label", c.label}, {"verified", c.verified}};
  if (c.verified) {
    out["source"] = c.source;
    out["kind"] = c.kind;
    out["title"] = c.title;
    if (c.path) out["path"] = *c.path;
    if (c.line) out["line"] = *c.line;
  }
  return out;
}

json ToJson(const Message& m) {
  json out = {{"id", m.id},
              {"session_id", SessionIdText(m.session_id)},
              {"role", m.role},
              {"content", m.content},
              {"citations", CitationsJson(m.citations)},
              {"created_at", m.created_at}};
  if (m.role == "assistant") {
    out["mode"] = m.mode;
    out["provider"] = m.provider.empty() ? json() : json(m.provider);
    out["model"] = m.model.empty() ? json() : json(m.model);
    out["llm_call_id"] = m.llm_call_id ? json(*m.llm_call_id) : json();
    if (!m.prompt.empty()) {
      json prompt = json::parse(m.prompt, nullptr, false);
      out["prompt"] = prompt.is_discarded() ? json(m.prompt) : prompt;
    }
  }
  return out;
}

json ToJson(const Session& s) {
  return {{"id", SessionIdText(s.id)},  {"title", s.title},           {"created_by", s.created_by},
          {"created_at", s.created_at}, {"updated_at", s.updated_at}, {"messages", s.messages}};
}

json ToJson(const AskResult& r) {
  json passages = json::array();
  for (const auto& p : r.passages) {
    passages.push_back({{"label", p.label},
                        {"source", p.source},
                        {"kind", p.kind},
                        {"title", p.title},
                        {"score", p.score}});
  }
  return {{"session_id", SessionIdText(r.session.id)},
          {"new_session", r.new_session},
          {"question", ToJson(r.question)},
          {"answer", ToJson(r.answer)},
          {"grounded", r.grounded},
          {"passages", passages}};
}

}  // namespace docrunch::chat
