#include "sync/background_worker.h"

#include <spdlog/spdlog.h>

namespace docrunch::sync {

namespace {
std::vector<Projection*> Raw(const std::vector<std::unique_ptr<Projection>>& targets) {
  std::vector<Projection*> out;
  for (const auto& t : targets) out.push_back(t.get());
  return out;
}
}  // namespace

BackgroundWorker::BackgroundWorker(store::Store& store,
                                   std::vector<std::unique_ptr<Projection>> targets,
                                   WorkerOptions options, std::chrono::milliseconds poll)
    : targets_(std::move(targets)),
      worker_(store, Raw(targets_), std::move(options)),
      poll_(poll) {}

BackgroundWorker::~BackgroundWorker() {
  Stop();
}

void BackgroundWorker::Start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
}

void BackgroundWorker::Nudge() {
  {
    std::lock_guard lock(mutex_);
    nudged_ = true;
  }
  wake_.notify_one();
}

void BackgroundWorker::Stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void BackgroundWorker::Loop() {
  for (;;) {
    // One batch at a time, so a stop request waits for one batch at most.
    for (;;) {
      {
        std::lock_guard lock(mutex_);
        if (stop_) return;
        nudged_ = false;
      }
      auto batch = worker_.Drain(1);
      if (!batch) {
        spdlog::warn("sync: {}; trying again in {} ms", batch.error().ToString(), poll_.count());
        break;
      }
      if (batch->idle()) break;
    }
    ++passes_;
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, poll_, [this] { return stop_ || nudged_; });
    if (stop_) return;
  }
}

}  // namespace docrunch::sync
