// Each doctor check alone (its inputs built here), and `docrunch doctor`
// against the real binary: the JSON shape, exit codes, an unreachable
// PostgreSQL failing with the reason within its timeout, and the TLS proxy
// reached over a real TLS connection (openssl s_server).
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include <unistd.h>

#include "../app/app_test_util.h"
#include "llm/key_check.h"
#include "llm/secret_box.h"
#include "ops/doctor.h"
#include "store_test_env.h"

namespace docrunch::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(DoctorChecks, SchemaPassesOnlyWhenCurrent) {
  store::SchemaStatus s;
  s.current_version = 13;
  s.latest_version = 13;
  EXPECT_EQ(ops::CheckSchema(s).status, "pass");
  s.current_version = 12;
  s.pending.push_back({13, "x"});
  auto behind = ops::CheckSchema(s);
  EXPECT_EQ(behind.status, "fail");
  EXPECT_EQ(behind.fix, "docrunch db migrate");
  s.current_version = 14;
  EXPECT_EQ(ops::CheckSchema(s).status, "fail");
  auto down = ops::CheckSchema(MakeError(ErrorCode::kStorageUnavailable, "cannot reach 1.2.3.4"));
  EXPECT_EQ(down.status, "fail");
  EXPECT_THAT(down.reason, HasSubstr("cannot reach 1.2.3.4"));
}

TEST(DoctorChecks, AuditOffWarnsLocallyAndFailsHosted) {
  config::Config c;
  EXPECT_EQ(ops::CheckAudit(c, false).status, "pass");
  c.audit.enabled = false;
  EXPECT_EQ(ops::CheckAudit(c, false).status, "warn");
  EXPECT_EQ(ops::CheckAudit(c, true).status, "fail");
}

TEST(DoctorChecks, CostBudgetsSkipWithoutProvidersAndWarnWithoutBudgets) {
  config::Config c;
  auto none = ops::CheckCostBudgets(c, std::nullopt);
  EXPECT_EQ(none.status, "pass");
  EXPECT_THAT(none.reason, HasSubstr("skipped"));
  EXPECT_EQ(ops::CheckCostBudgets(c, 0).status, "pass");
  EXPECT_EQ(ops::CheckCostBudgets(c, 2).status, "warn");
  c.cost.alerts.daily_limit = 20;
  EXPECT_EQ(ops::CheckCostBudgets(c, 2).status, "pass");
  c.cost.alerts.thresholds.clear();
  EXPECT_EQ(ops::CheckCostBudgets(c, 2).status, "warn");
}

TEST(DoctorChecks, SnapshotAgeFollowsTheRetentionPolicy) {
  config::RollbackConfig r;
  const TimePoint now = *ParseIso8601("2026-12-06T12:00:00Z");
  EXPECT_EQ(ops::CheckSnapshotAge(r, std::nullopt, now).status, "warn");
  EXPECT_EQ(ops::CheckSnapshotAge(r, now - std::chrono::hours(24 * 3), now).status, "pass");
  auto old = ops::CheckSnapshotAge(r, now - std::chrono::hours(24 * 31), now);
  EXPECT_EQ(old.status, "warn");
  EXPECT_THAT(old.reason, HasSubstr("31 day(s) old"));
  r.enabled = false;
  EXPECT_EQ(ops::CheckSnapshotAge(r, now, now).status, "warn");
}

TEST(DoctorChecks, ListenersMustBeLoopbackOrInternal) {
  for (const char* host : {"127.0.0.1", "localhost", "::1", "10.1.2.3", "172.20.0.5", "192.168.1.9",
                           "fd00::1", "/var/run/postgresql"}) {
    EXPECT_TRUE(ops::IsInternalHost(host)) << host;
    EXPECT_EQ(ops::CheckListener("rest", host, true, true).status, "pass") << host;
  }
  for (const char* host : {"0.0.0.0", "::", "", "8.8.8.8", "172.32.0.1", "2001:4860::1"}) {
    EXPECT_FALSE(ops::IsInternalHost(host)) << host;
    EXPECT_EQ(ops::CheckListener("rest", host, true, true).status, "fail") << host;
  }
  // Local mode: beyond loopback with auth is a warning, without it a failure.
  EXPECT_EQ(ops::CheckListener("mcp", "0.0.0.0", false, true).status, "warn");
  EXPECT_EQ(ops::CheckListener("mcp", "0.0.0.0", false, false).status, "fail");
}

TEST(DoctorChecks, KmsKeyMustBeThirtyTwoBytes) {
  EXPECT_TRUE(ops::ValidateKmsKey(std::string(64, 'a')));
  EXPECT_TRUE(ops::ValidateKmsKey("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="));
  EXPECT_TRUE(ops::ValidateKmsKey("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"));
  EXPECT_FALSE(ops::ValidateKmsKey("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd"));  // 29 bytes
  EXPECT_FALSE(ops::ValidateKmsKey("not a key!"));
  EXPECT_FALSE(ops::ValidateKmsKey(std::string(63, 'a')));
  config::Config c;
  config::Environment env;
  EXPECT_EQ(ops::CheckKmsKey(c, env, false).status, "warn");
  EXPECT_EQ(ops::CheckKmsKey(c, env, true).status, "fail");
  env["DOCRUNCH_KMS_KEY"] = "short";
  auto bad = ops::CheckKmsKey(c, env, false);
  EXPECT_EQ(bad.status, "fail");
  EXPECT_THAT(bad.reason, Not(HasSubstr("short")));  // the value is never shown
  env["DOCRUNCH_KMS_KEY"] = std::string(64, 'f');
  EXPECT_EQ(ops::CheckKmsKey(c, env, true).status, "pass");
}

TEST(DoctorChecks, HostedMcpNeedsHttpAuthAndRateLimits) {
  config::Config c;
  EXPECT_EQ(ops::CheckMcpTransport(c, false).status, "pass");
  EXPECT_EQ(ops::CheckMcpTransport(c, true).status, "fail");  // stdio
  c.server.mcp.transport = config::McpTransport::kHttp;
  EXPECT_EQ(ops::CheckMcpTransport(c, true).status, "fail");  // no auth
  c.server.mcp.auth.enabled = true;
  EXPECT_EQ(ops::CheckMcpTransport(c, true).status, "pass");
  c.server.mcp.rate_limit.writes_per_minute = 0;
  EXPECT_EQ(ops::CheckMcpTransport(c, true).status, "fail");
}

TEST(DoctorChecks, ReaderRoleWithAWriteToolFails) {
  std::vector<ops::ToolAccess> tools{{"search_docs", true, true}, {"claim_task", false, false}};
  EXPECT_EQ(ops::CheckReaderRole(tools).status, "pass");
  tools.push_back({"record_decision", true, false});
  auto bad = ops::CheckReaderRole(tools);
  EXPECT_EQ(bad.status, "fail");
  EXPECT_THAT(bad.reason, HasSubstr("record_decision"));
}

TEST(DoctorChecks, BackendsMapHealthToStatuses) {
  obs::HealthReport report;
  report.backends = {{"sqlite", "healthy"},
                     {"redis", "not_configured"},
                     {"markdown", "degraded"},
                     {"lightrag", "down"}};
  report.backends[3].last_error = "connection refused";
  auto checks = ops::CheckBackends(report);
  ASSERT_EQ(checks.size(), 4u);
  EXPECT_EQ(checks[0].status, "pass");
  EXPECT_EQ(checks[1].status, "pass");
  EXPECT_EQ(checks[2].status, "warn");
  EXPECT_EQ(checks[3].status, "fail");
  EXPECT_THAT(checks[3].reason, HasSubstr("connection refused"));
}

TEST(DoctorChecks, OutboxLagBeyondItsSlaWarns) {
  sync::SyncStatus s;
  EXPECT_EQ(ops::CheckOutboxLag(s).status, "pass");
  s.reports.pending = 3;
  s.reports.oldest_pending_s = 90;
  s.reports.sla_breached = true;
  auto late = ops::CheckOutboxLag(s);
  EXPECT_EQ(late.status, "warn");
  EXPECT_THAT(late.reason, HasSubstr("3 events pending, oldest report 90 s"));
}

TEST(DoctorChecks, SnapshotDiskNeedsRoomForTheNextSnapshot) {
  TempDir dir;
  EXPECT_EQ(ops::CheckSnapshotDisk(dir.path() / "not/yet", 1 << 20).status, "pass");
  EXPECT_EQ(ops::CheckSnapshotDisk(dir.path(), std::uint64_t{1} << 62).status, "fail");
}

TEST(DoctorChecks, ExitCodeIsTheWorstStatus) {
  EXPECT_EQ(ops::DoctorExitCode({ops::Pass("a", "")}), 0);
  EXPECT_EQ(ops::DoctorExitCode({ops::Pass("a", ""), ops::Warn("b", "", "")}), 1);
  EXPECT_EQ(ops::DoctorExitCode({ops::Fail("c", "", ""), ops::Warn("b", "", "")}), 2);
}

class DoctorCommand : public ProjectTest {};

TEST_F(DoctorCommand, JsonListsEveryCheckAndTheExitCodeFollowsTheWorst) {
  Init({"--template", "minimal"});
  dir_.Write("app/main.py", "def main():\n    return 1\n");
  ASSERT_EQ(Docrunch({"scan"}).exit_code, 0);
  ProcessResult r = Docrunch({"doctor", "--json"});
  json out = json::parse(r.out);
  ASSERT_TRUE(out["checks"].is_array());
  std::set<std::string> names;
  int worst = 0;
  for (const auto& c : out["checks"]) {
    ASSERT_TRUE(c["name"].is_string() && c["status"].is_string() && c["reason"].is_string() &&
                c["fix"].is_string())
        << c.dump();
    names.insert(c["name"]);
    worst = std::max(worst, c["status"] == "fail" ? 2 : c["status"] == "warn" ? 1 : 0);
  }
  for (const char* n :
       {"schema", "audit", "cost_budgets", "snapshot", "snapshot_disk", "listener:rest",
        "tls_proxy", "kms_key", "mcp_transport", "reader_role", "backend:sqlite", "outbox_lag"}) {
    EXPECT_TRUE(names.count(n)) << n << " in " << r.out;
  }
  EXPECT_EQ(r.exit_code, worst);
  // No snapshot yet and no KMS key: warnings (exit 1), no failure.
  EXPECT_EQ(r.exit_code, 1) << r.out;
  ASSERT_EQ(Docrunch({"snapshot", "create"}).exit_code, 0);
  ProcessResult text = Docrunch({"doctor"}, {{"DOCRUNCH_KMS_KEY", std::string(64, 'a')}});
  EXPECT_EQ(text.exit_code, 0) << text.out;
  EXPECT_THAT(text.out, HasSubstr("pass  schema: schema current"));
  EXPECT_THAT(text.out, HasSubstr("0 warnings, 0 failures"));
}

TEST_F(DoctorCommand, UnreachablePostgresFailsWithTheReasonWithinTheTimeout) {
  Init({"--template", "minimal"});
  dir_.Write(".docrunch/config.yaml",
             "storage:\n  backend: postgres\n  postgres_url_env: PG_URL\n  connect_timeout: 2s\n");
  // A port nothing listens on, and an address that never answers (TEST-NET).
  for (const char* url : {"postgresql://docrunch:pw-secret@127.0.0.1:1/docrunch",
                          "postgresql://docrunch:pw-secret@192.0.2.1:5432/docrunch"}) {
    ProcessResult r = Docrunch({"doctor", "--json"}, {{"PG_URL", url}});
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_LT(r.elapsed, std::chrono::seconds(15)) << url;
    json out = json::parse(r.out);
    EXPECT_EQ(out["checks"][0]["name"], "schema");
    EXPECT_EQ(out["checks"][0]["status"], "fail");
    EXPECT_THAT(out["checks"][0]["reason"].get<std::string>(), HasSubstr("cannot"));
    EXPECT_THAT(r.out + r.err, Not(HasSubstr("pw-secret")));
  }
}

TEST_F(DoctorCommand, HostedChecksTheTlsProxyByConnecting) {
  if (testing::Run({"sh", "-c", "command -v openssl"}).exit_code != 0) GTEST_SKIP() << "no openssl";
  Init({"--template", "minimal"});
  ASSERT_EQ(
      testing::Run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj",
                    "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", "-days", "1",
                    "-keyout", (dir_ / "key.pem").string(), "-out", (dir_ / "cert.pem").string()})
          .exit_code,
      0);
  auto tls = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> args{"doctor", "--hosted", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    json out = json::parse(Docrunch(args).out);
    for (const auto& c : out["checks"]) {
      if (c["name"] == "tls_proxy") return c;
    }
    return json();
  };
  EXPECT_EQ(tls({})["status"], "warn");
  EXPECT_EQ(tls({"--public-url", "http://localhost:1"})["status"], "fail");
  // Nothing listens yet.
  const int port = 20000 + (getpid() % 20000);
  const std::string url = "https://localhost:" + std::to_string(port) + "/";
  json refused = tls({"--public-url", url, "--cacert", (dir_ / "cert.pem").string()});
  EXPECT_EQ(refused["status"], "fail");
  // A real TLS endpoint in front.
  const std::string script = "exec openssl s_server -quiet -www -accept " + std::to_string(port) +
                             " -cert cert.pem -key key.pem";
  ProcessOptions options;
  options.cwd = dir_.path();
  std::thread server([&] {
    testing::Run({"sh", "-c", script + " & echo $! > server.pid; wait"}, options);
  });
  for (int i = 0; i < 100 && !fs::exists(dir_ / "server.pid"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  json ok;
  for (int i = 0; i < 20; ++i) {  // until s_server listens
    ok = tls({"--public-url", url, "--cacert", (dir_ / "cert.pem").string()});
    if (ok["status"] == "pass") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(ok["status"], "pass") << ok.dump();
  // Without the CA the self-signed certificate is refused.
  EXPECT_EQ(tls({"--public-url", url})["status"], "fail");
  testing::Run({"sh", "-c", "kill $(cat server.pid)"}, options);
  server.join();
}

// Once secrets are sealed, the key must open their check value: a key of
// the right form that sealed nothing here fails, and no key is shown.
class DoctorKmsKey : public store::StoreTest {};

TEST_P(DoctorKmsKey, AKeyThatDoesNotOpenTheStoredSecretsFails) {
  MigrateStore();
  config::Config c;
  const std::string sealing(64, 'a'), other(64, 'b');
  config::Environment env{{"DOCRUNCH_KMS_KEY", sealing}};
  auto nothing = ops::CheckKmsKey(c, env, true, store_.get());
  EXPECT_EQ(nothing.status, "pass") << nothing.reason;  // nothing sealed yet: its form is enough
  auto key = llm::LoadKey(env, "DOCRUNCH_KMS_KEY");
  ASSERT_TRUE(key.ok()) << key.error().ToString();
  llm::SecretBox box(std::move(*key));
  auto sealed = store_->Transact(
      [&](store::Tx& tx) { return llm::EnsureKeyCheck(tx, box, "DOCRUNCH_KMS_KEY"); });
  ASSERT_TRUE(sealed.ok()) << sealed.error().ToString();
  auto right = ops::CheckKmsKey(c, env, true, store_.get());
  EXPECT_EQ(right.status, "pass") << right.reason;
  EXPECT_THAT(right.reason, HasSubstr("sealed check"));
  env["DOCRUNCH_KMS_KEY"] = other;
  auto wrong = ops::CheckKmsKey(c, env, true, store_.get());
  EXPECT_EQ(wrong.status, "fail") << wrong.reason;
  EXPECT_THAT(wrong.reason, HasSubstr("DOCRUNCH_KMS_KEY"));
  for (const std::string& k : {sealing, other}) {
    EXPECT_THAT(wrong.reason + wrong.fix, Not(HasSubstr(k)));
  }
  // Without the database, only the form is checked.
  EXPECT_EQ(ops::CheckKmsKey(c, env, true).status, "pass");
}

INSTANTIATE_TEST_SUITE_P(Backends, DoctorKmsKey, ::testing::Values("sqlite", "postgres"),
                         store::BackendParamName);

}  // namespace
}  // namespace docrunch::testing
