#include "config/values.h"

#include <gtest/gtest.h>

namespace docrunch::config {
namespace {

using namespace std::chrono_literals;

TEST(ParseDuration, AcceptsUnitsAndCompounds) {
  EXPECT_EQ(ParseDuration("500ms"), 500ms);
  EXPECT_EQ(ParseDuration("30s"), 30s);
  EXPECT_EQ(ParseDuration("30m"), 30min);
  EXPECT_EQ(ParseDuration("24h"), 24h);
  EXPECT_EQ(ParseDuration("7d"), std::chrono::hours(24 * 7));
  EXPECT_EQ(ParseDuration("1h30m"), 90min);
}

TEST(ParseDuration, RejectsMalformed) {
  for (const char* bad : {"", "30", "m", "10 s", "1.5h", "3w", "-5s", "5sec", "h1"}) {
    EXPECT_FALSE(ParseDuration(bad).has_value()) << bad;
  }
}

TEST(CheckCron, AcceptsStandardForms) {
  for (const char* good : {"* * * * *", "*/15 * * * *", "0 3 * * *", "0 9-17 * * mon-fri",
                           "0,30 * 1,15 jan-jun 0", "5 4 * * 7", "@daily", "@hourly"}) {
    EXPECT_EQ(CheckCron(good), "") << good;
  }
}

TEST(CheckCron, ExplainsWhatIsWrong) {
  EXPECT_NE(CheckCron("* * * *").find("5 fields"), std::string::npos);
  EXPECT_NE(CheckCron("61 * * * *").find("minute"), std::string::npos);
  EXPECT_NE(CheckCron("0 24 * * *").find("hour"), std::string::npos);
  EXPECT_NE(CheckCron("0 0 0 * *").find("day of month"), std::string::npos);
  EXPECT_NE(CheckCron("0 0 * 13 *").find("month"), std::string::npos);
  EXPECT_NE(CheckCron("*/0 * * * *").find("step"), std::string::npos);
  EXPECT_NE(CheckCron("0 5-3 * * *").find("hour"), std::string::npos);
  EXPECT_NE(CheckCron("@dayly").find("@daily"), std::string::npos);
}

TEST(ParseUrl, SplitsParts) {
  auto url = ParseUrl("postgresql://docrunch@127.0.0.1:5430/docrunch?sslmode=disable");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->scheme, "postgresql");
  EXPECT_EQ(url->user, "docrunch");
  EXPECT_FALSE(url->has_password);
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 5430);
  EXPECT_EQ(url->path, "/docrunch?sslmode=disable");
  EXPECT_TRUE(ParseUrl("postgres://u:pw@db.internal/x")->has_password);
  EXPECT_TRUE(ParseUrl("postgres://u@db/x?password=pw")->has_password);
  EXPECT_TRUE(ParseUrl("postgres://u@db/x?sslmode=require&PASSWORD=pw")->has_password);
  EXPECT_FALSE(ParseUrl("postgres://u@db/x?passwordless=1")->has_password);
  EXPECT_EQ(ParseUrl("http://[::1]:9621")->port, 9621);
}

TEST(ParseUrl, RejectsMalformed) {
  for (const char* bad : {"", "localhost:5432", "http://", "http://host:0", "http://host:70000",
                          "http://ho st/", "://host", "http://host:port"}) {
    EXPECT_FALSE(ParseUrl(bad).has_value()) << bad;
  }
}

TEST(MaskUrlPassword, HidesAQueryPasswordToo) {
  EXPECT_EQ(MaskUrlPassword("postgres://u@h/db?sslmode=require&password=pw&x=1"),
            "postgres://u@h/db?sslmode=require&password=***&x=1");
  EXPECT_EQ(MaskUrlPassword("postgres://u:pw@h/db?PASSWORD=pw"),
            "postgres://u:***@h/db?PASSWORD=***");
}

TEST(MaskUrlPassword, HidesOnlyThePassword) {
  EXPECT_EQ(MaskUrlPassword("postgres://u:s3cret@h:5432/db"), "postgres://u:***@h:5432/db");
  EXPECT_EQ(MaskUrlPassword("postgres://u@h/db"), "postgres://u@h/db");
  EXPECT_EQ(MaskUrlPassword("http://h/a:b@c"), "http://h/a:b@c");
}

TEST(CheckEnvName, AcceptsNamesAndNeverEchoesValues) {
  EXPECT_EQ(CheckEnvName("DOCRUNCH_KMS_KEY"), "");
  EXPECT_EQ(CheckEnvName("_X1"), "");
  std::string problem = CheckEnvName("sk-live-abcdef");
  EXPECT_NE(problem, "");
  EXPECT_EQ(problem.find("sk-live"), std::string::npos);
  EXPECT_NE(CheckEnvName("1ABC"), "");
}

TEST(IsLoopbackHost, KnowsLoopback) {
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost("example.org"));
  EXPECT_TRUE(IsLoopbackHost("127.12.0.9"));
  // Names that merely start like a loopback address may resolve anywhere.
  EXPECT_FALSE(IsLoopbackHost("127.attacker.example"));
  EXPECT_FALSE(IsLoopbackHost("127.0.0.1.attacker.example"));
  EXPECT_FALSE(IsLoopbackHost("127.0.0.256"));
}

}  // namespace
}  // namespace docrunch::config
