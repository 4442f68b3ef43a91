// Query traces (PRODUCT §17): every search through REST /search, MCP
// search_docs and `docrunch query` leaves a row in query_traces (schema
// version 10) saying what was asked, by whom, which engine answered, what
// came back and where the time went.
//
// Tracing must neither slow a search down nor fail it: TracedSearch times
// the search, hands the trace to a TraceLog and returns. The log writes
// from one background thread in group commits (as auth::AuditLog does):
// whatever was recorded while the previous transaction ran goes into the
// next one, and in the same transaction each repository is trimmed to its
// newest `keep_per_repository` traces. A failed write is logged and dropped;
// a log more than kMaxQueued traces behind drops new ones (counted).
// Commits are at least kCommitEvery apart (Flush and the destructor do not
// wait for that): a commit costs as much as tens of rows, and a writer woken
// for every trace wrote one or two at a time, which cost a search_docs call
// at 32 clients a quarter of its server CPU.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "search/search.h"
#include "store/store.h"

namespace docrunch::search {

struct QueryTrace {
  std::string id;  // "qt-" + 16 hex digits, assigned by TraceLog::Record when empty
  std::int64_t repository_id = 0;
  std::string query;   // TracedSearch keeps the first 1,000 bytes
  std::string scope;   // docs, reports, all
  std::string engine;  // index, fulltext; "" when the search failed before choosing
  int limit = 0;
  std::vector<std::string> result_ids;
  std::vector<std::pair<std::string, double>> stages_ms;  // SearchTimings::stages
  double total_ms = 0;
  std::string created_at;  // ISO-8601, set by Record when empty
  std::string caller;      // "rest:alice", "mcp:agent-1", "cli"
  std::string error;       // the search's error code, "" when it answered
  // The HTTP request it was made in (obs/request_id.h); Record takes the
  // thread's current one when empty; "" outside a request (the CLI).
  std::string request_id;
};

// {id, query, scope, engine, limit, result_ids, timings: {stage: ms,
// total: ms}, created_at, caller, error (null when none), request_id (null
// when none)}.
nlohmann::json ToJson(const QueryTrace& trace);

// Whether `id` has the shape of a trace id (checked before any lookup).
bool IsTraceId(const std::string& id);

class TraceLog {
 public:
  static constexpr std::size_t kMaxQueued = 10'000;
  static constexpr std::chrono::milliseconds kCommitEvery{10};

  // `store` and `clock` must outlive the log; nullptr: the system clock.
  TraceLog(store::Store& store, const Clock* clock = nullptr,
           std::size_t keep_per_repository = 10'000);
  // Writes what is still queued, then stops the writer.
  ~TraceLog();
  TraceLog(const TraceLog&) = delete;
  TraceLog& operator=(const TraceLog&) = delete;

  // Queues one trace (its id and created_at filled in when empty) and
  // returns its id at once.
  std::string Record(QueryTrace trace);
  // Returns when every trace recorded before the call is written or dropped.
  void Flush();
  // Called on the writer thread with each trace once its transaction
  // committed (a live stream publishes it); returns an id for
  // RemoveListener, which waits for a call in progress to end.
  int AddListener(std::function<void(const QueryTrace&)> listener);
  void RemoveListener(int id);
  // Traces dropped because the queue was full or the write failed.
  std::uint64_t dropped() const;

 private:
  void WriteLoop();
  bool WriteBatch(const std::vector<QueryTrace>& batch);

  store::Store& store_;
  const Clock& clock_;
  const std::size_t keep_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;     // the writer: traces queued, or stopping
  std::condition_variable written_;  // Flush: a batch finished
  std::vector<QueryTrace> queue_;    // GUARDED_BY(mutex_)
  std::uint64_t recorded_ = 0;       // GUARDED_BY(mutex_)
  std::uint64_t finished_ = 0;       // GUARDED_BY(mutex_)
  std::uint64_t dropped_ = 0;        // GUARDED_BY(mutex_)
  bool stopping_ = false;            // GUARDED_BY(mutex_)
  int flushing_ = 0;                 // GUARDED_BY(mutex_); Flush calls waiting
  std::mutex listeners_mutex_;       // held while listeners run
  std::map<int, std::function<void(const QueryTrace&)>> listeners_;  // GUARDED_BY(listeners_mutex_)
  int next_listener_ = 1;                                            // GUARDED_BY(listeners_mutex_)
  std::thread writer_;  // last: starts once the rest exists
};

// Search, timed, with its trace recorded in `log` (when not null) as
// `caller`; `trace_id` (when given) receives the trace's id ("" without a
// log). The search's answer is returned unchanged, errors included.
Result<std::vector<SearchResult>> TracedSearch(store::Reader& db, std::int64_t repository_id,
                                               const std::string& query, int limit, Scope scope,
                                               const SearchOptions& options, TraceLog* log,
                                               const std::string& caller,
                                               std::string* trace_id = nullptr);

// "docs", "reports", "all".
std::string ScopeName(Scope scope);

// One trace of the repository; nullopt when there is none with that id.
Result<std::optional<QueryTrace>> LoadTrace(store::Reader& db, std::int64_t repository_id,
                                            const std::string& id);

struct QueryStats {
  std::string since;  // ISO-8601: the window's start
  std::int64_t count = 0;
  std::map<std::string, std::int64_t> per_engine;
  double p50_ms = 0, p95_ms = 0, max_ms = 0;                      // of total_ms
  std::vector<std::pair<std::string, std::int64_t>> top_queries;  // most asked first, at most `top`
};

// The repository's traces created at or after `since` (ISO-8601).
Result<QueryStats> LoadQueryStats(store::Reader& db, std::int64_t repository_id,
                                  const std::string& since, int top = 10);
nlohmann::json ToJson(const QueryStats& stats);

}  // namespace docrunch::search
