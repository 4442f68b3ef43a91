// Metrics read from the database at scrape time (PRODUCT §17): outbox depth
// and lag per target, workflow runs by state, and whether the database
// could be read (docrunch_db_up). One snapshot of the database serves every
// family and is kept for a second, so a burst of scrapes reads the database
// once. (The fast queue may live in Redis: app/serve_command.cpp adds its
// depth, docrunch_jobs, from the queue itself.)
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "obs/metrics.h"
#include "store/store.h"

namespace docrunch::obs {

struct StoreMetricsOptions {
  std::int64_t repository_id = 0;
  std::vector<std::string> targets;  // the sync targets this deployment runs
  int report_sla_seconds = 60;
  int scan_sla_seconds = 300;
  std::chrono::milliseconds cache{1000};
};

// Adds the collectors to `registry` for as long as the returned object
// lives; `store` and `registry` must outlive it.
class StoreMetrics {
 public:
  StoreMetrics(Registry& registry, store::Store& store, StoreMetricsOptions options);
  ~StoreMetrics();
  StoreMetrics(const StoreMetrics&) = delete;
  StoreMetrics& operator=(const StoreMetrics&) = delete;

 private:
  struct State;
  Registry& registry_;
  std::shared_ptr<State> state_;
  std::vector<int> ids_;
};

}  // namespace docrunch::obs
