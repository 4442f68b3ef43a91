// docrunch token create --name NAME --role reader|agent|admin | list | revoke NAME
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/commands.h"

#include "auth/tokens.h"
#include "config/schema.h"

namespace docrunch::app {

void RegisterToken(CLI::App& app, AppContext& ctx, Action& action) {
  CLI::App* token = app.add_subcommand("token", "Agent tokens for the MCP server");
  token->require_subcommand(1);

  auto name = std::make_shared<std::string>();
  auto role = std::make_shared<std::string>("agent");
  CLI::App* create = token->add_subcommand(
      "create", "Create a token; it is printed once, only its hash is stored");
  create->add_option("--name", *name, "The agent id the token stands for")->required();
  create->add_option("--role", *role, "reader (query only), agent (query + report), admin (all)")
      ->check(CLI::IsMember({"reader", "agent", "admin"}));
  create->callback([&ctx, &action, name, role] {
    action = [&ctx, name, role]() -> Result<void> {
      auto store = ctx.Store();
      if (!store) return store.error();
      auto secret = auth::CreateToken(**store, *name, *auth::ParseRole(*role));
      if (!secret) return secret.error();
      std::cerr << "Token for " << *name << " (" << *role
                << "); it is shown only now. Give it to the agent as DOCRUNCH_AGENT_TOKEN "
                   "(stdio) or as Authorization: Bearer (HTTP).\n";
      Print(*secret);
      return Ok();
    };
  });

  auto json_out = std::make_shared<bool>(false);
  CLI::App* list = token->add_subcommand("list", "Every token (never the secret)");
  list->add_flag("--json", *json_out, "JSON output");
  list->callback([&ctx, &action, json_out] {
    action = [&ctx, json_out]() -> Result<void> {
      auto store = ctx.Store();
      if (!store) return store.error();
      auto tokens = auth::ListTokens(**store);
      if (!tokens) return tokens.error();
      nlohmann::json out = nlohmann::json::array();
      std::string text = tokens->empty() ? "no tokens" : "";
      for (const auto& t : *tokens) {
        std::string state = t.revoked_at.empty() ? "live" : "revoked " + t.revoked_at;
        out.push_back({{"name", t.name},
                       {"role", config::RoleName(t.role)},
                       {"created_at", t.created_at},
                       {"last_used_at",
                        t.last_used_at.empty() ? nlohmann::json() : nlohmann::json(t.last_used_at)},
                       {"revoked_at",
                        t.revoked_at.empty() ? nlohmann::json() : nlohmann::json(t.revoked_at)}});
        text += t.name + "  " + std::string(config::RoleName(t.role)) + "  created " +
                t.created_at + "  last used " +
                (t.last_used_at.empty() ? "never" : t.last_used_at) + "  " + state + "\n";
      }
      Print(*json_out ? out.dump(2) : text);
      return Ok();
    };
  });

  auto revoke_name = std::make_shared<std::string>();
  CLI::App* revoke = token->add_subcommand("revoke", "Revoke the live token of an agent");
  revoke->add_option("name", *revoke_name, "The token's name")->required();
  revoke->callback([&ctx, &action, revoke_name] {
    action = [&ctx, revoke_name]() -> Result<void> {
      auto store = ctx.Store();
      if (!store) return store.error();
      DOCRUNCH_TRY(auth::RevokeToken(**store, *revoke_name));
      Print("revoked " + *revoke_name);
      return Ok();
    };
  });
}

}  // namespace docrunch::app
