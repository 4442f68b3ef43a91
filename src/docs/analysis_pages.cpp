#include "docs/analysis_pages.h"

#include <set>

#include "docs/markdown.h"

namespace docrunch::docs {
namespace {

using nlohmann::json;

bool IsRunId(const std::string& id) {
  if (id.size() != 19 || id.compare(0, 3, "wf-") != 0) return false;
  for (std::size_t i = 3; i < id.size(); ++i) {
    const char c = id[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

constexpr const char* kPublishedReports =
    "SELECT w.id, w.created_at, s.result FROM workflow_runs w JOIN workflow_steps s ON "
    "s.run_id = w.id WHERE w.workflow = 'analysis' AND s.name = 'analyze' AND "
    "s.status = 'completed'";

std::string Code(const std::string& text) {
  return InlineCode(text);
}

}  // namespace

Result<std::string> AnalysisPagePath(const std::string& run_id) {
  if (!IsRunId(run_id)) {
    return MakeError(ErrorCode::kInvalidParams,
                     "entity id: '" + run_id.substr(0, 40) + "' is not a workflow run id");
  }
  return "reports/analysis-" + run_id + ".md";
}

std::string RenderAnalysisPage(const std::string& run_id, const std::string& created_at,
                               const json& report) {
  std::string out = "# Analysis " + run_id + "\n\n";
  out += "Started " + created_at +
         " by the `analysis` workflow: " + std::to_string(report.value("files", 0)) + " files, " +
         std::to_string(report.value("relationships", 0)) + " relationships.\n\n";
  const json cycles = report.value("cycles", json::array());
  out += "## Import cycles (" + std::to_string(cycles.size()) + ")\n\n";
  if (cycles.empty()) out += "None.\n";
  for (const auto& cycle : cycles) {
    std::string line = "-";
    for (const auto& path : cycle) line += " " + Code(path.get<std::string>());
    out += line + "\n";
  }
  const json impact = report.value("impact", json::array());
  out += "\n## Impact of a change\n\n";
  if (impact.empty()) out += "No file was analyzed.\n";
  if (!impact.empty()) {
    out += "| file | direct dependents | files affected | symbols affected |\n";
    out += "| --- | ---: | ---: | ---: |\n";
  }
  for (const auto& item : impact) {
    out += "| " + InlineCode(item.value("path", ""), /*table_cell=*/true) + " | " +
           std::to_string(item.value("dependents", 0)) + " | " +
           std::to_string(item.value("files", json::array()).size()) + " | " +
           std::to_string(item.value("symbols", 0)) + " |\n";
  }
  for (const auto& item : impact) {
    const json files = item.value("files", json::array());
    if (files.empty()) continue;
    out += "\n### " + Code(item.value("path", "")) + "\n\n";
    for (const auto& f : files) out += "- " + Code(f.get<std::string>()) + "\n";
  }
  return out;
}

Result<void> ApplyAnalysisPage(store::Reader& db, DocWriter& writer, std::int64_t repository_id,
                               const std::string& run_id) {
  auto path = AnalysisPagePath(run_id);
  if (!path) return path.error();
  auto rows = db.Query(std::string(kPublishedReports) + " AND w.id = $1", {run_id});
  if (!rows) return rows.error();
  if (rows->empty()) return writer.Remove(*path);
  json report = json::parse(rows->Text(0, "result").value_or("{}"), nullptr, false);
  if (!report.is_object() || report.value("repository_id", std::int64_t{0}) != repository_id) {
    return Ok();  // another repository's report
  }
  auto written = writer.Write(
      *path, RenderAnalysisPage(run_id, rows->Text(0, "created_at").value_or(""), report));
  if (!written) return written.error();
  return Ok();
}

Result<void> RebuildAnalysisPages(store::Reader& db, DocWriter& writer, std::int64_t repository_id,
                                  std::set<std::string>& wanted) {
  // Reports whose publishing finished (a run still publishing renders its
  // page through its own event).
  auto rows = db.Query(std::string(kPublishedReports) +
                       " AND EXISTS (SELECT 1 FROM workflow_steps p WHERE p.run_id = w.id AND "
                       "p.name = 'publish' AND p.status = 'completed') ORDER BY w.id");
  if (!rows) return rows.error();
  for (std::size_t i = 0; i < rows->size(); ++i) {
    const std::string id = rows->Text(i, "id").value_or("");
    json report = json::parse(rows->Text(i, "result").value_or("{}"), nullptr, false);
    if (!report.is_object() || report.value("repository_id", std::int64_t{0}) != repository_id) {
      continue;
    }
    auto path = AnalysisPagePath(id);
    if (!path) continue;
    auto written = writer.Write(
        *path, RenderAnalysisPage(id, rows->Text(i, "created_at").value_or(""), report));
    if (!written) return written.error();
    wanted.insert(*path);
  }
  return Ok();
}

}  // namespace docrunch::docs
