// walk_tool ROOT [--workers N] [--max-kb N] [--incremental] [--files] [--all]
//
// Walks ROOT with WalkRepository and prints a summary, one line per error
// ("error CODE PATH") and with --files one line per file ("file PATH HASH").
// --incremental walks a second time with the first result as `previous`;
// --all includes files of unknown language.
// Tests run it as an unprivileged user (root ignores file permissions); it
// also measures walk times by hand.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "scan/walker.h"

using docrunch::scan::PreviousFile;
using docrunch::scan::WalkOptions;
using docrunch::scan::WalkResult;

namespace {

void Print(const char* label, const WalkResult& r, double ms, bool files) {
  const auto& c = r.counts;
  std::printf(
      "%s files=%zu errors=%zu hashed=%llu reused=%llu dirs=%llu ignored=%llu unsupported=%llu "
      "binary=%llu symlinks_skipped=%llu vanished=%llu ms=%.1f\n",
      label, r.files.size(), r.errors.size(), (unsigned long long)c.hashed,
      (unsigned long long)c.reused, (unsigned long long)c.directories,
      (unsigned long long)c.ignored, (unsigned long long)c.unsupported_language,
      (unsigned long long)c.binary_skipped, (unsigned long long)c.symlinks_skipped,
      (unsigned long long)c.vanished, ms);
  for (const auto& e : r.errors) std::printf("error %s %s\n", e.code.c_str(), e.path.c_str());
  if (files) {
    for (const auto& f : r.files) {
      std::printf("file %s %s\n", f.path.c_str(), f.content_hash.c_str());
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: walk_tool ROOT [--workers N] [--max-kb N] [--incremental]\n");
    return 2;
  }
  WalkOptions options;
  bool incremental = false, files = false;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--workers" && i + 1 < argc) options.parallel_workers = std::atoi(argv[++i]);
    if (arg == "--max-kb" && i + 1 < argc) options.max_file_size_kb = std::atoi(argv[++i]);
    if (arg == "--incremental") incremental = true;
    if (arg == "--files") files = true;
    if (arg == "--all") options.include_unknown = true;
  }
  auto start = std::chrono::steady_clock::now();
  auto walk = docrunch::scan::WalkRepository(argv[1], options);
  std::chrono::duration<double, std::milli> elapsed = std::chrono::steady_clock::now() - start;
  if (!walk) {
    std::fprintf(stderr, "%s\n", walk.error().ToString().c_str());
    return 1;
  }
  Print("full", *walk, elapsed.count(), files);
  if (incremental) {
    for (const auto& f : walk->files) {
      options.previous[f.path] = PreviousFile{f.size, f.mtime_ns, f.content_hash};
    }
    start = std::chrono::steady_clock::now();
    auto again = docrunch::scan::WalkRepository(argv[1], options);
    elapsed = std::chrono::steady_clock::now() - start;
    if (!again) return 1;
    Print("incremental", *again, elapsed.count(), files);
  }
  return 0;
}
