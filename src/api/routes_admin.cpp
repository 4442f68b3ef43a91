// Admin routes: agent tokens, dashboard users, the audit log.
#include "api/routes.h"
#include "api/schemas.h"
#include "config/schema.h"

namespace docrunch::api {
namespace {

using namespace schema;

const std::vector<std::string> kRoles{"reader", "agent", "admin"};

json Nullish(const std::string& text) {
  return text.empty() ? json(nullptr) : json(text);
}

json TokenItem() {
  return Object({{"name", Str()},
                 {"role", Enum(kRoles)},
                 {"created_at", Str()},
                 {"last_used_at", Nullable(Str())},
                 {"revoked_at", Nullable(Str())},
                 {"from_config", Bool()}},
                {"name", "role", "created_at", "last_used_at", "revoked_at", "from_config"});
}

json UserItem() {
  return Object({{"name", Str()},
                 {"role", Enum(kRoles)},
                 {"created_at", Str()},
                 {"last_login_at", Nullable(Str())},
                 {"disabled_at", Nullable(Str())}},
                {"name", "role", "created_at", "last_login_at", "disabled_at"});
}

json ToJson(const auth::UserInfo& u) {
  return {{"name", u.name},
          {"role", config::RoleName(u.role)},
          {"created_at", u.created_at},
          {"last_login_at", Nullish(u.last_login_at)},
          {"disabled_at", Nullish(u.disabled_at)}};
}

const Clock& ClockOf(const ApiServices& s) {
  static const SystemClock system;
  return s.clock ? *s.clock : system;
}

}  // namespace

void AddAdminRoutes(Routes& routes, ApiServices& s) {
  routes.push_back({"GET", "/tokens", Access::kAdmin, "admin",
                    "Agent tokens, live and revoked (never the secret)", PageQuery(), nullptr,
                    Page(TokenItem()), 200, [&s](Call& call) -> Result<json> {
                      auto page = ReadPage(call);
                      if (!page) return page.error();
                      auto tokens = auth::ListTokens(*s.store);
                      if (!tokens) return tokens.error();
                      json items = json::array();
                      for (const auto& t : *tokens) {
                        items.push_back({{"name", t.name},
                                         {"role", config::RoleName(t.role)},
                                         {"created_at", t.created_at},
                                         {"last_used_at", Nullish(t.last_used_at)},
                                         {"revoked_at", Nullish(t.revoked_at)},
                                         {"from_config", t.from_config}});
                      }
                      return MakePage(std::move(items), *page);
                    }});
  routes.push_back(
      {"POST", "/tokens", Access::kAdmin, "admin",
       "Create an agent token; the answer holds the secret, shown this once", json::object(),
       Object({{"name", Str("the agent id", 64)}, {"role", Enum(kRoles)}}, {"name", "role"}),
       Object({{"name", Str()}, {"role", Enum(kRoles)}, {"token", Str("the secret; store it now")}},
              {"name", "role", "token"}),
       201, [&s](Call& call) -> Result<json> {
         std::string name = call.body["name"], role = call.body["role"];
         auto secret = auth::CreateToken(*s.store, name, *auth::ParseRole(role));
         if (!secret) return secret.error();
         return json{{"name", name}, {"role", role}, {"token", *secret}};
       }});
  routes.push_back({"DELETE", "/tokens/{name}", Access::kAdmin, "admin",
                    "Revoke an agent's live token", json::object(), nullptr,
                    Object({{"revoked", Str("the token's name")}}, {"revoked"}), 200,
                    [&s](Call& call) -> Result<json> {
                      const std::string& name = call.params.at("name");
                      DOCRUNCH_TRY(auth::RevokeToken(*s.store, name));
                      return json{{"revoked", name}};
                    }});

  routes.push_back({"GET", "/users", Access::kAdmin, "admin", "Dashboard users", PageQuery(),
                    nullptr, Page(UserItem()), 200, [&s](Call& call) -> Result<json> {
                      auto page = ReadPage(call);
                      if (!page) return page.error();
                      auto users = auth::ListUsers(*s.store);
                      if (!users) return users.error();
                      json items = json::array();
                      for (const auto& u : *users) items.push_back(ToJson(u));
                      return MakePage(std::move(items), *page);
                    }});
  routes.push_back(
      {"POST", "/users", Access::kAdmin, "admin", "Create a dashboard user", json::object(),
       Object(
           {{"name", Str("", 64)}, {"role", Enum(kRoles)}, {"password", Str("8-1024 bytes", 1024)}},
           {"name", "role", "password"}),
       UserItem(), 201, [&s](Call& call) -> Result<json> {
         auto user = auth::CreateUser(*s.store, ClockOf(s), call.body["name"],
                                      *auth::ParseRole(call.body["role"].get<std::string>()),
                                      call.body["password"]);
         if (!user) return user.error();
         return ToJson(*user);
       }});
  routes.push_back(
      {"PATCH", "/users/{name}", Access::kAdmin, "admin",
       "Change a user's password, or disable the user (either ends every session of the user)",
       json::object(),
       Object({{"password", Str("8-1024 bytes", 1024)}, {"disabled", Enum({"true"}, "")}}),
       UserItem(), 200, [&s](Call& call) -> Result<json> {
         const std::string& name = call.params.at("name");
         if (call.body.size() != 1) {
           return MakeError(ErrorCode::kUsage, "body: give exactly one of password, disabled");
         }
         if (call.body.contains("password")) {
           DOCRUNCH_TRY(auth::SetPassword(*s.store, ClockOf(s), name, call.body["password"]));
         } else {
           DOCRUNCH_TRY(auth::DisableUser(*s.store, ClockOf(s), name));
         }
         auto user = auth::GetUser(*s.store, name);
         if (!user) return user.error();
         return ToJson(*user);
       }});

  routes.push_back(
      {"GET", "/audit", Access::kAdmin, "admin",
       "The audit log, newest first, filtered by actor, action, outcome and time",
       PageQuery({{"actor", Str("", 64)},
                  {"action", Str("exact, or a prefix ending in '*' (rest.*)", 100)},
                  {"outcome", Str("ok or an error code", 64)},
                  {"since", Str("ISO-8601 UTC, inclusive", 40)},
                  {"until", Str("ISO-8601 UTC, exclusive", 40)}}),
       nullptr,
       Page(Object({{"id", Int("", 0, 1LL << 62)},
                    {"at", Str()},
                    {"actor", Str()},
                    {"action", Str()},
                    {"target", Nullable(Str())},
                    {"outcome", Str()},
                    {"details", AnyObject()}},
                   {"id", "at", "actor", "action", "target", "outcome", "details"})),
       200, [&s](Call& call) -> Result<json> {
         auto page = ReadPage(call);
         if (!page) return page.error();
         std::string sql =
             "SELECT id, at, actor, action, target, outcome, details FROM audit_log "
             "WHERE 1 = 1";
         store::Params params;
         auto add = [&](const std::string& op, const std::string& column, std::string value) {
           params.push_back(std::move(value));
           sql += " AND " + column + " " + op + " $" + std::to_string(params.size());
         };
         if (call.query.contains("actor")) add("=", "actor", call.query["actor"]);
         if (call.query.contains("outcome")) add("=", "outcome", call.query["outcome"]);
         if (call.query.contains("since")) add(">=", "at", call.query["since"]);
         if (call.query.contains("until")) add("<", "at", call.query["until"]);
         if (call.query.contains("action")) {
           std::string action = call.query["action"];
           if (!action.empty() && action.back() == '*') {
             // A prefix: compare the leading characters (no LIKE, so '%'
             // and '_' in the filter are literal).
             action.pop_back();
             params.push_back(action);
             std::string n = "$" + std::to_string(params.size());
             sql += " AND substr(action, 1, length(" + n + ")) = " + n;
           } else {
             add("=", "action", action);
           }
         }
         sql += " ORDER BY id DESC LIMIT " + std::to_string(page->limit + 1) + " OFFSET " +
                std::to_string(page->offset);
         auto rows = s.store->Query(sql, params);
         if (!rows) return rows.error();
         json items = json::array();
         for (std::size_t i = 0; i < rows->size(); ++i) {
           json details = json::parse(rows->Text(i, "details").value_or("{}"), nullptr, false);
           items.push_back({{"id", rows->Int(i, "id").value_or(0)},
                            {"at", rows->Text(i, "at").value_or("")},
                            {"actor", rows->Text(i, "actor").value_or("")},
                            {"action", rows->Text(i, "action").value_or("")},
                            {"target", rows->Text(i, "target") ? json(*rows->Text(i, "target"))
                                                               : json(nullptr)},
                            {"outcome", rows->Text(i, "outcome").value_or("")},
                            {"details", details.is_object() ? details : json::object()}});
         }
         return MakePageOf(std::move(items), *page);
       }});
}

}  // namespace docrunch::api
