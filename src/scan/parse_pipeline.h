// Reads and parses the files of a scan on worker threads while the caller
// stores the ones already parsed, so the single database writer overlaps
// with parsing instead of waiting for all of it.
//
//   ParsePipeline pipeline(options, files);       // workers start at once
//   for (std::size_t i = 0; i < files.size(); ++i)
//     if (auto record = pipeline.Take(i)) Store(*record);
//   auto problems = pipeline.Finish();
//
// Files are handed out in input order whatever order they finish in, so what
// is stored (and the ids it gets) does not depend on the thread count.
// Thread-safety: Take, Cancel and Finish belong to the thread that made the
// pipeline; the workers only touch its internals under its mutex.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "scan/scan_service.h"
#include "scan/scan_store.h"

namespace docrunch::scan {

class ParsePipeline {
 public:
  // Starts options.walk.parallel_workers threads (0: one per hardware
  // thread, never more than there are files) over `files`, which must
  // outlive the pipeline. options.progress, if set, is called from Take
  // while it waits.
  ParsePipeline(const ScanOptions& options, const std::vector<const WalkedFile*>& files);
  // Cancels and joins the workers if Finish was not called.
  ~ParsePipeline();
  ParsePipeline(const ParsePipeline&) = delete;
  ParsePipeline& operator=(const ParsePipeline&) = delete;

  // The record of files[i], waiting until it is parsed; nullopt when the
  // file could not be read (changed or vanished since the walk: a problem
  // is recorded). Each index may be taken once.
  std::optional<FileRecord> Take(std::size_t i);

  // Makes the workers stop after the file each is on (the caller gave up).
  void Cancel();

  // Joins the workers; returns the files that could not be read, in the
  // order they were found.
  std::vector<FileProblem> Finish();

 private:
  void Work();

  const ScanOptions& options_;
  const std::vector<const WalkedFile*>& files_;
  std::uint64_t max_bytes_ = 0;
  std::mutex mu_;
  std::condition_variable parsed_;
  std::size_t next_ = 0;                        // GUARDED_BY(mu_): next file to claim
  std::size_t done_ = 0;                        // GUARDED_BY(mu_)
  bool cancelled_ = false;                      // GUARDED_BY(mu_)
  std::vector<std::optional<FileRecord>> out_;  // GUARDED_BY(mu_)
  std::vector<char> ready_;                     // GUARDED_BY(mu_)
  std::vector<FileProblem> problems_;           // GUARDED_BY(mu_)
  std::vector<std::thread> workers_;
};

}  // namespace docrunch::scan
