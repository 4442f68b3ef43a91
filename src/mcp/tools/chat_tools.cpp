// The chat tool: ask, a question answered from the knowledge base with
// citations (chat/chat.h). A query-level tool: readers may ask.
#include "chat/chat.h"
#include "mcp/tools/tool_services.h"

namespace docrunch::mcp {
namespace {

using namespace tool_util;

json AskSchema() {
  json citation = {{"type", "object"},
                   {"properties",
                    {{"label", {{"type", "string"}}},
                     {"verified", {{"type", "boolean"}}},
                     {"source", {{"type", "string"}}},
                     {"kind", {{"type", "string"}}},
                     {"title", {{"type", "string"}}},
                     {"path", {{"type", "string"}}},
                     {"line", {{"type", "integer"}}}}},
                   {"required", {"label", "verified"}}};
  json message = {{"type", "object"},
                  {"properties",
                   {{"id", {{"type", "integer"}}},
                    {"role", {{"type", "string"}}},
                    {"content", {{"type", "string"}}},
                    {"citations", {{"type", "array"}, {"items", citation}}}}},
                  {"required", {"id", "role", "content", "citations"}}};
  return json{{"type", "object"},
              {"properties",
               {{"session_id", {{"type", "string"}}},
                {"new_session", {{"type", "boolean"}}},
                {"question", message},
                {"answer", message},
                {"grounded", {{"type", "boolean"}}},
                {"passages", {{"type", "array"}, {"items", {{"type", "object"}}}}}}},
              {"required", {"session_id", "new_session", "answer", "grounded", "passages"}}};
}

ToolResult Ask(ToolServices& s, ToolCall& call) {
  if (s.chat == nullptr) {
    return ToolResult::Failure("INTERNAL", "chat is not available in this server");
  }
  chat::AskRequest request;
  request.question = call.arguments.value("question", "");
  request.session = call.arguments.value("session_id", "");
  request.created_by = call.identity.agent_id;
  request.agent = call.identity.agent_id;
  // An agent continues its own conversations (an admin, or anyone with
  // auth off, any: chat/chat.h, SessionOwner).
  if (call.identity.authenticated && call.identity.role != config::Role::kAdmin) {
    request.owner = call.identity.agent_id;
  }
  call.rpc.Progress(0, 1, "retrieving and answering");
  auto answer = s.chat->Ask(request);
  if (!answer) return Failure(answer.error());
  call.rpc.Progress(1, 1, "done");
  ToolResult out;
  out.structured = chat::ToJson(*answer);
  out.text = answer->answer.content;
  if (!answer->answer.citations.empty()) {
    out.text += "\n\nCitations:";
    for (const auto& c : answer->answer.citations) {
      out.text += "\n[" + c.label + "] " + (c.verified ? c.title : "(unverified)");
    }
  }
  out.text += "\n\nsession_id: " + chat::SessionIdText(answer->session.id);
  return out;
}

}  // namespace

void AddChatTools(Catalog& catalog, ToolServices& s) {
  catalog.tools.push_back(
      {"ask", "Ask the knowledge base",
       "Ask a question about the project in plain words; the answer is drawn only from the "
       "knowledge base (code, tasks, completion reports, findings, decisions) and cites "
       "path:line, task-N or adr-NNN for each claim. With the project's chat provider "
       "configured the answer is written by it; otherwise it is the best passages with their "
       "citations. Pass session_id from an earlier answer to follow up in the same "
       "conversation (your own: another agent's session is not found).",
       Object({{"question", Str("The question (at most 8 KB)")},
               {"session_id", Str("An earlier answer's session (chat-N) to continue", 40)}},
              {"question"}),
       AskSchema(),
       // Read-only towards the project (code, tasks, decisions): what it
       // writes is the conversation's own record, as search_docs writes
       // its query traces, so the reader role may call it (doctor's
       // reader_role check).
       ToolAnnotations{.read_only = true, .destructive = false, .idempotent = false},
       Access::kQuery, [&s](ToolCall& c) { return Ask(s, c); }});
}

}  // namespace docrunch::mcp
