// Writes Markdown pages under the docs folder, and nowhere else.
//
// Every relative path is checked before use: no absolute paths, no "..",
// no NUL or backslash, only [A-Za-z0-9._/-] characters, so nothing a client
// sends can become a path outside the docs root. Pages are written
// atomically and only when their content changed, so a regeneration that
// produces the same bytes touches no file (deterministic output).
#pragma once

#include <filesystem>
#include <string>

#include "core/result.h"

namespace docrunch::docs {

class DocWriter {
 public:
  explicit DocWriter(std::filesystem::path root) : root_(std::move(root)) {}

  const std::filesystem::path& root() const { return root_; }

  // INVALID_PARAMS for a path that could leave the root.
  static Result<void> CheckRelativePath(const std::string& relative);

  // Writes root/relative (creating folders) unless it already holds
  // exactly `content`. Returns whether the file changed.
  Result<bool> Write(const std::string& relative, const std::string& content);

  // Removes root/relative if present.
  Result<void> Remove(const std::string& relative);

  // Deferred durability: Write no longer flushes each page; Sync() flushes
  // them all at once (one syncfs: the file system commits them together
  // instead of once per page). The sync worker syncs before committing a
  // batch, so a page its bookkeeping calls written is on disk. Off by
  // default.
  void set_deferred_sync(bool deferred) { deferred_sync_ = deferred; }
  // Flushes pages written since the last Sync (nothing if none).
  Result<void> Sync();

 private:
  std::filesystem::path root_;
  bool deferred_sync_ = false;
  bool unsynced_ = false;  // pages written since the last Sync
};

}  // namespace docrunch::docs
