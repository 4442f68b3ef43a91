#include "app/cli.h"

#include <spdlog/spdlog.h>

#include <iostream>

#include "app/commands.h"
#include "app/llm_commands.h"
#include "core/text.h"
#include "obs/logging.h"

#ifndef DOCRUNCH_VERSION
#define DOCRUNCH_VERSION "0.0.0"
#endif

namespace docrunch::app {
namespace {

bool Truthy(const std::string& value) {
  return !value.empty() && value != "0" && value != "false" && value != "no" && value != "off";
}

// The deepest subcommand the user got to before parsing failed.
CLI::App* DeepestCommand(CLI::App* app) {
  for (CLI::App* sub : app->get_subcommands()) return DeepestCommand(sub);
  return app;
}

// "did you mean" for an unexpected argument: a subcommand or option name of
// the command being parsed (and, for options, of its parents).
std::string Suggestion(CLI::App* command, const std::string& word) {
  std::vector<std::string> candidates;
  if (word.rfind("-", 0) == 0) {
    for (CLI::App* app = command; app; app = app->get_parent()) {
      for (const CLI::Option* opt : app->get_options()) {
        for (const auto& name : opt->get_lnames()) candidates.push_back("--" + name);
      }
    }
  } else {
    for (const CLI::App* sub : command->get_subcommands({})) candidates.push_back(sub->get_name());
  }
  std::string best = ClosestMatch(word, candidates);
  return best.empty() ? "" : "did you mean '" + best + "'?";
}

std::string CommandPath(CLI::App* command) {
  std::string path;
  for (CLI::App* app = command; app; app = app->get_parent()) {
    path = app->get_name() + (path.empty() ? "" : " " + path);
  }
  return path;
}

// The first word on the command line that names no subcommand where one
// was expected, e.g. "confg" in `docrunch confg show`.
std::string UnknownCommandWord(CLI::App& root, const std::vector<std::string>& args,
                               CLI::App*& where) {
  where = &root;
  for (const auto& arg : args) {
    if (arg.rfind("-", 0) == 0) continue;
    CLI::App* next = nullptr;
    for (CLI::App* sub : where->get_subcommands({})) {
      if (sub->get_name() == arg) next = sub;
    }
    if (!next) return arg;
    where = next;
  }
  return "";
}

int ReportParseError(CLI::App& root, const CLI::ParseError& e,
                     const std::vector<std::string>& args) {
  CLI::App* command = DeepestCommand(&root);
  std::cerr << "docrunch: error: " << e.what() << "\n";
  std::string hint;
  if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
    // "The following argument(s) was/were not expected: --jsn ..."
    std::string message = e.what();
    auto colon = message.rfind(": ");
    std::string first = colon == std::string::npos ? "" : Split(message.substr(colon + 2), ' ')[0];
    if (!first.empty()) hint = Suggestion(command, first);
  } else if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr) {
    CLI::App* where = nullptr;
    std::string word = UnknownCommandWord(root, args, where);
    if (!word.empty()) {
      hint = Suggestion(where, word);
      command = where;
    }
  }
  if (!hint.empty()) std::cerr << "docrunch: " << hint << "\n";
  std::cerr << "Run '" << CommandPath(command) << " --help' for usage.\n";
  return static_cast<int>(ExitCode::kUsage);
}

}  // namespace

void Print(const std::string& text) {
  std::cout << text;
  if (!text.empty() && text.back() != '\n') std::cout << '\n';
  std::cout.flush();
}

int RunCli(int argc, char** argv) {
  AppContext ctx(config::CurrentEnvironment());
  auto& options = ctx.options();
  CLI::App app{"Docrunch: the persistent project manager and memory for AI coding agents",
               "docrunch"};
  app.set_version_flag("--version", "docrunch " DOCRUNCH_VERSION);
  app.add_option("--config", options.config_path,
                 "Config file (default: .docrunch/config.yaml here or in a parent; "
                 "also DOCRUNCH_CONFIG)");
  app.add_flag("--debug", options.debug, "Debug logging on stderr (also DOCRUNCH_DEBUG=1)");
  app.add_option("--set", options.overrides,
                 "Override a setting for this run: KEY=VALUE, e.g. --set server.mcp.port=4000")
      ->type_name("KEY=VALUE");
  app.require_subcommand(1);
  app.fallthrough();

  Action action;
  RegisterInit(app, ctx, action);
  RegisterConfig(app, ctx, action);
  RegisterDb(app, ctx, action);
  RegisterScan(app, ctx, action);
  RegisterQuery(app, ctx, action);
  RegisterWatch(app, ctx, action);
  RegisterTask(app, ctx, action);
  RegisterSync(app, ctx, action);
  RegisterWorker(app, ctx, action);
  RegisterServe(app, ctx, action);
  RegisterToken(app, ctx, action);
  RegisterUser(app, ctx, action);
  RegisterJobs(app, ctx, action);
  RegisterWorkflows(app, ctx, action);
  RegisterCost(app, ctx, action);
  RegisterChat(app, ctx, action);
  RegisterMcp(app, ctx, action);
  RegisterCliProxy(app, ctx, action);
  RegisterProvider(app, ctx, action);
  RegisterSecrets(app, ctx, action);
  RegisterSnapshot(app, ctx, action);
  RegisterDoctor(app, ctx, action);

  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return ReportParseError(app, e, args);
  }

  auto env_debug = ctx.env().find("DOCRUNCH_DEBUG");
  if (env_debug != ctx.env().end() && Truthy(env_debug->second)) options.debug = true;
  obs::ConfigureLogging({options.debug ? "debug" : "warn", obs::LogFormat::kText});

  if (!action) return static_cast<int>(ExitCode::kUsage);
  Result<void> result = [&]() -> Result<void> {
    try {
      return action();
    } catch (const std::exception& e) {
      return MakeError(ErrorCode::kInternal, e.what());
    }
  }();
  if (result) return static_cast<int>(ExitCode::kOk);
  std::cerr << "docrunch: error: " << result.error().ToString() << "\n";
  return static_cast<int>(ExitCodeFor(result.error().code));
}

}  // namespace docrunch::app
