// AnswerCache: an answer comes back only under the mark it was read with
// and before its deadline; the size bound holds.
#include "api/answer_cache.h"

#include <gtest/gtest.h>

#include <chrono>

namespace docrunch::api {
namespace {

using namespace std::chrono_literals;

const TimePoint kNow = TimePoint(std::chrono::seconds(1'800'000'000));

std::shared_ptr<const std::string> Body(std::string text) {
  return std::make_shared<const std::string>(std::move(text));
}

// The kept text, or "(none)".
std::string Found(const AnswerCache& cache, const std::string& key, const std::string& mark,
                  TimePoint now = kNow) {
  auto kept = cache.Find(key, mark, now);
  return kept.body ? *kept.body : "(none)";
}

TEST(AnswerCacheTest, ServesOnlyUnderTheSameMark) {
  AnswerCache cache;
  EXPECT_EQ(Found(cache, "/api/tasks?", "v1"), "(none)");
  cache.Put("/api/tasks?", "v1", std::nullopt, Body("page one"));
  EXPECT_EQ(Found(cache, "/api/tasks?", "v1"), "page one");
  EXPECT_EQ(Found(cache, "/api/tasks?", "v2"), "(none)") << "a commit retires the answer";
  EXPECT_EQ(Found(cache, "/api/tasks?limit=5", "v1"), "(none)")
      << "another query is another answer";
  cache.Put("/api/tasks?", "v2", std::nullopt, Body("page one, changed"));
  EXPECT_EQ(Found(cache, "/api/tasks?", "v2"), "page one, changed");
  EXPECT_EQ(Found(cache, "/api/tasks?", "v1"), "(none)");
}

TEST(AnswerCacheTest, AnAnswerWithADeadlineExpires) {
  AnswerCache cache;
  cache.Put("k", "v1", kNow + 30s, Body("claimed"));
  EXPECT_EQ(Found(cache, "k", "v1", kNow + 29s), "claimed");
  EXPECT_EQ(Found(cache, "k", "v1", kNow + 30s), "(none)") << "the claim may have expired by now";
}

TEST(AnswerCacheTest, StaysWithinItsBytes) {
  AnswerCache cache(1000);
  cache.Put("big", "v1", std::nullopt, Body(std::string(2000, 'x')));
  EXPECT_EQ(Found(cache, "big", "v1"), "(none)") << "larger than the whole cache: not kept";
  for (int i = 0; i < 50; ++i) {
    cache.Put("k" + std::to_string(i), "v1", std::nullopt, Body(std::string(100, 'x')));
    EXPECT_LE(cache.bytes(), 1000u);
  }
  EXPECT_NE(Found(cache, "k49", "v1"), "(none)") << "the newest answer is kept";
  // Replacing an entry does not count it twice.
  AnswerCache one(300);
  for (int i = 0; i < 10; ++i) one.Put("same", "v1", std::nullopt, Body(std::string(200, 'y')));
  EXPECT_EQ(one.bytes(), 4u + 2u + 200u);
}

TEST(AnswerCacheTest, AGzipVariantBelongsToItsAnswer) {
  AnswerCache cache;
  cache.Put("k", "v1", std::nullopt, Body("plain"));
  EXPECT_EQ(cache.Find("k", "v1", kNow).gzip, nullptr);
  cache.AddGzip("k", "v2", Body("of a newer answer"));
  EXPECT_EQ(cache.Find("k", "v1", kNow).gzip, nullptr) << "not for this answer";
  cache.AddGzip("k", "v1", Body("packed"));
  auto kept = cache.Find("k", "v1", kNow);
  ASSERT_NE(kept.gzip, nullptr);
  EXPECT_EQ(*kept.gzip, "packed");
  EXPECT_EQ(cache.bytes(), 1u + 2u + 5u + 6u);
  cache.Put("k", "v2", std::nullopt, Body("new"));
  EXPECT_EQ(cache.Find("k", "v2", kNow).gzip, nullptr) << "a new answer starts plain";
  EXPECT_EQ(cache.bytes(), 1u + 2u + 3u);
}

}  // namespace
}  // namespace docrunch::api
