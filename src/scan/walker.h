// The file walker: which files a scan looks at, with metadata and content hash.
//
//   WalkOptions options;
//   options.previous = last_scan;            // incremental: unchanged files are not read
//   auto walk = WalkRepository(root, options);
//   if (!walk) return walk.error();          // root missing / not a folder, bad ignore.yaml
//   for (const WalkedFile& f : walk->files) ...
//
// What is walked: every regular file under root that the ignore rules (see
// ignore_rules.h) keep, never anything inside a `.git` folder or file. Files
// whose language is unknown (LanguageForPath) or not in `languages` are
// counted, not returned. Binary files (a NUL in the first 8 KiB) are counted,
// not errors. Symlinks: a link to a file or folder inside root is followed
// (the file is reported under the link's path); a link leading outside root,
// a dangling link and a link to a folder already walked (a cycle, or a second
// route to the same folder) are skipped and counted. Real folders are walked
// before symlinked ones, so a folder reachable both ways is reported under
// its real path. Git would not follow links at all; ignore rules treat a
// symlinked folder as a folder.
//
// Per-file problems are recorded in `errors` and the walk goes on:
// SCAN_PERMISSION_DENIED, SCAN_FILE_TOO_LARGE, SCAN_INVALID_ENCODING,
// SCAN_READ_FAILED (any other I/O error, or a folder that cannot be listed).
// A file that disappears between listing and reading is not an error: it is
// counted in `vanished` and left out, so the scan treats it as deleted.
//
// The listing is iterative (no recursion, any depth); reading and hashing run
// on `parallel_workers` threads. Output is sorted by path and does not depend
// on the number of workers. WalkRepository is thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "scan/ignore_rules.h"
#include "scan/model.h"

namespace docrunch::scan {

// What the last scan stored for one file.
struct PreviousFile {
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::string content_hash;
};

struct WalkOptions {
  IgnoreOptions ignore;             // scanning.ignore and the .docrunch/ignore.yaml location
  std::vector<Language> languages;  // empty: every known language (scanning.languages)
  bool include_unknown = false;     // also return files of unknown language
  int max_file_size_kb = 500;       // larger: SCAN_FILE_TOO_LARGE; 0: no limit
  int parallel_workers = 0;         // reading/hashing threads; 0: one per hardware thread
  // path -> what the last scan saw. Equal size and mtime: the stored hash is
  // reused and the file is not opened.
  std::unordered_map<std::string, PreviousFile> previous;
  // Tests only: called on a worker thread just before a file is opened.
  std::function<void(const std::string& path)> before_read;
};

struct WalkedFile {
  std::string path;  // relative to root, '/'-separated
  Language language = Language::kUnknown;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;  // modification time, ns since the epoch
  std::string content_hash;   // XXH3-128, 32 lower-case hex digits
  bool hashed = true;         // false: reused from `previous` without reading
};

struct WalkError {
  std::string path;  // relative to root
  std::string code;  // SCAN_PERMISSION_DENIED, SCAN_FILE_TOO_LARGE, ...
  std::string message;
};

struct WalkCounts {
  std::uint64_t directories = 0;           // folders listed, root included
  std::uint64_t ignored = 0;               // files and folders excluded by ignore rules
  std::uint64_t unsupported_language = 0;  // unknown or not in `languages`
  std::uint64_t binary_skipped = 0;
  std::uint64_t symlinks_skipped = 0;  // outside root, dangling, or a folder already walked
  std::uint64_t special_skipped = 0;   // FIFOs, sockets, devices
  std::uint64_t vanished = 0;          // disappeared between listing and reading
  std::uint64_t hashed = 0;            // files read and hashed
  std::uint64_t reused = 0;            // hashes reused from `previous`
};

struct WalkResult {
  std::vector<WalkedFile> files;  // sorted by path
  std::vector<WalkError> errors;  // sorted by path
  WalkCounts counts;
};

// Whether a file at `path` passes the language filter of WalkOptions (the
// watcher applies the same rule).
bool IsWantedLanguage(std::string_view path, const std::vector<Language>& languages,
                      bool include_unknown);

// Walks `root`. Errors: INVALID_PARAMS when root does not exist or is not a
// folder (naming it); CONFIG_INVALID for a malformed ignore.yaml.
Result<WalkResult> WalkRepository(const std::filesystem::path& root,
                                  const WalkOptions& options = {});

}  // namespace docrunch::scan
