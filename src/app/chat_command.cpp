// docrunch chat "QUESTION" [--session ID] [--json]: an answer from the
// knowledge base with its citations (chat/chat.h).
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/chat_env.h"
#include "app/commands.h"
#include "app/llm_commands.h"
#include "app/sync_runner.h"
#include "llm/providers.h"

namespace docrunch::app {

Result<std::unique_ptr<ChatEnv>> OpenChat(AppContext& ctx, store::Store& store,
                                          std::int64_t repository_id, search::SearchOptions search,
                                          bool strict) {
  auto llm = OpenLlm(ctx, store, strict ? "chat" : "");
  if (!llm) return llm.error();
  auto env = std::make_unique<ChatEnv>();
  env->llm = std::move(*llm);
  env->service = std::make_unique<chat::ChatService>(store, repository_id, std::move(search),
                                                     env->llm->gateway.get());
  return env;
}

namespace {

struct ChatFlags {
  std::string question;
  std::string session;
  bool json = false;
};

Result<void> RunChat(AppContext& ctx, const ChatFlags& flags) {
  auto store = ctx.Store();
  if (!store) return store.error();
  auto repo = ProjectRepository(ctx, **store);
  if (!repo) return repo.error();
  auto loaded = ctx.Config();
  if (!loaded) return loaded.error();
  search::SearchOptions options;
  options.embedder = ConfiguredEmbedder((*loaded)->config);
  auto env = OpenChat(ctx, **store, *repo, std::move(options), true);
  if (!env) return env.error();
  chat::AskRequest request;
  request.question = flags.question;
  request.session = flags.session;
  auto answer = (*env)->service->Ask(request);
  if (!answer) return answer.error();
  if (flags.json) {
    Print(chat::ToJson(*answer).dump(2));
    return Ok();
  }
  std::string text = answer->answer.content + "\n";
  if (!answer->answer.citations.empty()) {
    text += "\nCitations:\n";
    for (const auto& c : answer->answer.citations) {
      text += "  [" + c.label + "] " +
              (c.verified ? c.title + " (" + c.kind + ")" : "not among the passages: unverified") +
              "\n";
    }
  }
  text += "\nsession: " + chat::SessionIdText(answer->session.id) +
          (answer->new_session ? " (new; continue it with --session " +
                                     chat::SessionIdText(answer->session.id) + ")"
                               : "");
  Print(text);
  if (!answer->grounded) {
    std::cerr << "docrunch: warning: the answer cites none of the passages it was given\n";
  }
  return Ok();
}

}  // namespace

void RegisterChat(CLI::App& app, AppContext& ctx, Action& action) {
  auto flags = std::make_shared<ChatFlags>();
  CLI::App* cmd = app.add_subcommand(
      "chat", "Ask a question; the answer comes from the knowledge base, with citations");
  cmd->add_option("question", flags->question, "The question")->required();
  cmd->add_option("--session", flags->session, "Continue a session (chat-N)");
  cmd->add_flag("--json", flags->json, "Print the whole exchange as JSON");
  cmd->callback(
      [&ctx, &action, flags] { action = [&ctx, flags] { return RunChat(ctx, *flags); }; });
}

}  // namespace docrunch::app
