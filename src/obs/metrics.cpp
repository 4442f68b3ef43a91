#include "obs/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace docrunch::obs {

std::size_t ShardIndex() {
  static std::atomic<std::size_t> next{0};
  thread_local std::size_t index = next.fetch_add(1, std::memory_order_relaxed) % kShards;
  return index;
}

void Counter::Add(double amount) {
  if (!(amount > 0)) return;  // negative or NaN
  shards_[ShardIndex()].part.fetch_add(amount, std::memory_order_relaxed);
}

double Counter::Value() const {
  std::uint64_t whole = 0;
  double part = 0;
  for (const auto& s : shards_) {
    whole += s.whole.load(std::memory_order_relaxed);
    part += s.part.load(std::memory_order_relaxed);
  }
  return static_cast<double>(whole) + part;
}

void Gauge::Add(double delta) {
  value_.fetch_add(delta, std::memory_order_relaxed);
}

Histogram::Histogram(const std::vector<double>* bounds) : bounds_(bounds) {}

void Histogram::Observe(double value) {
  if (std::isnan(value)) return;
  // Buckets are few (about a dozen): a linear scan beats a binary search.
  std::size_t i = 0;
  const auto& b = *bounds_;
  while (i < b.size() && value > b[i]) ++i;
  Shard& s = shards_[ShardIndex()];
  s.counts[i].fetch_add(1, std::memory_order_relaxed);
  s.sum.fetch_add(value, std::memory_order_relaxed);
}

std::vector<std::uint64_t> Histogram::Cumulative() const {
  std::vector<std::uint64_t> out(bounds_->size() + 1, 0);
  for (const auto& s : shards_) {
    for (std::size_t i = 0; i < out.size(); ++i) {
      out[i] += s.counts[i].load(std::memory_order_relaxed);
    }
  }
  for (std::size_t i = 1; i < out.size(); ++i) out[i] += out[i - 1];
  return out;
}

double Histogram::Sum() const {
  double sum = 0;
  for (const auto& s : shards_) sum += s.sum.load(std::memory_order_relaxed);
  return sum;
}

const std::vector<double>& LatencyBuckets() {
  static const std::vector<double> b{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                     0.25,  0.5,    1,     2.5,  5,     10};
  return b;
}

const std::vector<double>& LongBuckets() {
  static const std::vector<double> b{0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600};
  return b;
}

// --- text ---

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string EscapeHelp(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return ec == std::errc() ? std::string(buf, end) : "NaN";
}

namespace {

bool NameChar(char c, bool first, bool colon) {
  bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
  return alpha || (!first && c >= '0' && c <= '9');
}

bool ValidName(std::string_view name, bool colon) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!NameChar(name[i], i == 0, colon)) return false;
  }
  return true;
}

const char* TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// {a="x",b="y"} (with `extra` appended as the last label), "" when none.
std::string LabelText(const std::vector<std::string>& names, const std::vector<std::string>& values,
                      std::string_view extra = {}) {
  if (names.empty() && extra.empty()) return "";
  std::string out = "{";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) out += ',';
    out += names[i] + "=\"" + EscapeLabelValue(i < values.size() ? values[i] : "") + '"';
  }
  if (!extra.empty()) {
    if (!names.empty()) out += ',';
    out += extra;
  }
  return out + "}";
}

void Header(std::string& out, const std::string& name, const std::string& help, MetricType type) {
  out += "# HELP " + name + ' ' + EscapeHelp(help) + '\n';
  out += "# TYPE " + name + ' ' + TypeName(type) + '\n';
}

}  // namespace

bool IsValidMetricName(std::string_view name) {
  return ValidName(name, true);
}

bool IsValidLabelName(std::string_view name) {
  return ValidName(name, false) && name.rfind("__", 0) != 0 && name != "le";
}

// --- families ---

Family::Family(std::string name, std::string help, MetricType type, std::vector<std::string> labels,
               const std::vector<double>* buckets)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      labels_(std::move(labels)),
      buckets_(buckets ? buckets : &LatencyBuckets()) {}

Family::Series* Family::Find(const std::vector<std::string>& label_values) {
  if (label_values.size() != labels_.size()) return nullptr;
  {
    std::shared_lock lock(mutex_);
    auto it = series_.find(label_values);
    if (it != series_.end()) return it->second.get();
  }
  std::unique_lock lock(mutex_);
  auto& slot = series_[label_values];
  if (!slot) {
    slot = std::make_unique<Series>();
    slot->labels = label_values;
    switch (type_) {
      case MetricType::kCounter:
        slot->counter = std::make_unique<Counter>();
        break;
      case MetricType::kGauge:
        slot->gauge = std::make_unique<Gauge>();
        break;
      case MetricType::kHistogram:
        slot->histogram = std::make_unique<Histogram>(buckets_);
        break;
    }
  }
  return slot.get();
}

Counter* Family::CounterWith(const std::vector<std::string>& label_values) {
  if (type_ != MetricType::kCounter) return nullptr;
  Series* s = Find(label_values);
  return s ? s->counter.get() : nullptr;
}

Gauge* Family::GaugeWith(const std::vector<std::string>& label_values) {
  if (type_ != MetricType::kGauge) return nullptr;
  Series* s = Find(label_values);
  return s ? s->gauge.get() : nullptr;
}

Histogram* Family::HistogramWith(const std::vector<std::string>& label_values) {
  if (type_ != MetricType::kHistogram) return nullptr;
  Series* s = Find(label_values);
  return s ? s->histogram.get() : nullptr;
}

void Family::Expose(std::string& out) const {
  Header(out, name_, help_, type_);
  std::shared_lock lock(mutex_);
  for (const auto& [values, series] : series_) {
    if (series->counter) {
      out +=
          name_ + LabelText(labels_, values) + ' ' + FormatValue(series->counter->Value()) + '\n';
    } else if (series->gauge) {
      out += name_ + LabelText(labels_, values) + ' ' + FormatValue(series->gauge->Value()) + '\n';
    } else if (series->histogram) {
      auto counts = series->histogram->Cumulative();
      for (std::size_t i = 0; i < counts.size(); ++i) {
        std::string le = i < buckets_->size() ? FormatValue((*buckets_)[i]) : "+Inf";
        out += name_ + "_bucket" + LabelText(labels_, values, "le=\"" + le + '"') + ' ' +
               std::to_string(counts[i]) + '\n';
      }
      out += name_ + "_sum" + LabelText(labels_, values) + ' ' +
             FormatValue(series->histogram->Sum()) + '\n';
      out += name_ + "_count" + LabelText(labels_, values) + ' ' + std::to_string(counts.back()) +
             '\n';
    }
  }
}

// --- registry ---

Family* Registry::Add(const std::string& name, const std::string& help, MetricType type,
                      std::vector<std::string> labels, const std::vector<double>* buckets) {
  if (!IsValidMetricName(name)) return nullptr;
  for (const auto& l : labels) {
    if (!IsValidLabelName(l)) return nullptr;
  }
  if (buckets && (buckets->empty() || buckets->size() >= 24 ||
                  !std::is_sorted(buckets->begin(), buckets->end(), std::less_equal<double>()))) {
    return nullptr;
  }
  std::lock_guard lock(mutex_);
  auto& slot = families_[name];
  if (!slot) slot = std::make_unique<Family>(name, help, type, std::move(labels), buckets);
  return slot.get();
}

int Registry::AddCollector(const std::string& name, const std::string& help, MetricType type,
                           std::vector<std::string> labels, Collect collect) {
  std::lock_guard lock(mutex_);
  int id = next_id_++;
  collectors_[id] = Collector{name, help, type, std::move(labels), std::move(collect)};
  return id;
}

void Registry::RemoveCollector(int id) {
  std::lock_guard lock(mutex_);
  collectors_.erase(id);
}

std::string Registry::Expose() const {
  // Families and collectors merged by name, so the output is sorted and
  // each name has one HELP/TYPE header.
  std::map<std::string, std::function<void(std::string&)>> parts;
  std::vector<Collector> collectors;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, family] : families_) {
      const Family* f = family.get();
      parts[name] = [f](std::string& out) { f->Expose(out); };
    }
    for (const auto& [id, c] : collectors_) collectors.push_back(c);
  }
  // Collectors run outside the lock: they may read the database.
  for (const auto& c : collectors) {
    if (parts.count(c.name)) continue;  // a family of that name wins
    std::vector<Sample> samples = c.collect();
    parts[c.name] = [c, samples = std::move(samples)](std::string& out) {
      Header(out, c.name, c.help, c.type);
      for (const auto& s : samples) {
        out += c.name + LabelText(c.labels, s.label_values) + ' ' + FormatValue(s.value) + '\n';
      }
    };
  }
  std::string out;
  out.reserve(16 * 1024);
  for (const auto& [name, write] : parts) write(out);
  return out;
}

Registry& DefaultRegistry() {
  static Registry* registry = new Registry();  // never destroyed: threads may count at exit
  return *registry;
}

Registry::Collect CachedCollector(Registry::Collect collect, std::chrono::milliseconds ttl) {
  struct State {
    std::mutex mutex;
    std::chrono::steady_clock::time_point at{};
    bool have = false;
    std::vector<Sample> samples;
  };
  auto state = std::make_shared<State>();
  return [state, collect = std::move(collect), ttl] {
    std::lock_guard lock(state->mutex);
    auto now = std::chrono::steady_clock::now();
    if (!state->have || now - state->at >= ttl) {
      state->samples = collect();
      state->at = now;
      state->have = true;
    }
    return state->samples;
  };
}

}  // namespace docrunch::obs
