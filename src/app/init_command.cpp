// docrunch init [PATH] [--template minimal|standard|full] [--force]
#include <spdlog/spdlog.h>

#include <filesystem>

#include "app/commands.h"
#include "config/templates.h"
#include "core/files.h"
#include "store/store.h"

namespace docrunch::app {
namespace {

namespace fs = std::filesystem;

struct InitOptions {
  std::string path = ".";
  std::string template_name = "standard";
  bool force = false;
};

Result<void> CheckTarget(const fs::path& dir, const std::vector<config::TemplateFile>& files,
                         bool force) {
  std::error_code ec;
  if (!fs::is_directory(dir.parent_path(), ec)) {
    return MakeError(ErrorCode::kUsage, dir.parent_path().string() + " is not a directory");
  }
  for (const auto& file : files) {
    const fs::path path = dir / file.name;
    if (!fs::exists(fs::symlink_status(path, ec))) continue;
    if (!force) {
      return MakeError(ErrorCode::kAlreadyExists,
                       path.string() + " already exists; use --force to overwrite");
    }
    // Found now, not after the files before it were replaced.
    if (!fs::is_regular_file(fs::symlink_status(path, ec))) {
      return MakeError(ErrorCode::kUsage,
                       path.string() + " is not a regular file; --force replaces files only");
    }
  }
  return Ok();
}

// Creates the project's SQLite database with the current schema.
Result<void> CreateDatabase(const fs::path& dir) {
  store::StoreOptions options;
  options.sqlite_path = (dir / "docrunch.db").string();
  auto store = store::OpenStore(options);
  if (!store) return store.error();
  auto status = (*store)->Migrate();
  if (!status) return status.error();
  return Ok();
}

Result<void> RunInit(const InitOptions& options) {
  auto kind = config::ParseInitTemplate(options.template_name);
  if (!kind) {
    return MakeError(ErrorCode::kUsage,
                     "--template must be minimal, standard, full or hosted, got '" +
                         options.template_name + "'");
  }
  fs::path root = fs::absolute(options.path).lexically_normal();
  if (root.filename().empty()) root = root.parent_path();
  fs::path dir = root / ".docrunch";
  auto files = config::InitFiles(*kind, root.filename().string());
  DOCRUNCH_TRY(CheckTarget(dir, files, options.force));

  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return MakeError(ErrorCode::kIo, "cannot create " + dir.string() + ": " + ec.message());
  }
  // The database first: one that cannot be opened (corrupt, say) stops init
  // before any file is written, and a second init is not told they exist.
  // A hosted project's database is PostgreSQL, reached once its variables
  // are set (`docrunch db migrate`).
  const bool hosted = *kind == config::InitTemplate::kHosted;
  if (!hosted) DOCRUNCH_TRY(CreateDatabase(dir));
  // Each file is written atomically; a failure stops before the next one,
  // so every file present is whole.
  for (const auto& file : files) DOCRUNCH_TRY(WriteFileAtomic(dir / file.name, file.content));
  Print("Initialized Docrunch in " + dir.string() + " (template " + options.template_name + ")");
  for (const auto& file : files) Print("  wrote " + (fs::path(".docrunch") / file.name).string());
  if (!hosted) {
    Print("  database .docrunch/docrunch.db (schema current)");
    return Ok();
  }
  Print(
      "Next: set DOCRUNCH_POSTGRES_URL, DOCRUNCH_REDIS_URL, DOCRUNCH_JWT_SECRET and "
      "DOCRUNCH_KMS_KEY, then run `docrunch db migrate` and `docrunch doctor --hosted`");
  return Ok();
}

}  // namespace

void RegisterInit(CLI::App& app, AppContext&, Action& action) {
  auto options = std::make_shared<InitOptions>();
  CLI::App* cmd = app.add_subcommand("init",
                                     "Create .docrunch/ with a commented config, task "
                                     "templates, review rules, ignore rules and CLI models");
  cmd->add_option("path", options->path, "Project folder (default: current folder)");
  cmd->add_option("--template", options->template_name,
                  "minimal, standard (default), full, or hosted (PostgreSQL, Redis, MCP over "
                  "HTTP and REST with auth, security.mode hosted)")
      ->check(CLI::IsMember({"minimal", "standard", "full", "hosted"}));
  cmd->add_flag("--force", options->force, "Overwrite existing files");
  cmd->callback([options, &action] { action = [options] { return RunInit(*options); }; });
}

}  // namespace docrunch::app
