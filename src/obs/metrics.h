// A small Prometheus metrics registry (PRODUCT §17): counters, gauges and
// histograms with fixed buckets, written out in the text exposition format
// 0.0.4 at GET /metrics.
//
// The hot path is cheap: a series is looked up once (Family::With, under a
// shared lock) and the pointer kept; after that Counter::Inc and
// Histogram::Observe are a few relaxed atomic adds on one of kShards
// cache-line-sized shards picked per thread, so threads that count the same
// series do not fight over one cache line. Reading (Expose) sums the shards;
// a scrape may see a histogram's count and sum from slightly different
// moments, which Prometheus tolerates.
//
// Values that live elsewhere (the outbox in the database, the DB pool) are
// read at scrape time by collectors (Registry::AddCollector), which may keep
// what they read for a second (CachedCollector).
//
// Series and families live as long as their registry: pointers returned by
// With() stay valid. Everything here is thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace docrunch::obs {

constexpr std::size_t kShards = 8;

// This thread's shard (threads are spread round-robin on first use).
std::size_t ShardIndex();

class Counter {
 public:
  // `n` must not be negative (a counter only goes up).
  void Inc(std::uint64_t n = 1) {
    shards_[ShardIndex()].whole.fetch_add(n, std::memory_order_relaxed);
  }
  // For fractional amounts (a cost in dollars); ignores negative values.
  void Add(double amount);
  double Value() const;

 private:
  struct alignas(64) Shard {
    std::atomic<std::uint64_t> whole{0};
    std::atomic<double> part{0};
  };
  std::array<Shard, kShards> shards_;
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double delta);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  // `bounds`: strictly increasing upper bounds, without +Inf.
  explicit Histogram(const std::vector<double>* bounds);
  void Observe(double value);
  // Cumulative counts per bound, then +Inf (= count); and the sum.
  std::vector<std::uint64_t> Cumulative() const;
  double Sum() const;

 private:
  static constexpr std::size_t kMaxBuckets = 24;  // bounds + the +Inf bucket
  struct alignas(64) Shard {
    std::array<std::atomic<std::uint64_t>, kMaxBuckets> counts{};
    std::atomic<double> sum{0};
  };
  const std::vector<double>* bounds_;
  std::array<Shard, kShards> shards_;
};

// Bucket sets used across Docrunch (seconds).
const std::vector<double>& LatencyBuckets();  // 1 ms .. 10 s
const std::vector<double>& LongBuckets();     // 100 ms .. 1 h (scans)

enum class MetricType { kCounter, kGauge, kHistogram };

// One sample a collector reports at scrape time.
struct Sample {
  std::vector<std::string> label_values;  // in the family's label order
  double value = 0;
};

// A metric name with its help, type and label names, and its series.
class Family {
 public:
  Family(std::string name, std::string help, MetricType type, std::vector<std::string> labels,
         const std::vector<double>* buckets);
  const std::string& name() const { return name_; }
  MetricType type() const { return type_; }

  // The series with these label values (as many as the family has labels),
  // created on first use. The pointer stays valid as long as the registry.
  // Calling the accessor that does not match the family's type is a bug
  // (it returns nullptr).
  Counter* CounterWith(const std::vector<std::string>& label_values);
  Gauge* GaugeWith(const std::vector<std::string>& label_values);
  Histogram* HistogramWith(const std::vector<std::string>& label_values);

  void Expose(std::string& out) const;

 private:
  struct Series {
    std::vector<std::string> labels;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
  };
  Series* Find(const std::vector<std::string>& label_values);

  const std::string name_, help_;
  const MetricType type_;
  const std::vector<std::string> labels_;
  const std::vector<double>* buckets_;
  mutable std::shared_mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Series>> series_;  // GUARDED_BY(mutex_)
};

class Registry {
 public:
  // The same name twice returns the first family (its help, type and
  // labels win); a name that is not a valid metric name is a bug and
  // returns nullptr.
  Family* Add(const std::string& name, const std::string& help, MetricType type,
              std::vector<std::string> labels = {}, const std::vector<double>* buckets = nullptr);

  // A family whose samples a function reports at scrape time (a gauge, or
  // a counter kept elsewhere). Returns an id for RemoveCollector.
  using Collect = std::function<std::vector<Sample>()>;
  int AddCollector(const std::string& name, const std::string& help, MetricType type,
                   std::vector<std::string> labels, Collect collect);
  void RemoveCollector(int id);

  // Every family in the text exposition format 0.0.4, sorted by name.
  std::string Expose() const;

 private:
  struct Collector {
    std::string name, help;
    MetricType type;
    std::vector<std::string> labels;
    Collect collect;
  };
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Family>> families_;  // GUARDED_BY(mutex_)
  std::map<int, Collector> collectors_;                      // GUARDED_BY(mutex_)
  int next_id_ = 1;                                          // GUARDED_BY(mutex_)
};

// The process's registry, the one GET /metrics exposes.
Registry& DefaultRegistry();

// Wraps `collect` so it runs at most once per `ttl`; scrapes in between get
// the last answer (reading the database once a second at most, however
// often Prometheus or a person scrapes).
Registry::Collect CachedCollector(Registry::Collect collect,
                                  std::chrono::milliseconds ttl = std::chrono::seconds(1));

// The content type of Expose's text.
constexpr std::string_view kExpositionContentType = "text/plain; version=0.0.4; charset=utf-8";

// Label and help text escaping of the exposition format.
std::string EscapeLabelValue(std::string_view value);
std::string EscapeHelp(std::string_view help);
// A number as the exposition format writes it (+Inf, -Inf, NaN, or the
// shortest text that reads back the same).
std::string FormatValue(double value);
bool IsValidMetricName(std::string_view name);
bool IsValidLabelName(std::string_view name);

}  // namespace docrunch::obs
