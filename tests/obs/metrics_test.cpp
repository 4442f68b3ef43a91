#include "obs/metrics.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace docrunch::obs {
namespace {

TEST(MetricsTest, CounterSumsEveryThreadsShard) {
  Registry r;
  Counter* c = r.Add("jobs_total", "Jobs", MetricType::kCounter)->CounterWith({});
  ASSERT_NE(c, nullptr);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([c] {
      for (int i = 0; i < 100'000; ++i) c->Inc();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c->Value(), 800'000);
  c->Add(0.25);
  c->Add(-5);  // a counter never goes down
  EXPECT_DOUBLE_EQ(c->Value(), 800'000.25);
}

TEST(MetricsTest, ExposesCountersAndGaugesWithEscapedLabels) {
  Registry r;
  Family* f = r.Add("http_requests_total", "Requests\nby route \\ code", MetricType::kCounter,
                    {"route", "code"});
  f->CounterWith({"/api/tasks/{id}", "2xx"})->Inc(3);
  f->CounterWith({"say \"hi\"\\\n", "4xx"})->Inc();
  r.Add("queue_depth", "Depth", MetricType::kGauge)->GaugeWith({})->Set(-2.5);
  EXPECT_EQ(r.Expose(),
            "# HELP http_requests_total Requests\\nby route \\\\ code\n"
            "# TYPE http_requests_total counter\n"
            "http_requests_total{route=\"/api/tasks/{id}\",code=\"2xx\"} 3\n"
            "http_requests_total{route=\"say \\\"hi\\\"\\\\\\n\",code=\"4xx\"} 1\n"
            "# HELP queue_depth Depth\n"
            "# TYPE queue_depth gauge\n"
            "queue_depth -2.5\n");
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  static const std::vector<double> bounds{0.125, 1, 10};
  Registry r;
  Histogram* h = r.Add("scan_seconds", "Scans", MetricType::kHistogram, {"outcome"}, &bounds)
                     ->HistogramWith({"ok"});
  // Values exact in binary, so the sum is too.
  for (double v : {0.0625, 0.125, 0.5, 2.0, 20.0, 30.0}) h->Observe(v);
  EXPECT_EQ(r.Expose(),
            "# HELP scan_seconds Scans\n"
            "# TYPE scan_seconds histogram\n"
            "scan_seconds_bucket{outcome=\"ok\",le=\"0.125\"} 2\n"
            "scan_seconds_bucket{outcome=\"ok\",le=\"1\"} 3\n"
            "scan_seconds_bucket{outcome=\"ok\",le=\"10\"} 4\n"
            "scan_seconds_bucket{outcome=\"ok\",le=\"+Inf\"} 6\n"
            "scan_seconds_sum{outcome=\"ok\"} 52.6875\n"
            "scan_seconds_count{outcome=\"ok\"} 6\n");
}

TEST(MetricsTest, BadNamesLabelsAndBucketsAreRefused) {
  Registry r;
  static const std::vector<double> unsorted{1, 0.5};
  EXPECT_EQ(r.Add("", "x", MetricType::kCounter), nullptr);
  EXPECT_EQ(r.Add("9lives", "x", MetricType::kCounter), nullptr);
  EXPECT_EQ(r.Add("has-dash", "x", MetricType::kCounter), nullptr);
  EXPECT_EQ(r.Add("ok_total", "x", MetricType::kCounter, {"le"}), nullptr);
  EXPECT_EQ(r.Add("ok_total", "x", MetricType::kCounter, {"__reserved"}), nullptr);
  EXPECT_EQ(r.Add("h", "x", MetricType::kHistogram, {}, &unsorted), nullptr);
  Family* f = r.Add("ok_total", "x", MetricType::kCounter, {"a"});
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->CounterWith({}), nullptr);                    // wrong number of labels
  EXPECT_EQ(f->GaugeWith({"x"}), nullptr);                   // wrong type
  EXPECT_EQ(r.Add("ok_total", "y", MetricType::kGauge), f);  // the first one stays
  EXPECT_EQ(f->CounterWith({"x"}), f->CounterWith({"x"}));
}

TEST(MetricsTest, CollectorsRunAtScrapeAndCachedOnesAtMostOncePerTtl) {
  Registry r;
  int runs = 0;
  auto collect = CachedCollector(
      [&runs] {
        ++runs;
        return std::vector<Sample>{{{"index"}, double(runs)}};
      },
      std::chrono::hours(1));
  int id = r.AddCollector("outbox_behind", "Behind", MetricType::kGauge, {"target"}, collect);
  std::string first = r.Expose();
  EXPECT_EQ(first,
            "# HELP outbox_behind Behind\n# TYPE outbox_behind gauge\n"
            "outbox_behind{target=\"index\"} 1\n");
  EXPECT_EQ(r.Expose(), first);
  EXPECT_EQ(runs, 1);
  r.RemoveCollector(id);
  EXPECT_EQ(r.Expose(), "");

  int fresh = 0;
  auto uncached = CachedCollector(
      [&fresh] {
        return std::vector<Sample>{{{}, double(++fresh)}};
      },
      std::chrono::milliseconds(0));
  r.AddCollector("ticks", "Ticks", MetricType::kGauge, {}, uncached);
  r.Expose();
  r.Expose();
  EXPECT_EQ(fresh, 2);
}

TEST(MetricsTest, ValuesAreWrittenAsPrometheusReadsThem) {
  EXPECT_EQ(FormatValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(FormatValue(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(FormatValue(0.0 / 0.0), "NaN");
  EXPECT_EQ(FormatValue(0.1), "0.1");
  EXPECT_EQ(FormatValue(1e21), "1e+21");
  EXPECT_EQ(FormatValue(42), "42");
}

}  // namespace
}  // namespace docrunch::obs
