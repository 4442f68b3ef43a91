// The Markdown documentation of a repository's code (PRODUCT §6):
// index.md, architecture.md, modules/<module>.md (one per directory, with a
// Mermaid dependency diagram and an exports table), functions/<module>.md,
// schemas/ and patterns/. Generated from the database alone, as the "markdown"
// projection; output is deterministic, and pages whose bytes would not
// change are not rewritten.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "docs/doc_writer.h"
#include "sync/projection.h"

namespace docrunch::docs {

// The pages every render writes, whatever the repository holds: one of
// them missing (deleted, or new in this version of Docrunch) means the
// pages must be rendered again.
inline constexpr const char* kIndexPage = "index.md";
inline constexpr const char* kArchitecturePage = "architecture.md";
inline constexpr const char* kPatternsPage = "patterns/index.md";
inline constexpr const char* kSchemasIndexPage = "schemas/index.md";
inline constexpr std::array<const char*, 4> kFixedCodePages = {kIndexPage, kArchitecturePage,
                                                               kPatternsPage, kSchemasIndexPage};

// The code pages a render of the repository's rows writes (the fixed pages,
// a module and a functions page per folder with files, a page per schema)
// that are not in `docs_root`: deleted by hand, or never written by a render
// that was killed. Paths relative to docs_root, sorted.
Result<std::vector<std::string>> MissingCodePages(store::Reader& db, std::int64_t repository_id,
                                                  const std::filesystem::path& docs_root);

class CodeDocsProjection final : public sync::Projection {
 public:
  CodeDocsProjection(DocWriter& writer, std::int64_t repository_id, std::string project_name)
      : writer_(writer), repository_id_(repository_id), project_name_(std::move(project_name)) {}

  std::string_view Target() const override { return "markdown"; }
  // Code pages are aggregates (a module page covers many files), so any
  // code event regenerates the pages; unchanged pages are left untouched.
  Result<void> Apply(const store::SyncEvent& event, store::Tx& db) override;
  Result<void> Delete(const sync::EntityRef& entity, store::Tx& db) override;
  sync::ProjectionHealth Health() override;
  Result<void> Rebuild(store::Tx& db) override;
  // Rebuild, reading through any reader (it writes nothing to the database).
  Result<void> Render(store::Reader& db);

  // Pages written (changed) by every Rebuild so far (a drain of many batches
  // renders once per batch), and pages in total at the last one.
  int pages_changed() const { return pages_changed_; }
  int pages_total() const { return pages_total_; }

 private:
  DocWriter& writer_;
  std::int64_t repository_id_;
  std::string project_name_;
  int pages_changed_ = 0;
  int pages_total_ = 0;
};

// The page name of a module (folder): "email/mime" -> "email.mime"; "" ->
// "_root". Safe as a file name, and one folder's only: a name that another
// folder could share ("a b" and "a-b", "a.b" and "a/b", a folder "_root")
// ends in a hash of the folder ("a-b-1c2d3e4f").
std::string ModuleSlug(const std::string& directory);

}  // namespace docrunch::docs
