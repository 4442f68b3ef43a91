// docrunch provider add|update|list|remove|test, docrunch profile set|list|remove
//
// Keys come only from an environment variable (--api-key-env VAR) or from
// standard input (--api-key-stdin), never as a literal argument (which
// shell history and `ps` would show); --api-key VALUE is refused without
// echoing it. They are sealed with the KMS key (llm/secret_box.h) before
// they reach the database, and listed only masked.
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/llm_commands.h"
#include "core/text.h"
#include "cost/ledger.h"
#include "llm/cost_observer.h"
#include "llm/gateway.h"
#include "llm/provider_test.h"
#include "llm/providers.h"

namespace docrunch::app {
namespace {

using nlohmann::json;

std::string ProviderLine(const llm::ProviderInfo& p) {
  std::string line = p.name + "  " + std::string(llm::ProviderTypeName(p.type)) + "  " + p.model +
                     "  " + p.base_url;
  if (!p.cli_type.empty()) line += "  cli " + p.cli_type;
  line += "  key " + (p.api_key_hint.empty() ? std::string("none") : p.api_key_hint);
  if (!p.proxy_api_key_hint.empty()) line += "  proxy key " + p.proxy_api_key_hint;
  line += p.enabled ? "  enabled" : "  disabled";
  return line;
}

// The options a secret can come from, and the refused literal one.
struct SecretSource {
  std::string env;          // --X-env VAR
  bool from_stdin = false;  // --X-stdin
  std::string literal;      // --X VALUE: refused
};

void AddSecretOptions(CLI::App* cmd, const std::string& flag, SecretSource& source,
                      const std::string& what) {
  cmd->add_option("--" + flag + "-env", source.env,
                  "Read the " + what + " from this environment variable")
      ->type_name("VAR");
  cmd->add_flag("--" + flag + "-stdin", source.from_stdin,
                "Read the " + what + " from the first line of standard input");
  // Hidden: only there to refuse a literal key without printing it.
  cmd->add_option("--" + flag, source.literal, "")->group("");
}

// The secret of `source`, or nullopt when none was given.
Result<std::optional<llm::Secret>> ReadSecret(const SecretSource& source, const std::string& flag,
                                              const config::Environment& env) {
  if (!source.literal.empty()) {
    return MakeError(ErrorCode::kUsage,
                     "--" + flag +
                         ": literal keys are refused (shell history and process lists "
                         "would show them); use --" +
                         flag + "-env VAR or --" + flag + "-stdin");
  }
  if (!source.env.empty() && source.from_stdin) {
    return MakeError(ErrorCode::kUsage,
                     "--" + flag + "-env and --" + flag + "-stdin: give only one of them");
  }
  if (!source.env.empty()) {
    auto it = env.find(source.env);
    if (it == env.end() || it->second.empty()) {
      return MakeError(ErrorCode::kUsage, "--" + flag + "-env: environment variable " + source.env +
                                              " is not set or empty");
    }
    return std::optional<llm::Secret>(llm::Secret(it->second));
  }
  if (source.from_stdin) {
    std::string line;
    std::getline(std::cin, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      return MakeError(ErrorCode::kUsage, "--" + flag + "-stdin: nothing on standard input");
    }
    llm::Secret secret(line);
    llm::WipeString(line);
    return std::optional<llm::Secret>(std::move(secret));
  }
  return std::optional<llm::Secret>();
}

struct ProviderArgs {
  std::string name, type, base_url, model, cli_type;
  SecretSource api_key, proxy_api_key;
  bool disabled = false, enable = false, disable = false;
  bool clear_api_key = false, clear_proxy_api_key = false;
};

void AddProviderOptions(CLI::App* cmd, ProviderArgs& a, bool adding) {
  cmd->add_option("name", a.name, "The provider's name (letters, digits, . _ -)")->required();
  auto* type = cmd->add_option("--type", a.type, "One of " + llm::ProviderTypeList());
  if (adding) type->required();
  cmd->add_option("--base-url", a.base_url,
                  "API base URL (default per type; required for openai-compatible and "
                  "cli_bridge)");
  cmd->add_option("--model", a.model, "Model id, e.g. gpt-4o-mini");
  cmd->add_option("--cli-type", a.cli_type, "cli_bridge: gemini, claude or codex");
  AddSecretOptions(cmd, "api-key", a.api_key, "API key");
  AddSecretOptions(cmd, "proxy-api-key", a.proxy_api_key, "CLI proxy's X-API-Key (cli_bridge)");
  if (adding) {
    cmd->add_flag("--disabled", a.disabled, "Add it disabled");
  } else {
    cmd->add_flag("--enable", a.enable, "Enable it");
    cmd->add_flag("--disable", a.disable, "Disable it");
    cmd->add_flag("--clear-api-key", a.clear_api_key, "Forget its API key");
    cmd->add_flag("--clear-proxy-api-key", a.clear_proxy_api_key, "Forget its proxy key");
  }
}

Result<llm::ProviderChanges> ChangesOf(const ProviderArgs& a, AppContext& ctx, bool adding,
                                       const CLI::App* cmd) {
  llm::ProviderChanges c;
  if (cmd->count("--type")) c.type = a.type;
  if (cmd->count("--base-url")) c.base_url = a.base_url;
  if (cmd->count("--model")) c.model = a.model;
  if (cmd->count("--cli-type")) c.cli_type = a.cli_type;
  if (a.api_key.from_stdin && a.proxy_api_key.from_stdin) {
    return MakeError(ErrorCode::kUsage,
                     "--api-key-stdin and --proxy-api-key-stdin: standard input holds one key");
  }
  auto key = ReadSecret(a.api_key, "api-key", ctx.env());
  if (!key) return key.error();
  if (*key) c.api_key = std::move(**key);
  auto proxy = ReadSecret(a.proxy_api_key, "proxy-api-key", ctx.env());
  if (!proxy) return proxy.error();
  if (*proxy) c.proxy_api_key = std::move(**proxy);
  if (adding) {
    c.enabled = !a.disabled;
  } else {
    if (a.enable && a.disable) return MakeError(ErrorCode::kUsage, "--enable and --disable");
    if (a.enable) c.enabled = true;
    if (a.disable) c.enabled = false;
    if (a.clear_api_key && c.api_key) {
      return MakeError(ErrorCode::kUsage, "--clear-api-key and a new API key");
    }
    c.clear_api_key = a.clear_api_key;
    c.clear_proxy_api_key = a.clear_proxy_api_key;
  }
  return c;
}

// Adds or updates; the secret box is opened only when a secret is given.
Result<llm::ProviderInfo> WriteProvider(AppContext& ctx, const ProviderArgs& a, bool adding,
                                        const CLI::App* cmd) {
  auto store = ctx.Store();
  if (!store) return store.error();
  auto changes = ChangesOf(a, ctx, adding, cmd);
  if (!changes) return changes.error();
  std::unique_ptr<llm::SecretBox> box;
  if (changes->api_key || changes->proxy_api_key) {
    auto secrets = OpenSecrets(ctx);
    if (!secrets) return secrets.error();
    box = std::move(*secrets);
  }
  return adding ? llm::AddProvider(**store, a.name, std::move(*changes), box.get(),
                                   KmsKeyVariable(ctx))
                : llm::UpdateProvider(**store, a.name, std::move(*changes), box.get(),
                                      KmsKeyVariable(ctx));
}

void RegisterProviderWrites(CLI::App* provider, AppContext& ctx, Action& action) {
  for (bool adding : {true, false}) {
    auto args = std::make_shared<ProviderArgs>();
    CLI::App* cmd = provider->add_subcommand(
        adding ? "add" : "update",
        adding ? "Add a provider (its keys are sealed with the KMS key)" : "Change a provider");
    AddProviderOptions(cmd, *args, adding);
    cmd->callback([&ctx, &action, args, adding, cmd] {
      action = [&ctx, args, adding, cmd]() -> Result<void> {
        auto written = WriteProvider(ctx, *args, adding, cmd);
        if (!written) return written.error();
        Print(std::string(adding ? "added " : "updated ") + ProviderLine(*written));
        return Ok();
      };
    });
  }
}

void RegisterProviderReads(CLI::App* provider, AppContext& ctx, Action& action) {
  auto json_out = std::make_shared<bool>(false);
  CLI::App* list = provider->add_subcommand("list", "Every provider (keys masked)");
  list->add_flag("--json", *json_out, "JSON output");
  list->callback([&ctx, &action, json_out] {
    action = [&ctx, json_out]() -> Result<void> {
      auto store = ctx.Store();
      if (!store) return store.error();
      auto providers = llm::ListProviders(**store);
      if (!providers) return providers.error();
      json out = json::array();
      std::string text = providers->empty() ? "no providers" : "";
      for (const auto& p : *providers) {
        out.push_back(llm::ToJson(p));
        text += ProviderLine(p) + "\n";
      }
      Print(*json_out ? out.dump(2) : text);
      return Ok();
    };
  });

  auto remove_name = std::make_shared<std::string>();
  CLI::App* remove = provider->add_subcommand("remove", "Remove a provider and its sealed keys");
  remove->add_option("name", *remove_name, "The provider's name")->required();
  remove->callback([&ctx, &action, remove_name] {
    action = [&ctx, remove_name]() -> Result<void> {
      auto store = ctx.Store();
      if (!store) return store.error();
      DOCRUNCH_TRY(llm::RemoveProvider(**store, *remove_name));
      Print("removed " + *remove_name);
      return Ok();
    };
  });
}

struct TestArgs {
  std::string name;
  std::string prompt = llm::ProviderTestOptions().prompt;
  int timeout_seconds = 60;
  bool json_out = false;
};

void RegisterProviderTest(CLI::App* provider, AppContext& ctx, Action& action) {
  auto args = std::make_shared<TestArgs>();
  CLI::App* test = provider->add_subcommand(
      "test", "Make one real, minimal call; print the latency and the answer or the error");
  test->add_option("name", args->name, "The provider's name")->required();
  test->add_option("--prompt", args->prompt, "The prompt to send");
  test->add_option("--timeout", args->timeout_seconds, "Seconds to wait")
      ->check(CLI::Range(1, 600));
  test->add_flag("--json", args->json_out, "JSON output");
  test->callback([&ctx, &action, args] {
    action = [&ctx, args]() -> Result<void> {
      auto store = ctx.Store();
      if (!store) return store.error();
      auto provider = llm::GetProvider(**store, args->name);
      if (!provider) return provider.error();
      std::unique_ptr<llm::SecretBox> box;
      if (llm::NeedsSecrets(*provider)) {
        auto secrets = OpenSecrets(ctx);
        if (!secrets) return secrets.error();
        box = std::move(*secrets);
      }
      // Recorded in llm_calls and held to the budgets like every call.
      auto loaded = ctx.Config();
      if (!loaded) return loaded.error();
      cost::Ledger ledger(**store, ctx.clock(), cost::LedgerOptionsFromConfig((*loaded)->config));
      llm::CostObserver costs(ledger);
      llm::Gateway gateway(**store, box.get(), &costs);
      auto answer = llm::TestProvider(gateway, args->name,
                                      {args->prompt, std::chrono::seconds(args->timeout_seconds)});
      if (!answer) {
        if (args->json_out) {
          Print(json{
              {"ok", false},
              {"provider", args->name},
              {"error",
               {{"code", ErrorCodeName(answer.error().code)}, {"message", answer.error().message}}}}
                    .dump(2));
        }
        return answer.error();
      }
      if (args->json_out) {
        Print(json{{"ok", true},
                   {"provider", args->name},
                   {"model", answer->model},
                   {"latency_ms", answer->latency.count()},
                   {"answer", answer->text},
                   {"usage",
                    {{"input_tokens", answer->usage.input_tokens},
                     {"output_tokens", answer->usage.output_tokens}}}}
                  .dump(2));
      } else {
        Print("ok " + args->name + " (" + answer->model + ") in " +
              std::to_string(answer->latency.count()) + " ms, " +
              std::to_string(answer->usage.input_tokens) + " tokens in, " +
              std::to_string(answer->usage.output_tokens) + " out: " + answer->text);
      }
      return Ok();
    };
  });
}

// ---- profiles ----

struct ProfileArgs {
  std::string role, provider, model, system_prompt, system_prompt_file;
  double temperature = 0;
  int max_tokens = 0;
  bool clear_temperature = false, clear_max_tokens = false;
};

Result<llm::ProfileChanges> ProfileChangesOf(const ProfileArgs& a, const CLI::App* cmd) {
  llm::ProfileChanges c;
  if (cmd->count("--provider")) c.provider = a.provider;
  if (cmd->count("--model")) c.model = a.model;
  if (cmd->count("--temperature")) c.temperature = a.temperature;
  if (cmd->count("--max-tokens")) c.max_tokens = a.max_tokens;
  if (cmd->count("--system-prompt") && cmd->count("--system-prompt-file")) {
    return MakeError(ErrorCode::kUsage, "--system-prompt and --system-prompt-file: give one");
  }
  if (cmd->count("--system-prompt")) c.system_prompt = a.system_prompt;
  if (cmd->count("--system-prompt-file")) {
    std::ifstream in(a.system_prompt_file, std::ios::binary);
    if (!in) {
      return MakeError(ErrorCode::kIo,
                       "--system-prompt-file: cannot read '" + a.system_prompt_file + "'");
    }
    std::ostringstream text;
    text << in.rdbuf();
    c.system_prompt = text.str();
  }
  c.clear_temperature = a.clear_temperature;
  c.clear_max_tokens = a.clear_max_tokens;
  return c;
}

void RegisterProfile(CLI::App& app, AppContext& ctx, Action& action) {
  CLI::App* profile = app.add_subcommand("profile", "Specialist profiles: role -> provider, model");
  profile->require_subcommand(1);

  auto args = std::make_shared<ProfileArgs>();
  std::vector<std::string> roles(std::begin(llm::kProfileRoles), std::end(llm::kProfileRoles));
  CLI::App* set = profile->add_subcommand("set", "Create or change the profile of a role");
  set->add_option("role", args->role, Join(roles, ", "))->required();
  set->add_option("--provider", args->provider, "The provider's name");
  set->add_option("--model", args->model, "Model id (\"\": the provider's)");
  set->add_option("--temperature", args->temperature, "0 to 2");
  set->add_option("--system-prompt", args->system_prompt, "The system prompt");
  set->add_option("--system-prompt-file", args->system_prompt_file, "Read it from a file");
  set->add_option("--max-tokens", args->max_tokens, "Most tokens per answer");
  set->add_flag("--clear-temperature", args->clear_temperature, "Use the provider's default");
  set->add_flag("--clear-max-tokens", args->clear_max_tokens, "Use the default");
  set->callback([&ctx, &action, args, set] {
    action = [&ctx, args, set]() -> Result<void> {
      auto store = ctx.Store();
      if (!store) return store.error();
      auto changes = ProfileChangesOf(*args, set);
      if (!changes) return changes.error();
      auto written = llm::SetProfile(**store, args->role, *changes);
      if (!written) return written.error();
      Print("profile " + written->role + " -> " + written->provider +
            (written->model.empty() ? "" : " (" + written->model + ")"));
      return Ok();
    };
  });

  auto json_out = std::make_shared<bool>(false);
  CLI::App* list = profile->add_subcommand("list", "Every profile");
  list->add_flag("--json", *json_out, "JSON output");
  list->callback([&ctx, &action, json_out] {
    action = [&ctx, json_out]() -> Result<void> {
      auto store = ctx.Store();
      if (!store) return store.error();
      auto profiles = llm::ListProfiles(**store);
      if (!profiles) return profiles.error();
      json out = json::array();
      std::string text = profiles->empty() ? "no profiles" : "";
      for (const auto& p : *profiles) {
        out.push_back(llm::ToJson(p));
        text += p.role + "  " + p.provider + "  " + (p.model.empty() ? "-" : p.model) +
                "  temperature " + (p.temperature ? std::to_string(*p.temperature) : "-") +
                "  max tokens " + (p.max_tokens ? std::to_string(*p.max_tokens) : "-") + "\n";
      }
      Print(*json_out ? out.dump(2) : text);
      return Ok();
    };
  });

  auto remove_role = std::make_shared<std::string>();
  CLI::App* remove = profile->add_subcommand("remove", "Remove the profile of a role");
  remove->add_option("role", *remove_role, "The role")->required();
  remove->callback([&ctx, &action, remove_role] {
    action = [&ctx, remove_role]() -> Result<void> {
      auto store = ctx.Store();
      if (!store) return store.error();
      DOCRUNCH_TRY(llm::RemoveProfile(**store, *remove_role));
      Print("removed profile " + *remove_role);
      return Ok();
    };
  });
}

}  // namespace

void RegisterProvider(CLI::App& app, AppContext& ctx, Action& action) {
  CLI::App* provider = app.add_subcommand("provider", "LLM providers (keys sealed at rest)");
  provider->require_subcommand(1);
  RegisterProviderWrites(provider, ctx, action);
  RegisterProviderReads(provider, ctx, action);
  RegisterProviderTest(provider, ctx, action);
  RegisterProfile(app, ctx, action);
}

}  // namespace docrunch::app
