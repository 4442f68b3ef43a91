#include "app/builtin_workflows.h"

#include <memory>

#include "app/scan_runner.h"
#include "app/sync_runner.h"
#include "docs/doc_writer.h"
#include "jobs/demo_workflow.h"
#include "scan/parser/parser.h"
#include "scan/scan_steps.h"

namespace docrunch::app {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

Error BadInput(const std::string& field, const std::string& why) {
  return MakeError(ErrorCode::kInvalidParams, "input." + field + ": " + why);
}

// The repository's pending outbox events applied to every configured
// target, here and now; a target still behind afterwards (a failing
// Markdown folder, an index that cannot be written) is this step's error,
// so the step retries and, out of attempts, the scan is undone.
Result<json> SyncRepository(store::Store& store, const config::Config& config,
                            const RepoScanInput& in, std::int64_t repository_id) {
  SyncSetup setup{repository_id, in.docs, in.name, /*repair_docs=*/true};
  auto drained = DrainSync(store, config, setup);
  if (!drained) return drained.error();
  if (!drained->markdown_error.empty()) {
    return MakeError(ErrorCode::kInternal, "markdown: " + drained->markdown_error);
  }
  if (drained->stats.failed > 0) {
    return MakeError(ErrorCode::kInternal,
                     std::to_string(drained->stats.failed) +
                         " derived-store updates failed (see `docrunch sync status`)");
  }
  json times = json::object();
  for (const auto& [target, spent] : drained->stats.target_time) times[target] = spent.count();
  return json{{"events", drained->stats.events},
              {"applied", drained->stats.applied},
              {"pages_changed", drained->pages_changed},
              {"pages_total", drained->pages_total},
              {"target_ms", times}};
}

}  // namespace

jobs::WorkflowFn RepoScanWorkflow(store::Store& store, const config::Config& config,
                                  const fs::path& project_root) {
  auto parser = std::make_shared<scan::Parser>();
  return [&store, &config, &project_root, parser](jobs::WorkflowContext& ctx) -> Result<json> {
    auto in = ParseRepoScanInput(ctx.input(), config, project_root);
    if (!in) return in.error();
    scan::ScanOptions options;
    options.root = in->root;
    options.full = in->full;
    options.walk = WalkOptionsFor(config, in->root);
    options.parse = [parser](scan::Language language, std::string_view content) {
      auto parsed = parser->Parse(language, content);
      if (parsed) return std::move(*parsed);
      scan::ParsedFile failed;
      failed.language = language;
      failed.diagnostics.push_back({"PARSE_FAILED", parsed.error().message, 0});
      return failed;
    };

    // Every step may run again after a killed worker (its attempt is used
    // up); the scan's own errors are not transient, so few attempts.
    jobs::StepOptions again;
    again.max_attempts = 3;
    again.backoff = 1s;
    auto plan = ctx.Step(
        "walk",
        [&](jobs::StepCall&) -> Result<json> {
          std::error_code ec;
          if (!fs::is_directory(in->root, ec)) {
            return MakeError(ErrorCode::kInvalidParams, "repository path " + in->root.string() +
                                                            " does not exist or is not a folder");
          }
          // Refused before anything is written: another repository's pages live there.
          if (!in->docs.empty()) DOCRUNCH_TRY(docs::ClaimDocsFolder(in->docs, in->root));
          return scan::PlanStep(store, options);
        },
        again);
    if (!plan) return plan.error();
    const std::size_t files = plan->at("parse").size();
    std::vector<json> batches;
    for (std::size_t first = 0; first < files; first += scan::kParseBatch) {
      auto batch = ctx.Step(
          "parse-" + std::to_string(first / scan::kParseBatch + 1),
          [&](jobs::StepCall&) {
            return scan::ParseStep(options, *plan, first, scan::kParseBatch);
          },
          again);
      if (!batch) return batch.error();
      batches.push_back(std::move(*batch));
    }
    auto analysis = ctx.Step(
        "analyze",
        [&](jobs::StepCall&) { return scan::AnalyzeStep(store, options, *plan, batches); }, again);
    if (!analysis) return analysis.error();
    const std::int64_t repository_id = plan->at("repository_id").get<std::int64_t>();
    auto stored = ctx.TxStep(
        "store",
        [&](store::Tx& tx, jobs::StepCall&) {
          return scan::StoreStep(tx, *plan, batches, *analysis);
        },
        again,
        // Called after the workflow function returned: captures by value.
        [&store, &config, in = *in, repository_id](const json& result) -> Result<void> {
          DOCRUNCH_TRY(scan::UndoStoreStep(store, result));
          // The derived stores follow the restored rows when they can; when
          // they cannot (what failed the run), the events wait for a worker.
          (void)SyncRepository(store, config, in, repository_id);
          return Ok();
        });
    if (!stored) return stored.error();
    auto synced = ctx.Step(
        "index-markdown",
        [&](jobs::StepCall&) { return SyncRepository(store, config, *in, repository_id); }, again);
    if (!synced) return synced.error();
    return json{{"summary", stored->at("summary")}, {"sync", *synced}};
  };
}

json RepoScanInputJson(const RepoScanInput& input) {
  return {{"root", input.root.string()},
          {"docs", input.docs.string()},
          {"name", input.name},
          {"full", input.full}};
}

Result<RepoScanInput> ParseRepoScanInput(const json& input, const config::Config& config,
                                         const fs::path& project_root) {
  if (!input.is_object()) return BadInput("", "expected an object");
  for (const auto& [key, value] : input.items()) {
    if (key != "root" && key != "docs" && key != "name" && key != "full") {
      return BadInput(key, "unknown key (expected root, docs, name, full)");
    }
    if (key == "full" ? !value.is_boolean() : !value.is_string()) {
      return BadInput(key, key == "full" ? "expected true or false" : "expected a string");
    }
  }
  RepoScanInput in;
  in.root = input.value("root", project_root.string());
  if (in.root.empty() || !in.root.is_absolute()) {
    return BadInput("root", "expected an absolute path, got '" + in.root.string() + "'");
  }
  const fs::path default_docs = config.storage.docs_output.empty()
                                    ? fs::path()
                                    : ResolveAgainst(project_root, config.storage.docs_output);
  in.docs = input.value("docs", default_docs.string());
  if (!in.docs.empty() && !in.docs.is_absolute()) {
    return BadInput("docs", "expected an absolute path, got '" + in.docs.string() + "'");
  }
  std::string fallback =
      config.project.name.empty() ? in.root.filename().string() : config.project.name;
  in.name = input.value("name", fallback);
  in.full = input.value("full", false);
  return in;
}

void RegisterBuiltinWorkflows(jobs::DbWorkflowEngine& engine, store::Store& store,
                              const config::Config& config, const fs::path& project_root) {
  jobs::RegisterDemoWorkflow(engine);
  engine.Register("repo-scan", RepoScanWorkflow(store, config, project_root));
}

}  // namespace docrunch::app
