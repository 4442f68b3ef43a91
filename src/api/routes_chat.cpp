// /chat: chat sessions and their messages (chat/chat.h). Readers may list,
// read and ask; an answer cites path:line, task-N or adr-NNN.
#include "api/routes.h"
#include "api/schemas.h"
#include "chat/chat.h"

namespace docrunch::api {
namespace {

using namespace schema;

Result<chat::ChatService*> Chat(const ApiServices& s) {
  if (!s.chat) return MakeError(ErrorCode::kStorageUnavailable, "this server runs no chat");
  return s.chat;
}

// The path's session id: "chat-N" or N (INVALID_REQUEST naming `id`).
Result<std::int64_t> SessionId(const Call& call) {
  auto id = chat::ParseSessionId(call.params.at("id"), "id");
  if (!id) return MakeError(ErrorCode::kUsage, id.error().message);
  return id;
}

json SessionItem() {
  return Object({{"id", Str("chat-N")},
                 {"title", Str()},
                 {"created_by", Str()},
                 {"created_at", Str()},
                 {"updated_at", Str()},
                 {"messages", Int("messages in the session", 0, 1LL << 53)}},
                {"id", "title", "created_by", "created_at", "updated_at", "messages"});
}

json CitationItem() {
  return Object({{"label", Str("path:line, task-N or adr-NNN")},
                 {"verified", Bool("one of the passages the answer was given")},
                 {"source", Str("the search document")},
                 {"kind", Str()},
                 {"title", Str()},
                 {"path", Str()},
                 {"line", Int("", 0, 1LL << 31)}},
                {"label", "verified"});
}

json MessageItem() {
  return Object({{"id", Int("", 1, 1LL << 53)},
                 {"session_id", Str("chat-N")},
                 {"role", Enum({"user", "assistant"})},
                 {"content", Str()},
                 {"citations", Array(CitationItem())},
                 {"created_at", Str()},
                 {"mode", Enum({"generated", "extractive"}, "assistant messages")},
                 {"provider", Nullable(Str())},
                 {"model", Nullable(Str())},
                 {"llm_call_id", Nullable(Int("", 1, 1LL << 53))},
                 {"prompt", AnyObject("generated answers: the system prompt and messages sent")}},
                {"id", "session_id", "role", "content", "citations", "created_at"});
}

json AskAnswer() {
  return Object({{"session_id", Str("chat-N")},
                 {"new_session", Bool()},
                 {"question", MessageItem()},
                 {"answer", MessageItem()},
                 {"grounded", Bool("generated answers: at least one citation was verified")},
                 {"passages", Array(AnyObject("a retrieved passage: label, source, kind, title, "
                                              "score"))}},
                {"session_id", "new_session", "question", "answer", "grounded", "passages"});
}

// Whose sessions the caller reads and continues: its own, or every one for
// an admin (chat/chat.h, SessionOwner).
chat::SessionOwner OwnerOf(const Caller& caller) {
  if (caller.role == config::Role::kAdmin) return std::nullopt;
  return caller.name;
}

}  // namespace

void AddChatRoutes(Routes& routes, ApiServices& s) {
  routes.push_back(
      {"GET", "/chat/sessions", Access::kReader, "chat",
       "Chat sessions, most recently active first: the caller's own (an "
       "admin's: everyone's)",
       PageQuery(), nullptr, Page(SessionItem()), 200, [&s](Call& call) -> Result<json> {
         auto page = ReadPage(call);
         if (!page) return page.error();
         auto service = Chat(s);
         if (!service) return service.error();
         const int want = static_cast<int>(page->offset + page->limit + 1);
         auto sessions = (*service)->ListSessions(std::min(want, 500), OwnerOf(call.caller));
         if (!sessions) return sessions.error();
         json items = json::array();
         for (std::size_t i = page->offset; i < sessions->size(); ++i) {
           items.push_back(chat::ToJson((*sessions)[i]));
         }
         return MakePageOf(std::move(items), *page);
       }});
  routes.push_back(
      {"POST", "/chat/sessions", Access::kReader, "chat",
       "Start an empty chat session (201); ask in it with POST .../messages", json::object(),
       Object({{"title", Str("1-200 bytes", 200)}}, {"title"}), SessionItem(), 201,
       [&s](Call& call) -> Result<json> {
         auto service = Chat(s);
         if (!service) return service.error();
         auto session = (*service)->CreateSession(call.body.value("title", ""), call.caller.name);
         if (!session) return session.error();
         call.headers.push_back({"Location", s.base_path + "/chat/sessions/" +
                                                 chat::SessionIdText(session->id) + "/messages"});
         return chat::ToJson(*session);
       }});
  routes.push_back({"GET", "/chat/sessions/{id}/messages", Access::kReader, "chat",
                    "A session's messages, oldest first, each answer with its citations",
                    json::object(), nullptr,
                    Object({{"session", SessionItem()}, {"messages", Array(MessageItem())}},
                           {"session", "messages"}),
                    200, [&s](Call& call) -> Result<json> {
                      auto id = SessionId(call);
                      if (!id) return id.error();
                      auto service = Chat(s);
                      if (!service) return service.error();
                      auto session = (*service)->GetSession(*id, OwnerOf(call.caller));
                      if (!session) return session.error();
                      auto messages = (*service)->Messages(*id);
                      if (!messages) return messages.error();
                      json list = json::array();
                      for (const auto& m : *messages) list.push_back(chat::ToJson(m));
                      return json{{"session", chat::ToJson(*session)}, {"messages", list}};
                    }});
  routes.push_back(
      {"POST", "/chat/sessions/{id}/messages", Access::kReader, "chat",
       "Ask a question in a session (201): the answer from the knowledge base with its "
       "citations; both messages are stored together, or neither when the answer fails",
       json::object(), Object({{"question", Str("at most 8 KB")}}, {"question"}), AskAnswer(), 201,
       [&s](Call& call) -> Result<json> {
         auto id = SessionId(call);
         if (!id) return id.error();
         auto service = Chat(s);
         if (!service) return service.error();
         chat::AskRequest request;
         request.question = call.body.value("question", "");
         request.session = chat::SessionIdText(*id);
         request.created_by = call.caller.name;
         request.owner = OwnerOf(call.caller);
         request.agent = call.caller.via == "token" ? call.caller.name : "";
         auto answer = (*service)->Ask(request);
         if (!answer) return answer.error();
         return chat::ToJson(*answer);
       }});
  for (auto& route : routes) {
    if (route.tag != "chat") continue;
    route.errors[503] = "this server runs no chat";
    if (route.method == "POST") route.errors[402] = "an LLM budget's hard stop refused the call";
  }
}

}  // namespace docrunch::api
