// Operations routes, for admins: the project's snapshots (list, take one,
// what changed since one; a restore stays a CLI command, refused while a
// server runs) and the LLM spend with its budgets (the cost ledger).
#include "api/routes.h"
#include "api/schemas.h"
#include "cost/ledger.h"
#include "ops/snapshots.h"

namespace docrunch::api {
namespace {

using namespace schema;

Result<const ops::SnapshotEnv*> Snapshots(const ApiServices& s) {
  if (!s.snapshots) {
    return MakeError(ErrorCode::kStorageUnavailable, "this server keeps no snapshots");
  }
  return s.snapshots;
}

// A snapshot as the API shows it: the archive's file name, not its path
// on the server.
// An error of the snapshot code without the server's paths.
Error Scrubbed(const ops::SnapshotEnv& env, Error error) {
  error.message = ops::WithoutFolder(env, std::move(error.message));
  return error;
}

json SnapshotJson(const ops::SnapshotInfo& info) {
  json j = ops::ToJson(info);
  j["file"] = info.file.filename().string();
  return j;
}

json SnapshotItem() {
  return Object(
      {{"format", Int("", 1, 1000)},
       {"version", Int("", 1, 1LL << 53)},
       {"trigger", Enum({"manual", "migrate", "restore", "scan", "task_completion", "auto"})},
       {"note", Str()},
       {"created_at", Str()},
       {"docrunch_version", Str()},
       {"schema_version", Int("", 0, 1 << 20)},
       {"backend", Enum({"sqlite", "postgres"})},
       {"project_root", Str()},
       {"repository", Nullable(AnyObject("the repository row: id, name, root_path, created_at"))},
       {"file", Str("the archive's name in the snapshots folder")},
       {"size", Int("bytes", 0, 1LL << 53)},
       {"docs_pages", Int("", 0, 1LL << 53)},
       {"includes", Array(Str())}},
      {"version", "trigger", "note", "created_at", "schema_version", "backend", "file", "size"});
}

json ChangeList() {
  return Array(
      Object({{"change", Enum({"added", "removed", "changed"})}, {"id", Str()}, {"detail", Str()}},
             {"change", "id"}));
}

json DiffAnswer() {
  return Object(
      {{"from", Str("a version")},
       {"to", Str("a version, or \"now\"")},
       {"tasks", ChangeList()},
       {"decisions", ChangeList()},
       {"docs", ChangeList()},
       {"index", Object({{"documents_before", Int("", 0, 1LL << 53)},
                         {"documents_after", Int("", 0, 1LL << 53)},
                         {"added", Int("", 0, 1LL << 53)},
                         {"removed", Int("", 0, 1LL << 53)},
                         {"changed", Int("", 0, 1LL << 53)}},
                        {"documents_before", "documents_after", "added", "removed", "changed"})}},
      {"from", "to", "tasks", "decisions", "docs", "index"});
}

json CostRow() {
  return Object({{"agent", Str()},
                 {"task", Str()},
                 {"provider", Str()},
                 {"model", Str()},
                 {"calls", Int("", 0, 1LL << 53)},
                 {"input_tokens", Int("", 0, 1LL << 53)},
                 {"output_tokens", Int("", 0, 1LL << 53)},
                 {"cost_usd", Num()}},
                {"calls", "input_tokens", "output_tokens", "cost_usd"});
}

json BudgetItem() {
  return Object({{"budget", Str("scope:name:period")},
                 {"scope", Str()},
                 {"name", Str()},
                 {"period", Enum({"day", "week", "month"})},
                 {"period_start", Str()},
                 {"limit_usd", Num()},
                 {"spent_usd", Num()},
                 {"percent", Num()}},
                {"budget", "scope", "period", "limit_usd", "spent_usd", "percent"});
}

json CostAnswer() {
  return Object(
      {{"period", Enum({"day", "week", "month"})},
       {"from", Str()},
       {"to", Str()},
       {"by", Enum({"agent", "task", "provider", "model"})},
       {"calls", Int("", 0, 1LL << 53)},
       {"total_usd", Num()},
       {"rows", Array(CostRow(), "most expensive first")},
       {"budgets", Array(BudgetItem())},
       {"hard_stop", Bool()}},
      {"period", "from", "to", "by", "calls", "total_usd", "rows", "budgets", "hard_stop"});
}

}  // namespace

void AddOpsRoutes(Routes& routes, ApiServices& s) {
  routes.push_back(
      {"GET", "/snapshots", Access::kAdmin, "operations",
       "The project's snapshots, oldest first, and the files that are not readable snapshots",
       json::object(), nullptr,
       Object({{"snapshots", Array(SnapshotItem())},
               {"unreadable",
                Array(Object({{"file", Str()}, {"reason", Str()}}, {"file", "reason"}))}},
              {"snapshots", "unreadable"}),
       200, [&s](Call&) -> Result<json> {
         auto env = Snapshots(s);
         if (!env) return env.error();
         auto list = ops::ListSnapshots(**env);
         if (!list) return Scrubbed(**env, list.error());
         json snapshots = json::array(), unreadable = json::array();
         for (const auto& info : list->snapshots) snapshots.push_back(SnapshotJson(info));
         for (const auto& [file, why] : list->unreadable) {
           unreadable.push_back(
               {{"file", file.filename().string()}, {"reason", ops::WithoutFolder(**env, why)}});
         }
         return json{{"snapshots", snapshots}, {"unreadable", unreadable}};
       }});
  routes.push_back(
      {"POST", "/snapshots", Access::kAdmin, "operations",
       "Take a snapshot now (201): the database, the Markdown, the index and the config; "
       "restore it with `docrunch snapshot restore VERSION` while no server runs",
       json::object(), Object({{"note", Str("at most 500 bytes", 500)}}), SnapshotItem(), 201,
       [&s](Call& call) -> Result<json> {
         auto env = Snapshots(s);
         if (!env) return env.error();
         const std::string note = call.body.value("note", "");
         auto made = ops::CreateSnapshot(**env, *s.store, "manual", note);
         if (!made) return Scrubbed(**env, made.error());
         call.headers.push_back({"Location", s.base_path + "/snapshots/" +
                                                 std::to_string(made->manifest.version) + "/diff"});
         return SnapshotJson(*made);
       }});
  routes.push_back(
      {"GET", "/snapshots/{version}/diff", Access::kAdmin, "operations",
       "What changed from a snapshot to another (`to`) or to now: tasks, decisions, Markdown "
       "pages and the search index",
       Object({{"to", Str("a later version; absent: now", 20)}}), nullptr, DiffAnswer(), 200,
       [&s](Call& call) -> Result<json> {
         auto env = Snapshots(s);
         if (!env) return env.error();
         std::optional<std::string> to;
         if (call.query.contains("to")) to = call.query["to"].get<std::string>();
         auto diff =
             ops::DiffSnapshots(**env, to ? nullptr : s.store, call.params.at("version"), to);
         if (!diff) {
           // A malformed version is the caller's: 400 naming the parameter.
           if (diff.error().code == ErrorCode::kInvalidParams) {
             return MakeError(ErrorCode::kUsage, diff.error().message);
           }
           return Scrubbed(**env, diff.error());
         }
         return ops::ToJson(*diff);
       }});
  routes.push_back(
      {"GET", "/cost", Access::kAdmin, "operations",
       "LLM spend in the current day, week or month, grouped by agent, task, provider or "
       "model, with each budget's state",
       Object({{"period", Enum({"day", "week", "month"}, "default day")},
               {"by", Enum({"agent", "task", "provider", "model"}, "default provider")}}),
       nullptr, CostAnswer(), 200, [&s](Call& call) -> Result<json> {
         if (!s.ledger) {
           return MakeError(ErrorCode::kStorageUnavailable, "this server keeps no cost ledger");
         }
         auto period = cost::ParsePeriod(call.query.value("period", "day"), "period");
         if (!period) return MakeError(ErrorCode::kUsage, period.error().message);
         return s.ledger->Report(*period, call.query.value("by", "provider"));
       }});
  for (auto& route : routes) {
    if (route.tag != "operations") continue;
    route.errors[503] = route.path == "/cost" ? "this server keeps no cost ledger"
                                              : "this server keeps no snapshots";
    if (route.path == "/snapshots/{version}/diff") route.errors[404] = "no such snapshot";
  }
}

}  // namespace docrunch::api
