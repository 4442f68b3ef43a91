#include <gtest/gtest.h>

#include "config_test_util.h"

namespace docrunch::config {
namespace {

using ::testing::HasSubstr;

const std::string kKms(64, 'a');

TEST(Rules, PostgresNeedsAUrlFromTheEnvironment) {
  ConfigIssue issue = OnlyIssue("storage:\n  backend: postgres\n");
  EXPECT_EQ(issue.key, "storage.postgres_url_env");
  EXPECT_THAT(issue.message, HasSubstr("storage.backend is postgres"));

  issue = OnlyIssue("storage:\n  backend: postgres\n  postgres_url_env: PG_URL\n");
  EXPECT_EQ(issue.key, "storage.postgres_url_env");
  EXPECT_EQ(issue.line, 3);
  EXPECT_THAT(issue.message, HasSubstr("environment variable PG_URL is not set"));

  EXPECT_TRUE(IssuesFor("storage: {backend: postgres, postgres_url_env: PG_URL}",
                        {{"PG_URL", "postgresql://u:pw@127.0.0.1:5430/db"}})
                  .empty());
  issue = OnlyIssue("storage: {backend: postgres, postgres_url_env: PG_URL}",
                    {{"PG_URL", "mysql://u:pw@h/db"}});
  EXPECT_THAT(issue.message, HasSubstr("scheme must be one of postgres"));
  EXPECT_THAT(issue.message, ::testing::Not(HasSubstr("pw@")));
  // A value that is no URL at all may be a bare password or a libpq
  // connection string: it is never echoed.
  for (const char* value : {"user=u password=hunter2 host=h", "hunter2"}) {
    issue =
        OnlyIssue("storage: {backend: postgres, postgres_url_env: PG_URL}", {{"PG_URL", value}});
    EXPECT_THAT(issue.message, HasSubstr("not a valid URL"));
    EXPECT_THAT(issue.message, ::testing::Not(HasSubstr("hunter2"))) << issue.message;
  }
  issue = OnlyIssue("jobs: {backend: redis, redis_url_env: REDIS_URL}", {{"REDIS_URL", "hunter2"}});
  EXPECT_THAT(issue.message, ::testing::Not(HasSubstr("hunter2"))) << issue.message;
}

TEST(Rules, CostBudgetsNameTheirAgentOrProviderAndHaveALimit) {
  EXPECT_TRUE(IssuesFor("cost:\n  budgets:\n    - {scope: agent, name: claude-1, period: week, "
                        "limit_usd: 5}\n    - {scope: overall, period: month, limit_usd: 50}\n")
                  .empty());
  ConfigIssue issue =
      OnlyIssue("cost:\n  budgets:\n    - {scope: provider, period: day, limit_usd: 1}\n");
  EXPECT_EQ(issue.key, "cost.budgets[0].name");
  EXPECT_THAT(issue.message, HasSubstr("required"));
  issue =
      OnlyIssue("cost:\n  budgets:\n    - {scope: overall, name: x, period: day, limit_usd: 1}\n");
  EXPECT_EQ(issue.key, "cost.budgets[0].name");
  issue = OnlyIssue("cost:\n  budgets:\n    - {scope: agent, name: a, period: day}\n");
  EXPECT_EQ(issue.key, "cost.budgets[0].limit_usd");
  issue = OnlyIssue(
      "cost:\n  budgets:\n    - {scope: agent, name: a, period: fortnight, limit_usd: 1}\n");
  EXPECT_EQ(issue.key, "cost.budgets[0].period");
  EXPECT_EQ(issue.line, 3);
  issue = OnlyIssue(
      "cost:\n  budgets:\n    - {scope: agent, name: a, period: day, limit_usd: 1}\n"
      "    - {scope: agent, name: a, period: day, limit_usd: 2}\n");
  EXPECT_EQ(issue.key, "cost.budgets[1]");
  EXPECT_THAT(issue.message, HasSubstr("twice"));
}

TEST(Rules, RedisJobsNeedARedisUrl) {
  EXPECT_EQ(OnlyIssue("jobs: {backend: redis}").key, "jobs.redis_url_env");
  EXPECT_TRUE(IssuesFor("jobs: {backend: redis, redis_url: 'redis://127.0.0.1:6370/0'}").empty());
  // The password comes from the environment; TLS is refused up front (the
  // Redis client has none) instead of failing when serve starts.
  EXPECT_TRUE(IssuesFor("jobs: {backend: redis, redis_url_env: REDIS_URL}",
                        {{"REDIS_URL", "redis://:pw@127.0.0.1:6370/0"}})
                  .empty());
  ConfigIssue tls = OnlyIssue("jobs:\n  backend: redis\n  redis_url_env: REDIS_URL\n",
                              {{"REDIS_URL", "rediss://:pw@redis.example.com:6380/0"}});
  EXPECT_EQ(tls.key, "jobs.redis_url_env");
  EXPECT_THAT(tls.message, HasSubstr("rediss:// (Redis over TLS) is not supported"));
  EXPECT_THAT(tls.message, ::testing::Not(HasSubstr("pw@")));
  // A refused literal is one issue (not also "required because ...").
  ConfigIssue literal = OnlyIssue("jobs: {backend: redis, redis_url: 'rediss://127.0.0.1:6380/0'}");
  EXPECT_EQ(literal.key, "jobs.redis_url");
  EXPECT_THAT(literal.message, HasSubstr("not supported"));
}

TEST(Rules, HttpAuthNeedsAStrongJwtSecret) {
  const std::string text = "server: {http: {auth: {enabled: true}}}";
  EXPECT_THAT(OnlyIssue(text).message, HasSubstr("DOCRUNCH_JWT_SECRET is not set"));
  EXPECT_THAT(OnlyIssue(text, {{"DOCRUNCH_JWT_SECRET", "short"}}).message,
              HasSubstr("at least 32 characters"));
  EXPECT_TRUE(IssuesFor(text, {{"DOCRUNCH_JWT_SECRET", std::string(40, 'x')}}).empty());
}

TEST(Rules, NonLoopbackListenerWithoutAuthIsRefused) {
  ConfigIssue issue = OnlyIssue("server: {http: {host: 0.0.0.0}}");
  EXPECT_EQ(issue.key, "server.http.host");
  EXPECT_THAT(issue.message, HasSubstr("without authentication is refused"));
  issue = OnlyIssue("server: {mcp: {transport: http, host: 0.0.0.0}}");
  EXPECT_EQ(issue.key, "server.mcp.host");
  // stdio MCP does not listen, so its host does not matter.
  EXPECT_TRUE(IssuesFor("server: {mcp: {transport: stdio, host: 0.0.0.0}}").empty());
}

TEST(Rules, HostedModeIsStricter) {
  auto issues = IssuesFor("security: {mode: hosted}");
  std::vector<std::string> keys;
  for (const auto& issue : issues) keys.push_back(issue.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"server.mcp.transport", "server.mcp.auth.enabled",
                                            "server.http.auth.enabled", "security.kms_key_env"}));

  const std::string hosted = R"(
security: {mode: hosted}
server:
  http: {auth: {enabled: true}}
  mcp:
    transport: http
    auth:
      enabled: true
      tokens: [{name: ci, role: reader, token_env: CI_TOKEN}]
)";
  Environment env{{"DOCRUNCH_JWT_SECRET", std::string(32, 'j')},
                  {"DOCRUNCH_KMS_KEY", kKms},
                  {"CI_TOKEN", "tok"}};
  EXPECT_TRUE(IssuesFor(hosted, env).empty());
  env["DOCRUNCH_KMS_KEY"] = "too-short";
  ConfigIssue issue = OnlyIssue(hosted, env);
  EXPECT_EQ(issue.key, "security.kms_key_env");
  EXPECT_THAT(issue.message, HasSubstr("32-byte key"));
  EXPECT_THAT(issue.message, ::testing::Not(HasSubstr("too-short")));
  env.erase("CI_TOKEN");
  env["DOCRUNCH_KMS_KEY"] = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";  // base64, 32 bytes
  EXPECT_EQ(OnlyIssue(hosted, env).key, "server.mcp.auth.tokens[0].token_env");
}

TEST(Rules, RelatedNumbersMustAgree) {
  EXPECT_EQ(OnlyIssue("storage: {sync: {backoff_seconds: 300}}").key,
            "storage.sync.backoff_seconds");
  EXPECT_EQ(OnlyIssue("storage: {lightrag: {chunk_size: 200, chunk_overlap: 200}}").key,
            "storage.lightrag.chunk_overlap");
  EXPECT_EQ(OnlyIssue("storage: {sync: {targets: [index, lightrag]}}").key, "storage.sync.targets");
  EXPECT_EQ(OnlyIssue("server: {mcp: {transport: http, port: 3333}}").key, "server.mcp.port");
}

}  // namespace
}  // namespace docrunch::config
