// `docrunch cli-proxy`: the host-side CLI Bridge proxy (PRODUCT §14). It
// runs inside a project (settings from cli_proxy.*, the model registry from
// cli_proxy.models_file) or anywhere else with the defaults and the flags.
#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <iostream>
#include <memory>

#include "app/commands.h"
#include "cli_bridge/bridge.h"
#include "cli_bridge/proxy_server.h"
#include "config/values.h"

namespace docrunch::app {
namespace {

namespace fs = std::filesystem;

std::atomic<bool> g_stop{false};

extern "C" void OnStopProxySignal(int) {
  g_stop = true;
}

struct ProxyFlags {
  std::string host;
  int port = -1;  // -1: cli_proxy.port; 0: any free port
  std::string api_key_env;
  int max_concurrent = 0;  // 0: cli_proxy.max_concurrent
  std::string models;
};

// The configuration of the project around us, or the defaults outside one.
Result<std::pair<config::CliProxyConfig, fs::path>> ProxySettings(AppContext& ctx) {
  auto loaded = ctx.Config();
  if (loaded) return std::pair{(*loaded)->config.cli_proxy, (*loaded)->project_root};
  if (loaded.error().code != ErrorCode::kConfigNotFound) return loaded.error();
  if (!ctx.options().config_path.empty()) return loaded.error();
  return std::pair{config::CliProxyConfig{}, fs::current_path()};
}

// The CLIs' environment: ours without the proxy's own key.
std::vector<std::string> ChildEnvironment(const config::Environment& env,
                                          const std::string& key_variable) {
  std::vector<std::string> out;
  for (const auto& [name, value] : env) {
    if (name != key_variable) out.push_back(name + "=" + value);
  }
  return out;
}

Result<void> RunProxy(AppContext& ctx, const ProxyFlags& flags) {
  auto settings = ProxySettings(ctx);
  if (!settings) return settings.error();
  auto [c, root] = *settings;
  std::string key_variable = flags.api_key_env.empty() ? c.api_key_env : flags.api_key_env;
  if (std::string problem = config::CheckEnvName(key_variable); !problem.empty()) {
    return MakeError(ErrorCode::kUsage, "--api-key-env: " + problem);
  }
  std::string api_key;
  if (auto it = ctx.env().find(key_variable); it != ctx.env().end()) api_key = it->second;
  if (!flags.api_key_env.empty() && api_key.empty()) {
    return MakeError(ErrorCode::kUsage, "--api-key-env: environment variable " + key_variable +
                                            " is not set or empty");
  }
  fs::path models = flags.models.empty() ? root / c.models_file : fs::path(flags.models);
  auto registry = cli_bridge::LoadModelRegistry(models);
  if (!registry) return registry.error();

  cli_bridge::BridgeOptions bridge_options;
  bridge_options.env = ChildEnvironment(ctx.env(), key_variable);
  bridge_options.discovery = cli_bridge::DefaultDiscovery(ctx.env());
  bridge_options.discovery.env = bridge_options.env;
  bridge_options.max_output_bytes = static_cast<std::size_t>(c.max_output_kb) * 1024;
  bridge_options.max_prompt_bytes = static_cast<std::size_t>(c.max_request_kb) * 1024;
  bridge_options.default_timeout = c.default_timeout.value;
  bridge_options.max_timeout = c.max_timeout.value;
  cli_bridge::CliBridge bridge(std::move(bridge_options), std::move(*registry));

  cli_bridge::ProxyOptions options;
  options.host = flags.host.empty() ? c.host : flags.host;
  options.port = flags.port >= 0 ? flags.port : c.port;
  options.api_key = api_key;
  options.max_concurrent =
      static_cast<std::size_t>(flags.max_concurrent > 0 ? flags.max_concurrent : c.max_concurrent);
  options.max_request_bytes = static_cast<std::size_t>(c.max_request_kb) * 1024;
  auto listener = cli_bridge::ProxyListener(bridge, options);
  if (!listener) return listener.error();

  std::signal(SIGTERM, OnStopProxySignal);
  std::signal(SIGINT, OnStopProxySignal);
  std::signal(SIGPIPE, SIG_IGN);
  bool keyed = !api_key.empty();
  return http::Serve({*listener}, g_stop, [&](const http::Listener& l, int port) {
    // One write, so a reader of stderr never sees half of the line.
    std::string line = "docrunch: CLI proxy at http://" + l.host + ":" + std::to_string(port) +
                       " (models from " + models.string() + "; " +
                       (keyed ? "X-API-Key required, from " + key_variable
                              : std::string("no API key: loopback only")) +
                       ")\n";
    std::cerr << line << std::flush;
  });
}

}  // namespace

void RegisterCliProxy(CLI::App& app, AppContext& ctx, Action& action) {
  auto flags = std::make_shared<ProxyFlags>();
  CLI::App* cmd = app.add_subcommand(
      "cli-proxy",
      "Run agent CLIs (gemini, claude, codex) on this host for a Docrunch server: GET /health, "
      "POST /execute");
  cmd->add_option("--host", flags->host,
                  "Address to listen on (default cli_proxy.host, localhost)");
  cmd->add_option("--port", flags->port, "Port (default cli_proxy.port, 9999; 0: any free port)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--api-key-env", flags->api_key_env,
                  "Environment variable holding the X-API-Key clients must send "
                  "(default cli_proxy.api_key_env, CLI_PROXY_API_KEY; required beyond loopback)")
      ->type_name("VAR");
  cmd->add_option("--max-concurrent", flags->max_concurrent,
                  "CLI runs at once; more get 429 (default cli_proxy.max_concurrent, 4)")
      ->check(CLI::Range(1, 256));
  cmd->add_option("--models", flags->models,
                  "Model registry (default cli_proxy.models_file, .docrunch/cli_models.json)")
      ->type_name("PATH");
  cmd->callback([&ctx, &action, flags] {
    action = [&ctx, flags]() -> Result<void> { return RunProxy(ctx, *flags); };
  });
}

}  // namespace docrunch::app
