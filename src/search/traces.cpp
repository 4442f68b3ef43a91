#include "search/traces.h"

#include "obs/request_id.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <set>

#include "core/text.h"
#include "store/batch.h"

namespace docrunch::search {
namespace {

const Clock& SystemClockInstance() {
  static const SystemClock clock;
  return clock;
}

std::string NewTraceId() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t bits = random();
  std::string id = "qt-";
  for (int i = 0; i < 16; ++i, bits >>= 4) id += kHex[bits & 15];
  return id;
}

double Round3(double ms) {
  return std::round(ms * 1000) / 1000;
}

std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Nearest rank: the smallest value with at least p of them at or below it.
double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

// A query as a trace keeps it: at most kMaxQueryBytes, cut at a UTF-8
// character boundary (an agent may search with a whole file).
constexpr std::size_t kMaxQueryBytes = 1000;
std::string Preview(const std::string& query) {
  if (query.size() <= kMaxQueryBytes) return query;
  return query.substr(0, Utf8Prefix(query, kMaxQueryBytes));
}

}  // namespace

nlohmann::json ToJson(const QueryTrace& t) {
  nlohmann::json timings = nlohmann::json::object();
  for (const auto& [stage, ms] : t.stages_ms) timings[stage] = Round3(ms);
  timings["total"] = Round3(t.total_ms);
  return {{"id", t.id},
          {"query", t.query},
          {"scope", t.scope},
          {"engine", t.engine},
          {"limit", t.limit},
          {"result_ids", t.result_ids},
          {"timings", std::move(timings)},
          {"created_at", t.created_at},
          {"caller", t.caller},
          {"error", t.error.empty() ? nlohmann::json() : nlohmann::json(t.error)},
          {"request_id", t.request_id.empty() ? nlohmann::json() : nlohmann::json(t.request_id)}};
}

bool IsTraceId(const std::string& id) {
  return id.size() == 19 && id.rfind("qt-", 0) == 0 &&
         id.find_first_not_of("0123456789abcdef", 3) == std::string::npos;
}

std::string ScopeName(Scope scope) {
  switch (scope) {
    case Scope::kDocs:
      return "docs";
    case Scope::kReports:
      return "reports";
    case Scope::kAll:
      return "all";
  }
  return "all";
}

TraceLog::TraceLog(store::Store& store, const Clock* clock, std::size_t keep_per_repository,
                   std::chrono::milliseconds commit_every)
    : store_(store),
      clock_(clock ? *clock : SystemClockInstance()),
      keep_(std::max<std::size_t>(1, keep_per_repository)),
      commit_every_(commit_every),
      writer_([this] { WriteLoop(); }) {}

TraceLog::~TraceLog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  writer_.join();  // the loop drains the queue before it returns
}

std::string TraceLog::Record(QueryTrace trace) {
  if (trace.id.empty()) trace.id = NewTraceId();
  if (trace.created_at.empty()) trace.created_at = FormatIso8601(clock_.Now());
  if (trace.request_id.empty()) trace.request_id = obs::CurrentRequestId();
  std::string id = trace.id;
  {
    std::lock_guard lock(mutex_);
    ++recorded_;
    if (queue_.size() >= kMaxQueued) {
      ++dropped_;
      ++finished_;
      return id;
    }
    queue_.push_back(std::move(trace));
  }
  wake_.notify_one();
  return id;
}

void TraceLog::Flush() {
  std::unique_lock lock(mutex_);
  std::uint64_t target = recorded_;
  if (finished_ >= target) return;
  ++flushing_;
  wake_.notify_one();  // a writer waiting out commit_every_ commits now
  written_.wait(lock, [&] { return finished_ >= target; });
  --flushing_;
}

int TraceLog::AddListener(std::function<void(const QueryTrace&)> listener) {
  std::lock_guard lock(listeners_mutex_);
  listeners_[next_listener_] = std::move(listener);
  return next_listener_++;
}

void TraceLog::RemoveListener(int id) {
  std::lock_guard lock(listeners_mutex_);
  listeners_.erase(id);
}

std::uint64_t TraceLog::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

void TraceLog::WriteLoop() {
  std::vector<QueryTrace> batch;
  auto next_commit = std::chrono::steady_clock::now();
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      // What arrives until the next commit is due joins this one.
      wake_.wait_until(lock, next_commit, [this] { return stopping_ || flushing_ > 0; });
      if (queue_.empty()) return;  // stopping, and nothing left
      batch.swap(queue_);
    }
    bool written = WriteBatch(batch);
    if (written) {
      std::lock_guard lock(listeners_mutex_);
      for (const auto& trace : batch) {
        for (const auto& [id, listener] : listeners_) listener(trace);
      }
    }
    {
      std::lock_guard lock(mutex_);
      finished_ += batch.size();
      if (!written) dropped_ += batch.size();
    }
    written_.notify_all();
    batch.clear();
    next_commit = std::chrono::steady_clock::now() + commit_every_;
  }
}

bool TraceLog::WriteBatch(const std::vector<QueryTrace>& batch) {
  std::vector<store::Params> rows;
  std::set<std::int64_t> repositories;
  for (const auto& t : batch) {
    nlohmann::json timings = nlohmann::json::object();
    for (const auto& [stage, ms] : t.stages_ms) timings[stage] = Round3(ms);
    rows.push_back({t.id, t.repository_id, t.query, t.scope, t.engine, std::int64_t{t.limit},
                    Dump(nlohmann::json(t.result_ids)), Dump(timings), Round3(t.total_ms), t.caller,
                    t.created_at, t.error.empty() ? store::Value{} : store::Value{t.error},
                    t.request_id.empty() ? store::Value{} : store::Value{t.request_id}});
    repositories.insert(t.repository_id);
  }
  auto done = store_.Transact([&](store::Tx& tx) -> Result<void> {
    DOCRUNCH_TRY(store::InsertRows(
        tx, "query_traces",
        {"trace_id", "repository_id", "query", "scope", "engine", "result_limit", "result_ids",
         "timings", "total_ms", "caller", "created_at", "error", "request_id"},
        rows));
    // Trim each repository to its newest traces: everything at or below
    // the id of the first one past the limit goes (by the index on
    // (repository_id, id), so this costs a short range scan).
    for (std::int64_t repo : repositories) {
      auto trimmed = tx.Exec(
          "DELETE FROM query_traces WHERE repository_id = $1 AND id <= (SELECT id FROM "
          "query_traces WHERE repository_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)",
          {repo, static_cast<std::int64_t>(keep_)});
      if (!trimmed) return trimmed.error();
    }
    return Ok();
  });
  if (!done) {
    spdlog::warn("query traces: could not record {} trace(s): {}", batch.size(),
                 done.error().ToString());
  }
  return done.ok();
}

Result<std::vector<SearchResult>> TracedSearch(store::Reader& db, std::int64_t repository_id,
                                               const std::string& query, int limit, Scope scope,
                                               const SearchOptions& options, TraceLog* log,
                                               const std::string& caller, std::string* trace_id) {
  if (trace_id) trace_id->clear();
  if (!log) return Search(db, repository_id, query, limit, scope, options);
  SearchTimings timings;
  auto start = std::chrono::steady_clock::now();
  auto results = Search(db, repository_id, query, limit, scope, options, &timings);
  QueryTrace trace;
  trace.total_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  trace.repository_id = repository_id;
  trace.query = Preview(query);
  trace.scope = ScopeName(scope);
  trace.engine = timings.engine;
  trace.limit = limit;
  trace.stages_ms = std::move(timings.stages);
  trace.caller = caller;
  if (results) {
    for (const auto& r : *results) trace.result_ids.push_back(r.id);
  } else {
    trace.error = std::string(ErrorCodeName(results.error().code));
  }
  std::string id = log->Record(std::move(trace));
  if (trace_id) *trace_id = id;
  return results;
}

Result<std::optional<QueryTrace>> LoadTrace(store::Reader& db, std::int64_t repository_id,
                                            const std::string& id) {
  auto rows = db.Query(
      "SELECT trace_id, query, scope, engine, result_limit, result_ids, timings, total_ms, "
      "caller, created_at, error, request_id FROM query_traces WHERE repository_id = $1 AND "
      "trace_id = $2",
      {repository_id, id});
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<QueryTrace>();
  QueryTrace t;
  t.id = *rows->Text(0, "trace_id");
  t.repository_id = repository_id;
  t.query = rows->Text(0, "query").value_or("");
  t.scope = rows->Text(0, "scope").value_or("");
  t.engine = rows->Text(0, "engine").value_or("");
  t.limit = static_cast<int>(rows->Int(0, "result_limit").value_or(0));
  auto ids = nlohmann::json::parse(rows->Text(0, "result_ids").value_or("[]"), nullptr, false);
  if (ids.is_array()) {
    for (const auto& v : ids) {
      if (v.is_string()) t.result_ids.push_back(v);
    }
  }
  auto timings = nlohmann::json::parse(rows->Text(0, "timings").value_or("{}"), nullptr, false);
  if (timings.is_object()) {
    for (const auto& [stage, ms] : timings.items()) {
      if (ms.is_number()) t.stages_ms.emplace_back(stage, ms.get<double>());
    }
  }
  t.total_ms = rows->Real(0, "total_ms").value_or(0);
  t.caller = rows->Text(0, "caller").value_or("");
  t.created_at = rows->Text(0, "created_at").value_or("");
  t.error = rows->Text(0, "error").value_or("");
  t.request_id = rows->Text(0, "request_id").value_or("");
  return std::optional<QueryTrace>(std::move(t));
}

Result<QueryStats> LoadQueryStats(store::Reader& db, std::int64_t repository_id,
                                  const std::string& since, int top) {
  auto rows = db.Query(
      "SELECT query, engine, total_ms FROM query_traces WHERE repository_id = $1 AND "
      "created_at >= $2",
      {repository_id, since});
  if (!rows) return rows.error();
  QueryStats stats;
  stats.since = since;
  stats.count = static_cast<std::int64_t>(rows->size());
  std::vector<double> totals;
  std::map<std::string, std::int64_t> asked;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    std::string engine = rows->Text(i, "engine").value_or("");
    stats.per_engine[engine.empty() ? "none" : engine] += 1;
    totals.push_back(rows->Real(i, "total_ms").value_or(0));
    asked[rows->Text(i, "query").value_or("")] += 1;
  }
  std::sort(totals.begin(), totals.end());
  stats.p50_ms = Percentile(totals, 0.5);
  stats.p95_ms = Percentile(totals, 0.95);
  stats.max_ms = totals.empty() ? 0 : totals.back();
  stats.top_queries.assign(asked.begin(), asked.end());
  std::stable_sort(stats.top_queries.begin(), stats.top_queries.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  if (stats.top_queries.size() > static_cast<std::size_t>(std::max(0, top))) {
    stats.top_queries.resize(static_cast<std::size_t>(std::max(0, top)));
  }
  return stats;
}

nlohmann::json ToJson(const QueryStats& s) {
  nlohmann::json engines = nlohmann::json::object();
  for (const auto& [engine, n] : s.per_engine) engines[engine] = n;
  nlohmann::json top = nlohmann::json::array();
  for (const auto& [query, n] : s.top_queries) top.push_back({{"query", query}, {"count", n}});
  return {{"since", s.since},
          {"count", s.count},
          {"per_engine", std::move(engines)},
          {"latency_ms",
           {{"p50", Round3(s.p50_ms)}, {"p95", Round3(s.p95_ms)}, {"max", Round3(s.max_ms)}}},
          {"top_queries", std::move(top)}};
}

}  // namespace docrunch::search
