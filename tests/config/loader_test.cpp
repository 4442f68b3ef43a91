#include <gtest/gtest.h>

#include "config/schema.h"
#include "config/templates.h"
#include "config_test_util.h"

namespace docrunch::config {
namespace {

using ::testing::HasSubstr;

TEST(LoadConfig, EmptyFileGivesDefaults) {
  LoadedConfig loaded = LoadOk("");
  const Config& c = loaded.config;
  EXPECT_EQ(c.storage.backend, StorageBackend::kSqlite);
  EXPECT_EQ(c.storage.sqlite_path, ".docrunch/docrunch.db");
  EXPECT_EQ(c.server.http.port, 3333);
  EXPECT_EQ(c.server.mcp.port, 3334);
  EXPECT_EQ(c.server.mcp.transport, McpTransport::kStdio);
  EXPECT_EQ(c.tasks.claim_ttl.value, std::chrono::minutes(30));
  EXPECT_EQ(c.storage.sync.max_retries, 5);
  EXPECT_EQ(c.rollback.retention.max_snapshots, 50);
  EXPECT_EQ(loaded.project_root, "/project");
}

TEST(LoadConfig, ReadsEveryKindOfValue) {
  LoadedConfig loaded = LoadOk(R"(
project: {name: demo}
scanning:
  languages: [python, typescript]
  max_file_size_kb: 200
storage:
  connect_timeout: 10s
  lightrag: {enabled: true, base_url: "http://127.0.0.1:9621", chunk_size: 500, chunk_overlap: 50}
jobs:
  scheduler: {enabled: true, scan_cron: "0 */6 * * *"}
server:
  mcp:
    transport: http
    auth:
      enabled: true
      tokens:
        - {name: claude-agent, role: agent, token_env: CLAUDE_TOKEN}
llm:
  pricing:
    gpt-4o-mini: {input_per_1k: 0.00015, output_per_1k: 0.0006}
cost:
  alerts: {thresholds: [50, 90]}
)",
                               {{"CLAUDE_TOKEN", "t0ken"}});
  const Config& c = loaded.config;
  EXPECT_EQ(c.project.name, "demo");
  EXPECT_EQ(c.scanning.languages, (std::vector<std::string>{"python", "typescript"}));
  EXPECT_EQ(c.scanning.max_file_size_kb, 200);
  EXPECT_EQ(c.storage.connect_timeout.value, std::chrono::seconds(10));
  EXPECT_TRUE(c.storage.lightrag.enabled);
  EXPECT_EQ(c.jobs.scheduler.scan_cron, "0 */6 * * *");
  EXPECT_EQ(c.server.mcp.transport, McpTransport::kHttp);
  ASSERT_EQ(c.server.mcp.auth.tokens.size(), 1u);
  EXPECT_EQ(c.server.mcp.auth.tokens[0].role, Role::kAgent);
  EXPECT_DOUBLE_EQ(c.llm.pricing.at("gpt-4o-mini").output_per_1k, 0.0006);
  EXPECT_EQ(c.cost.alerts.thresholds, (std::vector<int>{50, 90}));
  EXPECT_EQ(loaded.origins.at("scanning.max_file_size_kb"), Origin::kFile);
  EXPECT_EQ(loaded.origins.count("server.http.port"), 0u);
}

TEST(LoadConfig, ErrorNamesFileLineColumnAndKeyPath) {
  ConfigIssue issue = OnlyIssue("server:\n  mcp:\n    port: 70000\n");
  EXPECT_EQ(issue.source, kTestFile);
  EXPECT_EQ(issue.line, 3);
  EXPECT_EQ(issue.column, 11);
  EXPECT_EQ(issue.key, "server.mcp.port");
  EXPECT_THAT(issue.message, HasSubstr("between 1 and 65535"));
  EXPECT_EQ(issue.ToString(), std::string(kTestFile) +
                                  ":3:11: server.mcp.port: must be between 1 and 65535, got 70000");
}

TEST(LoadConfig, UnknownKeySuggestsTheClosest) {
  ConfigIssue issue = OnlyIssue("storage:\n  backnd: sqlite\n");
  EXPECT_EQ(issue.key, "storage.backnd");
  EXPECT_EQ(issue.line, 2);
  EXPECT_EQ(issue.column, 3);
  EXPECT_THAT(issue.message, HasSubstr("unknown key 'backnd'"));
  EXPECT_THAT(issue.message, HasSubstr("did you mean 'backend'?"));
  EXPECT_THAT(OnlyIssue("servr: {}\n").message, HasSubstr("did you mean 'server'?"));
  EXPECT_THAT(OnlyIssue("zzz: 1\n").message, ::testing::Not(HasSubstr("did you mean")));
}

TEST(LoadConfig, WrongTypesAreNamed) {
  EXPECT_THAT(OnlyIssue("server: {http: {port: abc}}").message, HasSubstr("expected an integer"));
  EXPECT_THAT(OnlyIssue("audit: {enabled: maybe}").message, HasSubstr("expected true or false"));
  EXPECT_THAT(OnlyIssue("scanning: {languages: python}").message, HasSubstr("expected a list"));
  EXPECT_THAT(OnlyIssue("storage: [1, 2]").message, HasSubstr("expected a mapping"));
  EXPECT_THAT(OnlyIssue("project: {name: [a]}").message, HasSubstr("expected a string"));
  EXPECT_THAT(OnlyIssue("llm: {budgets: {daily_usd: lots}}").message,
              HasSubstr("expected a number"));
  EXPECT_THAT(OnlyIssue("cost: {alerts: {thresholds: [80, x]}}").key, "cost.alerts.thresholds[1]");
}

TEST(LoadConfig, EnumsListTheirValues) {
  ConfigIssue issue = OnlyIssue("storage: {backend: sqllite}");
  EXPECT_EQ(issue.key, "storage.backend");
  EXPECT_THAT(issue.message, HasSubstr("must be one of sqlite, postgres"));
  EXPECT_THAT(issue.message, HasSubstr("did you mean 'sqlite'?"));
  EXPECT_EQ(OnlyIssue("scanning: {languages: [python, pyhton]}").key, "scanning.languages[1]");
  EXPECT_THAT(OnlyIssue("logging: {level: verbose}").message, HasSubstr("must be one of trace"));
}

// Values are shown and sent as JSON: bytes that are not UTF-8 are refused
// where they are written, not when a later command prints them.
TEST(LoadConfig, OneYamlDocumentOnly) {
  ConfigIssue issue = OnlyIssue("project:\n  name: a\n---\nproject:\n  name: b\n");
  EXPECT_THAT(issue.message, HasSubstr("2 YAML documents"));
  EXPECT_EQ(issue.line, 4);
  // A trailing --- (an empty document) is fine.
  EXPECT_EQ(LoadOk("project:\n  name: a\n---\n# end\n").config.project.name, "a");
}

TEST(LoadConfig, TextMustBeUtf8) {
  ConfigIssue issue = OnlyIssue("project: {description: \"caf\xe9\"}");
  EXPECT_EQ(issue.key, "project.description");
  EXPECT_THAT(issue.message, HasSubstr("must be valid UTF-8"));
  EXPECT_EQ(OnlyIssue("scanning: {ignore: [\"ok\", \"\xff\"]}").key, "scanning.ignore[1]");
}

TEST(LoadConfig, ChecksRangesUrlsDurationsAndCron) {
  EXPECT_THAT(OnlyIssue("server: {mcp: {port: 0}}").message, HasSubstr("between 1 and 65535"));
  EXPECT_THAT(OnlyIssue("storage: {lightrag: {base_url: 'not a url'}}").message,
              HasSubstr("not a valid URL"));
  EXPECT_THAT(OnlyIssue("storage: {lightrag: {base_url: 'ftp://x'}}").message,
              HasSubstr("scheme must be one of http, https"));
  EXPECT_THAT(OnlyIssue("tasks: {claim_ttl: soon}").message, HasSubstr("expected a duration"));
  EXPECT_THAT(OnlyIssue("tasks: {claim_ttl: 5s}").message, HasSubstr("between 1m and"));
  EXPECT_THAT(OnlyIssue("jobs: {scheduler: {scan_cron: '0 25 * * *'}}").message,
              HasSubstr("hour field"));
  EXPECT_THAT(OnlyIssue("server: {http: {base_path: api}}").message, HasSubstr("start with '/'"));
}

TEST(LoadConfig, LiteralSecretsPointToEnvReferences) {
  ConfigIssue issue = OnlyIssue("storage:\n  lightrag:\n    api_key: sk-abc123\n");
  EXPECT_EQ(issue.key, "storage.lightrag.api_key");
  EXPECT_THAT(issue.message, HasSubstr("api_key_env: VAR_NAME"));
  EXPECT_THAT(issue.message, ::testing::Not(HasSubstr("sk-abc123")));

  issue = OnlyIssue("storage: {postgres_url: 'postgres://u:hunter2@db/x'}");
  EXPECT_EQ(issue.key, "storage.postgres_url");
  EXPECT_THAT(issue.message, HasSubstr("password"));
  EXPECT_THAT(issue.message, HasSubstr("postgres_url_env"));
  EXPECT_THAT(issue.message, ::testing::Not(HasSubstr("hunter2")));
  // libpq reads a password from the query too.
  issue =
      OnlyIssue("storage: {postgres_url: 'postgres://u@db/x?sslmode=require&password=hunter2'}");
  EXPECT_THAT(issue.message, HasSubstr("postgres_url_env"));
  EXPECT_THAT(issue.message, ::testing::Not(HasSubstr("hunter2")));
  // A URL without an _env twin points to the key that exists.
  issue = OnlyIssue("storage: {lightrag: {base_url: 'http://u:pw@127.0.0.1:9621'}}");
  EXPECT_THAT(issue.message, HasSubstr("api_key_env"));
  EXPECT_THAT(issue.message, ::testing::Not(HasSubstr("base_url_env")));

  issue = OnlyIssue("security: {kms_key_env: 'c2VjcmV0LWtleS1tYXRlcmlhbA=='}");
  EXPECT_THAT(issue.message, HasSubstr("environment variable"));
  EXPECT_THAT(issue.message, ::testing::Not(HasSubstr("c2VjcmV0")));
}

TEST(LoadConfig, MalformedYamlIsLocated) {
  ConfigIssue issue = OnlyIssue("storage:\n  backend: [sqlite\n");
  EXPECT_THAT(issue.message, HasSubstr("invalid YAML"));
  EXPECT_GT(issue.line, 0);
  EXPECT_THAT(OnlyIssue("just a string").message, HasSubstr("must be a mapping"));
}

TEST(LoadConfig, DuplicateKeysAreReported) {
  auto issues = IssuesFor("audit:\n  enabled: true\n  enabled: false\n");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].line, 3);
  EXPECT_THAT(issues[0].message, HasSubstr("duplicate key"));
}

TEST(LoadConfig, ReportsEveryProblemAtOnce) {
  auto issues = IssuesFor("server: {http: {port: 0}, mcp: {port: 99999}}\nstorage: {backnd: x}\n");
  EXPECT_EQ(issues.size(), 3u);
}

TEST(Overlays, EnvironmentBeatsFileAndFlagsBeatEnvironment) {
  const std::string file = "server:\n  mcp:\n    port: 4000\n";
  EXPECT_EQ(LoadOk(file).config.server.mcp.port, 4000);
  Environment env{{"DOCRUNCH_SERVER__MCP__PORT", "4100"}};
  LoadedConfig from_env = LoadOk(file, env);
  EXPECT_EQ(from_env.config.server.mcp.port, 4100);
  EXPECT_EQ(from_env.origins.at("server.mcp.port"), Origin::kEnvironment);
  LoadedConfig from_flag = LoadOk(file, env, {"server.mcp.port=4200"});
  EXPECT_EQ(from_flag.config.server.mcp.port, 4200);
  EXPECT_EQ(from_flag.origins.at("server.mcp.port"), Origin::kFlag);
  EXPECT_EQ(LoadOk("", {{"DOCRUNCH_SCANNING__LANGUAGES", "[go, rust]"}}).config.scanning.languages,
            (std::vector<std::string>{"go", "rust"}));
}

TEST(Overlays, BadOverlayValuesNameTheirSource) {
  ConfigIssue issue = OnlyIssue("", {{"DOCRUNCH_SERVER__MCP__PORT", "seventy"}});
  EXPECT_EQ(issue.source, "environment variable DOCRUNCH_SERVER__MCP__PORT");
  EXPECT_EQ(issue.line, 0);
  EXPECT_THAT(issue.message, HasSubstr("expected an integer"));
  issue = OnlyIssue("", {}, {"server.mcp.prot=1"});
  EXPECT_EQ(issue.source, "flag --set server.mcp.prot");
  EXPECT_THAT(issue.message, HasSubstr("did you mean 'port'?"));
  issue = OnlyIssue("", {{"DOCRUNCH_STORAGE__BACKNED", "postgres"}});
  EXPECT_THAT(issue.message, HasSubstr("did you mean 'backend'?"));
  // An empty --set is an empty value, not the default in disguise; an empty
  // environment variable is an unset one.
  issue = OnlyIssue("server: {mcp: {port: 5000}}", {}, {"server.mcp.port="});
  EXPECT_EQ(issue.key, "server.mcp.port");
  EXPECT_THAT(issue.message, HasSubstr("expected an integer"));
  EXPECT_EQ(LoadOk("server: {mcp: {port: 5000}}", {{"DOCRUNCH_SERVER__MCP__PORT", ""}})
                .config.server.mcp.port,
            5000);
  // A list or map value's problem is inside it, and still the overlay's.
  issue = OnlyIssue("", {}, {"scanning.languages=[kotlin]"});
  EXPECT_EQ(issue.key, "scanning.languages[0]");
  EXPECT_EQ(issue.source, "flag --set scanning.languages");
  EXPECT_EQ(issue.line, 0);
  issue = OnlyIssue("", {{"DOCRUNCH_COST__ALERTS__THRESHOLDS", "[-1]"}});
  EXPECT_EQ(issue.source, "environment variable DOCRUNCH_COST__ALERTS__THRESHOLDS");
  EXPECT_EQ(issue.line, 0);
}

TEST(Overlays, PlainDocrunchVariablesAreNotOverlays) {
  // DOCRUNCH_CONFIG, DOCRUNCH_DEBUG, DOCRUNCH_KMS_KEY... carry no "__".
  EXPECT_TRUE(IssuesFor("", {{"DOCRUNCH_DEBUG", "1"}, {"DOCRUNCH_KMS_KEY", "x"}}).empty());
}

class InitTemplates : public ::testing::TestWithParam<InitTemplate> {};

TEST_P(InitTemplates, WrittenConfigIsValid) {
  for (const auto& file : InitFiles(GetParam(), "my \"quoted\" project")) {
    if (file.name != "config.yaml") continue;
    LoadedConfig loaded = LoadOk(file.content);
    EXPECT_EQ(loaded.config.project.name, "my \"quoted\" project");
  }
}

INSTANTIATE_TEST_SUITE_P(All, InitTemplates,
                         ::testing::Values(InitTemplate::kMinimal, InitTemplate::kStandard,
                                           InitTemplate::kFull));

TEST(LoadConfig, McpHttpSessionIdleAndHeaderTimeoutAreDurationsInRange) {
  const Config defaults = LoadOk("").config;
  EXPECT_EQ(defaults.server.mcp.session_idle.value, std::chrono::minutes(30));
  EXPECT_EQ(defaults.server.mcp.header_timeout.value, std::chrono::seconds(10));
  const Config set = LoadOk("server: {mcp: {session_idle: 90s, header_timeout: 500ms}}").config;
  EXPECT_EQ(set.server.mcp.session_idle.value, std::chrono::seconds(90));
  EXPECT_EQ(set.server.mcp.header_timeout.value, std::chrono::milliseconds(500));
  ConfigIssue idle = OnlyIssue("server: {mcp: {session_idle: 0s}}");
  EXPECT_EQ(idle.key, "server.mcp.session_idle");
  EXPECT_THAT(idle.message, HasSubstr("between"));
  EXPECT_EQ(OnlyIssue("server: {mcp: {header_timeout: 1h}}").key, "server.mcp.header_timeout");
  EXPECT_THAT(OnlyIssue("server: {mcp: {header_timeout: soon}}").message,
              HasSubstr("expected a duration"));
}

TEST(LoadConfig, RateLimitsOfZeroMeanNoLimitAndNegativesAreRefused) {
  const Config off =
      LoadOk("server: {mcp: {rate_limit: {queries_per_minute: 0, writes_per_minute: 0}}}").config;
  EXPECT_EQ(off.server.mcp.rate_limit.queries_per_minute, 0);
  EXPECT_EQ(off.server.mcp.rate_limit.writes_per_minute, 0);
  EXPECT_EQ(OnlyIssue("server: {mcp: {rate_limit: {writes_per_minute: -1}}}").key,
            "server.mcp.rate_limit.writes_per_minute");
}

}  // namespace
}  // namespace docrunch::config

namespace docrunch::config {
namespace {

TEST(SearchEmbeddings, ValidatedAndTheKeyComesOnlyFromTheEnvironment) {
  LoadedConfig defaults = LoadOk("");
  EXPECT_FALSE(defaults.config.search.embeddings.enabled);
  EXPECT_EQ(defaults.config.search.embeddings.batch_size, 64);
  EXPECT_EQ(OnlyIssue("search: {embeddings: {base_url: 'ftp://x'}}").key,
            "search.embeddings.base_url");
  EXPECT_EQ(OnlyIssue("search: {embeddings: {dimensions: -1}}").key,
            "search.embeddings.dimensions");
  EXPECT_EQ(OnlyIssue("search: {embeddings: {batch_size: 0}}").key, "search.embeddings.batch_size");
  EXPECT_EQ(OnlyIssue("search: {embeddings: {enabled: true, model: ''}}").key,
            "search.embeddings.model");
  ConfigIssue missing = OnlyIssue("search: {embeddings: {enabled: true, api_key_env: EMBED_KEY}}");
  EXPECT_EQ(missing.key, "search.embeddings.api_key_env");
  EXPECT_THAT(missing.message, HasSubstr("EMBED_KEY is not set"));
  ConfigIssue literal = OnlyIssue("search: {embeddings: {api_key: sk-live-123}}");
  EXPECT_EQ(literal.key, "search.embeddings.api_key");
  EXPECT_THAT(literal.message, ::testing::Not(HasSubstr("sk-live-123")));
  LoadedConfig with_key = LoadOk("search: {embeddings: {enabled: true, api_key_env: EMBED_KEY}}",
                                 {{"EMBED_KEY", "sk-from-env"}});
  EXPECT_EQ(with_key.config.search.embeddings.api_key, "sk-from-env");
}

TEST(CliProxySection, DefaultsRangesAndTheKeyOnlyByVariable) {
  LoadedConfig defaults = LoadOk("");
  const auto& p = defaults.config.cli_proxy;
  EXPECT_EQ(p.host, "localhost");
  EXPECT_EQ(p.port, 9999);
  EXPECT_EQ(p.api_key_env, "CLI_PROXY_API_KEY");
  EXPECT_EQ(p.max_concurrent, 4);
  EXPECT_EQ(p.models_file, ".docrunch/cli_models.json");
  EXPECT_EQ(OnlyIssue("cli_proxy: {port: 70000}").key, "cli_proxy.port");
  EXPECT_EQ(OnlyIssue("cli_proxy: {max_concurrent: 0}").key, "cli_proxy.max_concurrent");
  EXPECT_EQ(OnlyIssue("cli_proxy: {url: 'ftp://x'}").key, "cli_proxy.url");
  EXPECT_EQ(OnlyIssue("cli_proxy: {api_key_env: 'not a name'}").key, "cli_proxy.api_key_env");
  EXPECT_EQ(OnlyIssue("cli_proxy: {default_timeout: 1h, max_timeout: 10m}").key,
            "cli_proxy.default_timeout");
  ConfigIssue literal = OnlyIssue("cli_proxy: {api_key: k-123}");
  EXPECT_EQ(literal.key, "cli_proxy.api_key");
  EXPECT_THAT(literal.message, ::testing::Not(HasSubstr("k-123")));
  LoadedConfig set = LoadOk("cli_proxy: {port: 9000, url: 'http://127.0.0.1:9000'}");
  EXPECT_EQ(set.config.cli_proxy.port, 9000);
  EXPECT_EQ(set.config.cli_proxy.url, "http://127.0.0.1:9000");
}

}  // namespace
}  // namespace docrunch::config

// jobs.schedules: a list of {name, cron, job, input}, each problem located
// at its line and column.
namespace docrunch::config {
namespace {

TEST(Schedules, ReadsTheList) {
  LoadedConfig loaded = LoadOk(R"(
jobs:
  visibility_timeout: 5s
  schedules:
    - {name: nightly-sync, cron: "0 3 * * *", job: sync-apply}
    - name: approvals
      cron: "*/15 9-17 * * mon-fri"
      job: demo
      input: '{"title": "weekly", "timeout_s": 60}'
  scheduler: {lease: 3s}
workflows: {lease: 4s}
)");
  const auto& s = loaded.config.jobs.schedules;
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].name, "nightly-sync");
  EXPECT_EQ(s[0].input, "{}");
  EXPECT_EQ(s[1].job, "demo");
  EXPECT_EQ(s[1].input, R"({"title": "weekly", "timeout_s": 60})");
  EXPECT_EQ(loaded.config.jobs.visibility_timeout.value, std::chrono::seconds(5));
  EXPECT_EQ(loaded.config.workflows.lease.value, std::chrono::seconds(4));
  EXPECT_EQ(loaded.config.jobs.scheduler.lease.value, std::chrono::seconds(3));
}

TEST(Schedules, BadCronIsLocated) {
  ConfigIssue issue = OnlyIssue(
      "jobs:\n  schedules:\n    - name: a\n      cron: \"61 * * * *\"\n      job: sync-apply\n");
  EXPECT_EQ(issue.key, "jobs.schedules[0].cron");
  EXPECT_EQ(issue.line, 4);
  EXPECT_EQ(issue.column, 13);
  EXPECT_THAT(issue.message, HasSubstr("minute field '61'"));
  EXPECT_THAT(issue.ToString(), HasSubstr("config.yaml:4:13: jobs.schedules[0].cron"));
  EXPECT_THAT(OnlyIssue("jobs: {schedules: [{name: a, cron: '@dayly', job: mark}]}").message,
              HasSubstr("did you mean '@daily'"));
}

TEST(Schedules, UnknownJobTypeIsLocatedWithASuggestion) {
  ConfigIssue issue = OnlyIssue(
      "jobs:\n  schedules:\n    - name: a\n      cron: '@hourly'\n      job: sync-aply\n");
  EXPECT_EQ(issue.key, "jobs.schedules[0].job");
  EXPECT_EQ(issue.line, 5);
  EXPECT_THAT(issue.message, HasSubstr("sync-apply"));
}

TEST(Schedules, DuplicateAndMissingFieldsAreReported) {
  ConfigIssue dup = OnlyIssue(
      "jobs:\n  schedules:\n    - {name: a, cron: '@daily', job: mark}\n"
      "    - {name: a, cron: '@hourly', job: mark}\n");
  EXPECT_EQ(dup.key, "jobs.schedules[1].name");
  EXPECT_EQ(dup.line, 4);
  EXPECT_THAT(dup.message, HasSubstr("duplicate schedule name 'a'"));
  auto issues = IssuesFor("jobs: {schedules: [{name: b}]}");
  ASSERT_EQ(issues.size(), 2u);
  EXPECT_EQ(issues[0].key, "jobs.schedules[0].cron");
  EXPECT_EQ(issues[1].key, "jobs.schedules[0].job");
  EXPECT_THAT(issues[0].message, HasSubstr("is required"));
  EXPECT_THAT(
      OnlyIssue("jobs: {schedules: [{name: scheduler.scan, cron: '@daily', job: mark}]}").message,
      HasSubstr("built-in"));
}

TEST(Schedules, InputMustBeAJsonObjectAndKeysAreKnown) {
  EXPECT_THAT(
      OnlyIssue("jobs: {schedules: [{name: a, cron: '@daily', job: mark, input: '[1]'}]}").message,
      HasSubstr("must be a JSON object"));
  EXPECT_THAT(
      OnlyIssue("jobs: {schedules: [{name: a, cron: '@daily', job: mark, input: '{x'}]}").message,
      HasSubstr("not valid JSON"));
  ConfigIssue unknown =
      OnlyIssue("jobs: {schedules: [{name: a, cron: '@daily', job: mark, crn: x}]}");
  EXPECT_EQ(unknown.key, "jobs.schedules[0].crn");
  EXPECT_THAT(OnlyIssue("jobs: {schedules: {name: a}}").message, HasSubstr("expected a list"));
  EXPECT_THAT(OnlyIssue("workflows: {lease: 10ms}").message, HasSubstr("between 1s"));
}

}  // namespace
}  // namespace docrunch::config
