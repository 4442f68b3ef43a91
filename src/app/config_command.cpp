// docrunch config show|validate|set
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "app/commands.h"
#include "config/edit.h"
#include "config/show.h"
#include "config/task_rules.h"
#include "core/files.h"

namespace docrunch::app {
namespace {

Result<void> Show(AppContext& ctx, bool json) {
  auto loaded = ctx.Config();
  if (!loaded) return loaded.error();
  if (json) {
    Print(config::ConfigToJson(**loaded, ctx.env()).dump(2));
  } else {
    Print(config::ConfigToText(**loaded, ctx.env()));
  }
  return Ok();
}

Result<void> Validate(AppContext& ctx) {
  auto loaded = ctx.Config();
  if (!loaded) return loaded.error();
  // The task templates and review rules are part of the configuration too.
  auto rules = config::LoadTaskRules((*loaded)->file.parent_path());
  if (!rules) return rules.error();
  Print((*loaded)->file.string() + ": valid");
  return Ok();
}

// Edits the file's text with every KEY VALUE pair, validates the whole
// result as the loader would, and only then replaces the file (atomically):
// several settings that are only valid together (hosted mode and its MCP
// auth, say) change in one step, or none does.
Result<void> Set(AppContext& ctx, const std::vector<std::string>& pairs) {
  if (pairs.empty() || pairs.size() % 2 != 0) {
    return MakeError(ErrorCode::kUsage,
                     "config set takes KEY VALUE pairs; got " + std::to_string(pairs.size()) +
                         " argument(s)" +
                         (pairs.empty() ? std::string() : ": '" + pairs.back() + "' has no value"));
  }
  std::string explicit_path = ctx.options().config_path;
  if (explicit_path.empty() && ctx.env().count("DOCRUNCH_CONFIG")) {
    explicit_path = ctx.env().at("DOCRUNCH_CONFIG");
  }
  auto file = config::FindConfigFile(std::filesystem::current_path(), explicit_path);
  if (!file) return file.error();
  auto text = ReadFileText(*file);
  if (!text) return text.error();
  std::string edited = *text;
  std::string keys;
  for (std::size_t i = 0; i < pairs.size(); i += 2) {
    auto next = config::SetKeyInText(edited, pairs[i], pairs[i + 1]);
    if (!next) return next.error();
    edited = std::move(*next);
    keys += (keys.empty() ? "" : ", ") + pairs[i];
  }

  config::LoadRequest request{*file, edited, ctx.env(), {}};
  auto loaded = config::LoadConfig(request);
  if (!loaded) {
    // The value is not repeated: a refused value may be a secret (a URL with
    // a password, a key); the loader's own message masks what it shows.
    return MakeError(ErrorCode::kConfigInvalid,
                     "not changed: the new value" + std::string(pairs.size() > 2 ? "s" : "") +
                         " of " + keys + " would make the configuration invalid.\n" +
                         loaded.error().message);
  }
  // The file itself, through a symbolic link, keeping its permissions; a
  // read-only file stays as it is.
  std::error_code ec;
  const std::filesystem::path target = std::filesystem::canonical(*file, ec);
  if (ec)
    return MakeError(ErrorCode::kIo, "cannot resolve " + file->string() + ": " + ec.message());
  struct stat st {};
  if (::stat(target.c_str(), &st) != 0 || ::access(target.c_str(), W_OK) != 0) {
    return MakeError(ErrorCode::kIo, "cannot write " + target.string() + ": " +
                                         std::strerror(errno) + " (not changed)");
  }
  DOCRUNCH_TRY(WriteFileAtomic(target, edited, {.mode = st.st_mode & 07777u}));
  std::string out;
  for (std::size_t i = 0; i < pairs.size(); i += 2) {
    out += "set " + pairs[i] + " = " + pairs[i + 1] + " in " + file->string() + "\n";
  }
  Print(out);
  return Ok();
}

}  // namespace

void RegisterConfig(CLI::App& app, AppContext& ctx, Action& action) {
  CLI::App* cmd = app.add_subcommand("config", "Show, validate or change the configuration");
  cmd->require_subcommand(1);

  auto json = std::make_shared<bool>(false);
  CLI::App* show = cmd->add_subcommand("show", "Print the effective configuration, secrets masked");
  show->add_flag("--json", *json, "Print JSON");
  show->callback([&ctx, &action, json] { action = [&ctx, json] { return Show(ctx, *json); }; });

  CLI::App* validate = cmd->add_subcommand(
      "validate", "Check the configuration; exit 0 when valid, 2 with every problem otherwise");
  validate->callback([&ctx, &action] { action = [&ctx] { return Validate(ctx); }; });

  CLI::App* set = cmd->add_subcommand(
      "set",
      "Change settings in config.yaml: KEY VALUE [KEY VALUE ...] (up to 16 pairs), validated "
      "together (comments are kept), e.g. server.mcp.port 4000 security.mode hosted");
  // One single-valued positional per argument, hidden from --help: a list
  // option would have CLI11 split a YAML list value such as
  // "[index, markdown]" into several arguments.
  constexpr int kMaxArgs = 32;
  auto args = std::make_shared<std::vector<std::string>>(kMaxArgs);
  auto options = std::make_shared<std::vector<CLI::Option*>>();
  for (int i = 0; i < kMaxArgs; ++i) {
    options->push_back(set->add_option("arg" + std::to_string(i + 1), (*args)[i])->group(""));
  }
  set->callback([&ctx, &action, args, options] {
    std::vector<std::string> pairs;
    for (int i = 0; i < kMaxArgs; ++i) {
      if ((*options)[i]->count() > 0) pairs.push_back((*args)[i]);
    }
    action = [&ctx, pairs] { return Set(ctx, pairs); };
  });
}

}  // namespace docrunch::app
