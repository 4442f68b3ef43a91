// The Redis rate limiter against a real redis-server that wants a password
// (started here, on a free port of 127.0.0.1): it logs in with the password
// from the URL, shares its counts between limiters, and refuses to start,
// without showing the password, when the password is missing or wrong.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "auth/rate_limiter.h"
#include "support/temp_dir.h"

namespace docrunch::auth {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kPassword = "s3cret-p@ss";
constexpr const char* kPasswordInUrl = "s3cret-p%40ss";  // '@' percent-encoded

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) close(fd);
    return 0;
  }
  close(fd);
  return ntohs(addr.sin_port);
}

bool Accepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

class RedisLimiterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access("/usr/bin/redis-server", X_OK) != 0) {
      GTEST_SKIP() << "redis-server is not installed (scripts/setup.sh installs it)";
    }
    port_ = FreePort();
    ASSERT_GT(port_, 0);
    const std::string port = std::to_string(port_);
    const std::string dir = dir_.path().string();
    pid_ = fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      int null = open("/dev/null", O_WRONLY);  // its warnings are not the test's output
      if (null >= 0) dup2(null, STDOUT_FILENO), dup2(null, STDERR_FILENO);
      execl("/usr/bin/redis-server", "redis-server", "--bind", "127.0.0.1", "--port", port.c_str(),
            "--requirepass", kPassword, "--save", "", "--appendonly", "no", "--dir", dir.c_str(),
            "--logfile", "", "--loglevel", "warning", static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 200 && !Accepts(port_); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    ASSERT_TRUE(Accepts(port_)) << "redis-server did not start on port " << port_;
  }

  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
  }

  std::string Url(const std::string& userinfo, const std::string& db = "/3") const {
    return "redis://" + userinfo + "127.0.0.1:" + std::to_string(port_) + db;
  }

  docrunch::testing::TempDir dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  SystemClock clock_;
};

TEST_F(RedisLimiterTest, LogsInWithThePasswordOfTheUrlAndSharesTheCount) {
  config::RateLimitConfig limits;
  limits.queries_per_minute = 2;
  limits.writes_per_minute = 0;
  const std::string url = Url(std::string(":") + kPasswordInUrl + "@");
  auto first = MakeRedisRateLimiter(url, limits, clock_, "test:");
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  auto second = MakeRedisRateLimiter(url, limits, clock_, "test:");
  ASSERT_TRUE(second.ok()) << second.error().ToString();
  // Counted in Redis: two limiters (two serve processes) share one budget.
  // Near the end of a minute the window may turn over between calls, so
  // the refusal is looked for over two windows' worth of calls.
  int refused = 0;
  for (int i = 0; i < 6; ++i) {
    auto& limiter = i % 2 == 0 ? **first : **second;
    if (!limiter.Admit("agent-a", CallKind::kQuery).allowed) ++refused;
  }
  EXPECT_GE(refused, 2);
  EXPECT_TRUE((*first)->Admit("agent-a", CallKind::kWrite).allowed);  // 0: unlimited
}

TEST_F(RedisLimiterTest, AUserNameLogsInThroughAcl) {
  config::RateLimitConfig limits;
  limits.queries_per_minute = 1;
  auto limiter = MakeRedisRateLimiter(Url(std::string("default:") + kPasswordInUrl + "@"), limits,
                                      clock_, "acl:");
  ASSERT_TRUE(limiter.ok()) << limiter.error().ToString();
}

TEST_F(RedisLimiterTest, AMissingOrWrongPasswordIsAClearErrorThatNeverShowsIt) {
  config::RateLimitConfig limits;
  auto missing = MakeRedisRateLimiter(Url(""), limits, clock_, "test:");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kStorageUnavailable);
  EXPECT_THAT(missing.error().message, HasSubstr("NOAUTH"));
  EXPECT_THAT(missing.error().message, HasSubstr("redis://:PASSWORD@host:port"));

  auto wrong = MakeRedisRateLimiter(Url(":not-the-password@"), limits, clock_, "test:");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, ErrorCode::kStorageUnavailable);
  EXPECT_THAT(wrong.error().message, HasSubstr("AUTH"));
  EXPECT_THAT(wrong.error().message, Not(HasSubstr("not-the-password")));
}

TEST(RedisUrl, BadUrlsAreRefusedNamingTheProblem) {
  SystemClock clock;
  config::RateLimitConfig limits;
  for (const std::string url : {"redis://", "http://127.0.0.1:6379", "redis://127.0.0.1:6379/x",
                                "rediss://127.0.0.1:6379"}) {
    auto limiter = MakeRedisRateLimiter(url, limits, clock, "test:");
    ASSERT_FALSE(limiter.ok()) << url;
    EXPECT_EQ(limiter.error().code, ErrorCode::kConfigInvalid) << url;
    EXPECT_THAT(limiter.error().message, HasSubstr("redis://")) << url;
  }
  // Never the password, whatever the shape: in the URL, bare, in the query.
  for (const std::string bad :
       {"redis://:hunter2@/0", "hunter2", "http://h:1/0?password=hunter2"}) {
    auto secret = MakeRedisRateLimiter(bad, limits, clock, "test:");
    ASSERT_FALSE(secret.ok()) << bad;
    EXPECT_THAT(secret.error().message, Not(HasSubstr("hunter2"))) << secret.error().message;
  }
}

}  // namespace
}  // namespace docrunch::auth
