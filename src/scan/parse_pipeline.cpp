#include "scan/parse_pipeline.h"

#include <algorithm>
#include <chrono>

#include "scan/source_file.h"

namespace docrunch::scan {

ParsePipeline::ParsePipeline(const ScanOptions& options,
                             const std::vector<const WalkedFile*>& files)
    : options_(options),
      files_(files),
      max_bytes_(options.walk.max_file_size_kb > 0
                     ? std::uint64_t(options.walk.max_file_size_kb) * 1024
                     : 0),
      out_(files.size()),
      ready_(files.size(), 0) {
  unsigned workers = options.walk.parallel_workers > 0
                         ? unsigned(options.walk.parallel_workers)
                         : std::max(1u, std::thread::hardware_concurrency());
  workers = std::min<unsigned>(workers, static_cast<unsigned>(files.size()));
  for (unsigned t = 0; t < workers; ++t) workers_.emplace_back([this] { Work(); });
}

ParsePipeline::~ParsePipeline() {
  if (!workers_.empty()) {
    Cancel();
    Finish();
  }
}

void ParsePipeline::Work() {
  for (;;) {
    std::size_t i;
    {
      std::lock_guard lock(mu_);
      if (cancelled_ || next_ >= files_.size()) return;
      i = next_++;
    }
    const WalkedFile& f = *files_[i];
    std::string content;
    SourceRead read = ReadAndCheck(options_.root / f.path, max_bytes_, &content);
    std::optional<FileRecord> record;
    if (read.status == SourceStatus::kOk) {
      Language language = RefineLanguage(f.language, f.path, content);
      record = FileRecord{f.path, static_cast<std::int64_t>(read.size), read.mtime_ns,
                          read.content_hash, options_.parse(language, content)};
      record->parsed.language = language;
    }
    std::lock_guard lock(mu_);
    if (!record) {
      // Changed or vanished since the walk: leave the stored copy alone.
      problems_.push_back({f.path, std::string(SourceStatusCode(read.status)), read.detail, 0});
    }
    out_[i] = std::move(record);
    ready_[i] = 1;
    ++done_;
    parsed_.notify_all();
  }
}

std::optional<FileRecord> ParsePipeline::Take(std::size_t i) {
  std::unique_lock lock(mu_);
  while (!ready_[i]) {
    if (options_.progress) {
      std::size_t done = done_;
      lock.unlock();
      options_.progress(done, files_.size());
      lock.lock();
      parsed_.wait_for(lock, std::chrono::milliseconds(100), [&] { return ready_[i] != 0; });
    } else {
      parsed_.wait(lock, [&] { return ready_[i] != 0; });
    }
  }
  return std::move(out_[i]);
}

void ParsePipeline::Cancel() {
  std::lock_guard lock(mu_);
  cancelled_ = true;
}

std::vector<FileProblem> ParsePipeline::Finish() {
  for (auto& t : workers_) t.join();
  workers_.clear();
  if (options_.progress && !cancelled_) options_.progress(files_.size(), files_.size());
  std::lock_guard lock(mu_);
  return std::move(problems_);
}

}  // namespace docrunch::scan
