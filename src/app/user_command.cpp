// docrunch user create NAME --role reader|agent|admin --password-stdin
//               | list [--json] | passwd NAME --password-stdin | disable NAME
//
// Passwords come only from standard input (one line), never from an
// argument, which other users of the machine could read in ps.
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/commands.h"

#include "auth/sessions.h"
#include "auth/tokens.h"
#include "config/schema.h"

namespace docrunch::app {
namespace {

// The first line of stdin without its line ending.
Result<std::string> ReadPassword(bool password_stdin, const std::string& command) {
  if (!password_stdin) {
    return MakeError(ErrorCode::kUsage,
                     command + ": pass the password on standard input with --password-stdin");
  }
  std::string line;
  std::getline(std::cin, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) {
    return MakeError(ErrorCode::kUsage, "--password-stdin: no password on standard input");
  }
  return line;
}

nlohmann::json NullIfEmpty(const std::string& text) {
  return text.empty() ? nlohmann::json() : nlohmann::json(text);
}

std::string UsersText(const std::vector<auth::UserInfo>& users) {
  if (users.empty()) return "no users";
  std::string text;
  for (const auto& u : users) {
    text += u.name + "  " + std::string(config::RoleName(u.role)) + "  created " + u.created_at +
            "  last login " + (u.last_login_at.empty() ? "never" : u.last_login_at) + "  " +
            (u.disabled_at.empty() ? "enabled" : "disabled " + u.disabled_at) + "\n";
  }
  return text;
}

nlohmann::json UsersJson(const std::vector<auth::UserInfo>& users) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& u : users) {
    out.push_back({{"name", u.name},
                   {"role", config::RoleName(u.role)},
                   {"created_at", u.created_at},
                   {"last_login_at", NullIfEmpty(u.last_login_at)},
                   {"disabled_at", NullIfEmpty(u.disabled_at)}});
  }
  return out;
}

void RegisterCreate(CLI::App& user, AppContext& ctx, Action& action) {
  auto name = std::make_shared<std::string>();
  auto role = std::make_shared<std::string>("reader");
  auto password_stdin = std::make_shared<bool>(false);
  CLI::App* create = user.add_subcommand("create", "Create a dashboard user");
  create->add_option("name", *name, "The user name (letters, digits, . _ @ -)")->required();
  create->add_option("--role", *role, "reader (default), agent or admin")
      ->check(CLI::IsMember({"reader", "agent", "admin"}));
  create->add_flag("--password-stdin", *password_stdin,
                   "Read the password from the first line of standard input");
  create->callback([&ctx, &action, name, role, password_stdin] {
    action = [&ctx, name, role, password_stdin]() -> Result<void> {
      auto password = ReadPassword(*password_stdin, "user create");
      if (!password) return password.error();
      auto store = ctx.Store();
      if (!store) return store.error();
      auto created =
          auth::CreateUser(**store, ctx.clock(), *name, *auth::ParseRole(*role), *password);
      if (!created) return created.error();
      Print("created user " + created->name + " (" + *role + ")");
      return Ok();
    };
  });
}

void RegisterList(CLI::App& user, AppContext& ctx, Action& action) {
  auto json_out = std::make_shared<bool>(false);
  CLI::App* list = user.add_subcommand("list", "Every user (never a password hash)");
  list->add_flag("--json", *json_out, "JSON output");
  list->callback([&ctx, &action, json_out] {
    action = [&ctx, json_out]() -> Result<void> {
      auto store = ctx.Store();
      if (!store) return store.error();
      auto users = auth::ListUsers(**store);
      if (!users) return users.error();
      Print(*json_out ? UsersJson(*users).dump(2) : UsersText(*users));
      return Ok();
    };
  });
}

void RegisterPasswd(CLI::App& user, AppContext& ctx, Action& action) {
  auto name = std::make_shared<std::string>();
  auto password_stdin = std::make_shared<bool>(false);
  CLI::App* passwd =
      user.add_subcommand("passwd", "Set a user's password; ends every session of the user");
  passwd->add_option("name", *name, "The user name")->required();
  passwd->add_flag("--password-stdin", *password_stdin,
                   "Read the password from the first line of standard input");
  passwd->callback([&ctx, &action, name, password_stdin] {
    action = [&ctx, name, password_stdin]() -> Result<void> {
      auto password = ReadPassword(*password_stdin, "user passwd");
      if (!password) return password.error();
      auto store = ctx.Store();
      if (!store) return store.error();
      DOCRUNCH_TRY(auth::SetPassword(**store, ctx.clock(), *name, *password));
      Print("password of " + *name + " changed; its sessions are ended");
      return Ok();
    };
  });
}

void RegisterDisable(CLI::App& user, AppContext& ctx, Action& action) {
  auto name = std::make_shared<std::string>();
  CLI::App* disable =
      user.add_subcommand("disable", "Disable a user: no sign-in, every session ended");
  disable->add_option("name", *name, "The user name")->required();
  disable->callback([&ctx, &action, name] {
    action = [&ctx, name]() -> Result<void> {
      auto store = ctx.Store();
      if (!store) return store.error();
      DOCRUNCH_TRY(auth::DisableUser(**store, ctx.clock(), *name));
      Print("disabled " + *name);
      return Ok();
    };
  });
}

}  // namespace

void RegisterUser(CLI::App& app, AppContext& ctx, Action& action) {
  CLI::App* user = app.add_subcommand("user", "Dashboard users (REST API sign-in)");
  user->require_subcommand(1);
  RegisterCreate(*user, ctx, action);
  RegisterList(*user, ctx, action);
  RegisterPasswd(*user, ctx, action);
  RegisterDisable(*user, ctx, action);
}

}  // namespace docrunch::app
