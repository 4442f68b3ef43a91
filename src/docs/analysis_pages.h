// The published analysis reports: reports/analysis-<run>.md, one per
// completed MultiStepAnalysisWorkflow run ("analysis"). The report itself
// is the run's recorded `analyze` step result in the source of truth
// (workflow_steps); the run's publish step emits an outbox event (entity
// type "analysis", entity id the run id) and the Markdown target renders the
// page from the record. Deterministic: the same record gives the same bytes.
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "core/result.h"
#include "docs/doc_writer.h"
#include "store/store.h"

namespace docrunch::docs {

// "reports/analysis-wf-0123456789abcdef.md"; INVALID_PARAMS for an id that is
// not a workflow run id (wf-<16 hex>).
Result<std::string> AnalysisPagePath(const std::string& run_id);

// The page of a report: {repository_id, files, relationships, cycles: [[path...]...],
// impact: [{path, dependents, files: [...], symbols}...]}.
std::string RenderAnalysisPage(const std::string& run_id, const std::string& created_at,
                               const nlohmann::json& report);

// Writes the page of run `run_id` when its report is recorded for
// `repository_id` (nothing otherwise).
Result<void> ApplyAnalysisPage(store::Reader& db, DocWriter& writer, std::int64_t repository_id,
                               const std::string& run_id);

// Writes every published report page of the repository; adds their paths
// to `wanted`.
Result<void> RebuildAnalysisPages(store::Reader& db, DocWriter& writer, std::int64_t repository_id,
                                  std::set<std::string>& wanted);

}  // namespace docrunch::docs
