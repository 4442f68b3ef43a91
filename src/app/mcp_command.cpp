// docrunch mcp install claude|gemini|codex [--name NAME] [--dry-run]
#include <filesystem>

#include "app/commands.h"

#include "mcp/install/client_config.h"

namespace docrunch::app {
namespace {

namespace install = mcp::install;

// The running binary, so the client starts the very docrunch that installed
// the entry, wherever its PATH points.
Result<std::filesystem::path> SelfPath() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot find this binary: " + ec.message());
  return self;
}

struct InstallFlags {
  std::string client;
  std::string name = "docrunch";
  bool dry_run = false;
  std::string url;  // a hosted server's /mcp; "" for this repository over stdio
  std::string token_env = "DOCRUNCH_AGENT_TOKEN";
};

Result<void> RunInstall(AppContext& ctx, const InstallFlags& flags) {
  auto client = install::ParseClient(flags.client);
  if (!client) return client.error();
  DOCRUNCH_TRY(install::ValidateServerName(flags.name));
  auto loaded = ctx.Config();
  if (!loaded) return loaded.error();
  auto self = SelfPath();
  if (!self) return self.error();
  auto file = install::ConfigPath(*client, (*loaded)->project_root, ctx.env());
  if (!file) return file.error();
  install::ServerEntry entry = install::DocrunchEntry(flags.name, *self, (*loaded)->file);
  if (!flags.url.empty()) {
    auto remote = install::RemoteEntry(flags.name, flags.url, flags.token_env);
    if (!remote) return remote.error();
    entry = std::move(*remote);
  }
  auto outcome = install::InstallServer(*client, *file, entry, flags.dry_run);
  if (!outcome) return outcome.error();
  using Change = install::InstallOutcome::Change;
  std::string verb = outcome->change == Change::kAdded     ? "added"
                     : outcome->change == Change::kUpdated ? "updated"
                                                           : "unchanged";
  if (flags.dry_run && outcome->change != Change::kUnchanged) {
    Print("would be " + verb + ": " + flags.name + " in " + file->string() +
          " (dry run; nothing written). The file would read:\n" + outcome->content);
  } else {
    Print(verb + ": " + flags.name + " in " + file->string());
  }
  return Ok();
}

}  // namespace

void RegisterMcp(CLI::App& app, AppContext& ctx, Action& action) {
  CLI::App* mcp = app.add_subcommand("mcp", "Connect MCP clients to this repository");
  mcp->require_subcommand(1);
  auto flags = std::make_shared<InstallFlags>();
  CLI::App* add = mcp->add_subcommand(
      "install",
      "Add or update this repository's Docrunch server in an MCP client's config: claude "
      "(.mcp.json), gemini (.gemini/settings.json), codex ($CODEX_HOME/config.toml)");
  add->add_option("client", flags->client, "claude, gemini or codex")
      ->required()
      ->check(CLI::IsMember({"claude", "gemini", "codex"}));
  add->add_option("--name", flags->name, "Server name in the client's config (default docrunch)");
  add->add_flag("--dry-run", flags->dry_run, "Show what would change; write nothing");
  add->add_option("--url", flags->url,
                  "A hosted Docrunch's MCP endpoint (https://HOST/mcp) instead of this "
                  "repository over stdio");
  add->add_option("--token-env", flags->token_env,
                  "With --url: the environment variable the client reads the agent token from "
                  "(default DOCRUNCH_AGENT_TOKEN; the token is never written)");
  add->callback([&ctx, &action, flags] {
    action = [&ctx, flags]() -> Result<void> { return RunInstall(ctx, *flags); };
  });
}

}  // namespace docrunch::app
