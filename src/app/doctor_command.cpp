// docrunch doctor [--hosted] [--json] [--public-url URL] [--cacert FILE]
#include <iostream>

#include "app/commands.h"
#include "app/snapshot_support.h"
#include "mcp/tools/tool_services.h"
#include "ops/doctor.h"

namespace docrunch::app {
namespace {

struct DoctorFlags {
  bool hosted = false;
  bool json = false;
  std::string public_url;
  std::string ca_file;
};

// Every catalog tool with whether the reader role may call it.
std::vector<ops::ToolAccess> CatalogAccess() {
  mcp::ToolServices services;
  mcp::Catalog catalog = mcp::BuildCatalog(services);
  std::vector<ops::ToolAccess> out;
  for (const auto& t : catalog.tools) {
    out.push_back(
        {t.name, mcp::RoleAllows(config::Role::kReader, t.access), t.annotations.read_only});
  }
  return out;
}

Result<int> Doctor(AppContext& ctx, const DoctorFlags& flags) {
  auto loaded = ctx.Config();
  if (!loaded) return loaded.error();
  auto snap = SnapshotEnvFor(ctx);
  if (!snap) return snap.error();
  const config::Config& c = (*loaded)->config;
  ops::DoctorInputs in;
  in.loaded = *loaded;
  in.env = &ctx.env();
  in.hosted = flags.hosted || c.security.mode == config::SecurityMode::kHosted;
  in.store_options = snap->store_options;
  in.project_root = snap->project_root;
  in.docs_root = snap->docs_root;
  in.snapshots_dir = snap->snapshots_dir;
  in.redis_url = RedisUrl(c, ctx.env());
  in.public_url = flags.public_url;
  if (in.public_url.empty() && ctx.env().count("DOCRUNCH_PUBLIC_URL")) {
    in.public_url = ctx.env().at("DOCRUNCH_PUBLIC_URL");
  }
  in.ca_file = flags.ca_file;
  in.tools = CatalogAccess();
  in.timeout = std::chrono::seconds(std::max(2, snap->store_options.connect_timeout_seconds));
  in.clock = &ctx.clock();
  auto checks = ops::RunDoctor(in);
  Print(flags.json ? ops::ToJson(checks).dump(2) : ops::ToText(checks));
  return ops::DoctorExitCode(checks);
}

}  // namespace

void RegisterDoctor(CLI::App& app, AppContext& ctx, Action& action) {
  auto flags = std::make_shared<DoctorFlags>();
  CLI::App* cmd = app.add_subcommand("doctor", "The production-readiness checklist, run now");
  cmd->add_flag("--hosted", flags->hosted, "Check as a hosted deployment (also security.mode)");
  cmd->add_flag("--json", flags->json, "Print {checks: [{name, status, reason, fix}]}");
  cmd->add_option("--public-url", flags->public_url,
                  "The https:// URL of the TLS proxy in front (also DOCRUNCH_PUBLIC_URL)");
  cmd->add_option("--cacert", flags->ca_file, "CA certificate file to verify the proxy with");
  cmd->callback([&ctx, &action, flags] {
    action = [&ctx, flags]() -> Result<void> {
      auto code = Doctor(ctx, *flags);
      if (!code) return code.error();
      // The exit code is the verdict (0 pass, 1 warnings, 2 failures), so
      // the output must be out before exiting here.
      std::cout.flush();
      std::exit(*code);
    };
  });
}

}  // namespace docrunch::app
