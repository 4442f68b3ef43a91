// docrunch db migrate|status
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "app/snapshot_support.h"

namespace docrunch::app {
namespace {

nlohmann::json StatusJson(const store::Store& store, const store::SchemaStatus& s) {
  nlohmann::json applied = nlohmann::json::array();
  for (const auto& m : s.applied) {
    applied.push_back({{"version", m.version}, {"name", m.name}, {"applied_at", m.applied_at}});
  }
  nlohmann::json pending = nlohmann::json::array();
  for (const auto& m : s.pending) pending.push_back({{"version", m.version}, {"name", m.name}});
  const char* state = s.ahead() ? "ahead" : s.behind() ? "behind" : "current";
  return {{"backend", store.BackendName()},
          {"location", store.Location()},
          {"current_version", s.current_version},
          {"latest_version", s.latest_version},
          {"state", state},
          {"applied", applied},
          {"pending", pending}};
}

std::string StatusText(const store::Store& store, const store::SchemaStatus& s) {
  std::string out =
      "backend:  " + std::string(store.BackendName()) + " (" + store.Location() + ")\n";
  out += "schema:   version " + std::to_string(s.current_version) + " of " +
         std::to_string(s.latest_version);
  if (s.ahead()) {
    out += " (ahead: this database was migrated by a newer docrunch)\n";
  } else if (s.behind()) {
    out += " (behind: run `docrunch db migrate`)\n";
  } else {
    out += " (current)\n";
  }
  for (const auto& m : s.applied) {
    out += "applied:  " + std::to_string(m.version) + " " + m.name + " at " + m.applied_at + "\n";
  }
  for (const auto& m : s.pending) {
    out += "pending:  " + std::to_string(m.version) + " " + m.name + "\n";
  }
  return out;
}

Result<void> Status(AppContext& ctx, bool json) {
  auto store = ctx.StoreUnchecked();
  if (!store) return store.error();
  auto status = (*store)->Status();
  if (!status) return status.error();
  Print(json ? StatusJson(**store, *status).dump(2) : StatusText(**store, *status));
  return Ok();
}

Result<void> Migrate(AppContext& ctx, bool json) {
  auto store = ctx.StoreUnchecked();
  if (!store) return store.error();
  auto before = (*store)->Status();
  if (!before) return before.error();
  // A database with data about to change shape: keep it first
  // (rollback.auto_snapshot.before_migrate).
  if (before->behind() && before->current_version > 0) {
    DOCRUNCH_TRY(
        AutoSnapshot(ctx, **store, "migrate",
                     "before migrating from schema " + std::to_string(before->current_version)));
  }
  auto after = (*store)->Migrate();
  if (!after) return after.error();
  if (json) {
    Print(StatusJson(**store, *after).dump(2));
  } else if (after->current_version == before->current_version) {
    Print("schema already current (version " + std::to_string(after->current_version) + ")");
  } else {
    Print("migrated " + (*store)->Location() + " from version " +
          std::to_string(before->current_version) + " to " +
          std::to_string(after->current_version));
  }
  return Ok();
}

}  // namespace

void RegisterDb(CLI::App& app, AppContext& ctx, Action& action) {
  CLI::App* cmd = app.add_subcommand("db", "Database schema migrations");
  cmd->require_subcommand(1);
  auto json = std::make_shared<bool>(false);
  CLI::App* status =
      cmd->add_subcommand("status", "Show the schema version and pending migrations");
  status->add_flag("--json", *json, "Print JSON");
  status->callback([&ctx, &action, json] { action = [&ctx, json] { return Status(ctx, *json); }; });
  CLI::App* migrate = cmd->add_subcommand("migrate", "Apply pending migrations");
  migrate->add_flag("--json", *json, "Print JSON");
  migrate->callback(
      [&ctx, &action, json] { action = [&ctx, json] { return Migrate(ctx, *json); }; });
}

}  // namespace docrunch::app
