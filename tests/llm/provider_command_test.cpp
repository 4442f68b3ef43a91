// `docrunch provider|profile|secrets` through the real binary: keys only
// from a variable or stdin (a literal is refused without being echoed),
// masked lists, a missing, malformed or wrong KMS key reported before any
// provider call, `provider test` against the stand-in, rotation, and a
// rotation killed (SIGKILL) in the middle of its transaction leaving every
// secret readable with the old key, on SQLite and PostgreSQL. After each
// test the plaintext keys are searched for in everything the commands
// printed (with --debug logging) and in the database's files or tables.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>

#include <nlohmann/json.hpp>

#include "app/app_test_util.h"
#include "llm_standin.h"

extern char** environ;

namespace docrunch::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kKms = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const std::string kNewKms = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
const std::string kOpenAiKey = "sk-live-PLAINTEXT-0001-wxyz";
const std::string kOtherKey = "sk-ant-PLAINTEXT-0002-abcd";

class ProviderCommand : public ProjectTest, public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override {
    ASSERT_GT(standin_.port(), 0);
    Init();
    if (GetParam() == "postgres") {
      admin_ = EnvOr("DOCRUNCH_TEST_POSTGRES_URL");
      if (admin_.empty()) GTEST_SKIP() << "DOCRUNCH_TEST_POSTGRES_URL not set";
      db_ = "llm_" + dir_.path().filename().string().substr(14);
      for (char& c : db_) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      ASSERT_EQ(testing::Run({"psql", admin_, "-qc", "CREATE DATABASE " + db_}).exit_code, 0);
      pg_url_ = admin_.substr(0, admin_.rfind('/') + 1) + db_;
      dir_.Write(".docrunch/config.yaml",
                 "storage:\n  backend: postgres\n  postgres_url_env: PG_URL\n");
    }
    ProcessResult migrated = Cli({"db", "migrate"});
    ASSERT_EQ(migrated.exit_code, 0) << migrated.err;
  }
  void TearDown() override {
    if (!db_.empty())
      testing::Run({"psql", admin_, "-qc", "DROP DATABASE " + db_ + " WITH (FORCE)"});
  }

  // docrunch with --debug logging, the test's variables, and `extra` (a
  // value "" unsets that variable).
  ProcessResult Cli(std::vector<std::string> args, std::map<std::string, std::string> extra = {},
                    const std::string& input = "") {
    ProcessOptions o;
    o.cwd = dir_.path();
    o.env = {{"DOCRUNCH_KMS_KEY", kKms},
             {"MY_OPENAI_KEY", kOpenAiKey},
             {"MY_OTHER_KEY", kOtherKey},
             {"NEW_KMS", kNewKms}};
    if (!pg_url_.empty()) o.env["PG_URL"] = pg_url_;
    o.unset_env = {"DOCRUNCH_CONFIG", "DOCRUNCH_DEBUG"};
    for (auto& [k, v] : extra) {
      if (v.empty()) {
        o.env.erase(k);
        o.unset_env.push_back(k);
      } else {
        o.env[k] = v;
      }
    }
    o.stdin_data = input;
    args.insert(args.begin(), "--debug");
    ProcessResult r = RunDocrunch(args, o);
    printed_ += r.out + r.err;
    return r;
  }

  void AddOpenAi(const std::string& name = "openai") {
    ProcessResult r = Cli({"provider", "add", name, "--type", "openai", "--model", "gpt-4o-mini",
                           "--base-url", standin_.url() + "/v1", "--api-key-env", "MY_OPENAI_KEY"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  void AddAnthropicFromStdin() {
    ProcessResult r = Cli({"provider", "add", "claude", "--type", "anthropic", "--model",
                           "claude-sonnet-4-5", "--base-url", standin_.url(), "--api-key-stdin"},
                          {}, kOtherKey + "\n");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // Everything the database holds: the SQLite files, or a pg_dump.
  std::string DatabaseBytes() {
    if (!pg_url_.empty()) return testing::Run({"pg_dump", pg_url_}).out;
    return dir_.Read(".docrunch/docrunch.db") + ReadFile(dir_ / ".docrunch/docrunch.db-wal");
  }

  // The plaintext keys appear in nothing printed and nowhere in the database.
  void ExpectNoPlaintextAnywhere() {
    const std::string db = DatabaseBytes();
    ASSERT_FALSE(db.empty());
    EXPECT_THAT(db, HasSubstr("drsb1.")) << "ciphertext is stored";
    for (const std::string& key : {kOpenAiKey, kOtherKey, kKms, kNewKms}) {
      EXPECT_THAT(printed_, Not(HasSubstr(key)));
      EXPECT_THAT(db, Not(HasSubstr(key)));
    }
    EXPECT_THAT(printed_ + db, Not(HasSubstr("PLAINTEXT")));
  }

  LlmStandIn standin_{kOpenAiKey};
  std::string admin_, db_, pg_url_;
  std::string printed_;
};

TEST_P(ProviderCommand, AddsFromAVariableOrStdinAndListsOnlyMasks) {
  AddOpenAi();
  AddAnthropicFromStdin();
  ProcessResult list = Cli({"provider", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("openai  openai  gpt-4o-mini"));
  EXPECT_THAT(list.out, HasSubstr("key sk-…wxyz"));
  EXPECT_THAT(list.out, HasSubstr("key sk-…abcd"));
  ProcessResult js = Cli({"provider", "list", "--json"});
  json providers = json::parse(js.out, nullptr, false);
  ASSERT_TRUE(providers.is_array()) << js.out;
  ASSERT_EQ(providers.size(), 2u);
  EXPECT_EQ(providers[0]["name"], "claude");
  EXPECT_EQ(providers[0]["type"], "anthropic");
  EXPECT_EQ(providers[0]["api_key"], "sk-…abcd");
  EXPECT_EQ(providers[1]["api_key"], "sk-…wxyz");
  EXPECT_EQ(providers[1]["enabled"], true);
  ProcessResult shown = Cli({"config", "show"});
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
  ProcessResult status = Cli({"secrets", "status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  json s = json::parse(status.out, nullptr, false);
  EXPECT_EQ(s["state"], "ok");
  EXPECT_EQ(s["secrets"], 2);
  EXPECT_EQ(s["variable"], "DOCRUNCH_KMS_KEY");
  ExpectNoPlaintextAnywhere();
}

TEST_P(ProviderCommand, ALiteralKeyIsRefusedWithoutBeingEchoed) {
  ProcessResult r =
      Cli({"provider", "add", "p", "--type", "openai", "--model", "m", "--api-key", kOpenAiKey});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--api-key: literal keys are refused"));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr(kOpenAiKey)));
  ProcessResult unset = Cli({"provider", "add", "p", "--type", "openai", "--model", "m",
                             "--api-key-env", "NOT_SET_ANYWHERE"});
  EXPECT_EQ(unset.exit_code, 2);
  EXPECT_THAT(unset.err, HasSubstr("NOT_SET_ANYWHERE is not set"));
  ProcessResult typo = Cli({"provider", "add", "p", "--type", "antropic", "--model", "m",
                            "--api-key-env", "MY_OPENAI_KEY"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_THAT(typo.err, HasSubstr("type: unknown provider type 'antropic'; did you mean "
                                  "'anthropic'?"));
  ProcessResult url = Cli({"provider", "add", "p", "--type", "openai-compatible", "--model", "m",
                           "--base-url", "ftp://example.com/v1"});
  EXPECT_EQ(url.exit_code, 2);
  EXPECT_THAT(url.err, HasSubstr("base_url: URL scheme must be one of https, http"));
  EXPECT_EQ(json::parse(Cli({"provider", "list", "--json"}).out).size(), 0u);
  EXPECT_THAT(printed_, Not(HasSubstr(kOpenAiKey)));
}

TEST_P(ProviderCommand, AMissingMalformedOrWrongKeyIsReportedBeforeAnyCall) {
  AddOpenAi();
  const int before = standin_.Requests();
  ProcessResult missing = Cli({"provider", "test", "openai"}, {{"DOCRUNCH_KMS_KEY", ""}});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("KMS_KEY_INVALID: environment variable DOCRUNCH_KMS_KEY "
                                     "(security.kms_key_env) is not set"));
  ProcessResult malformed =
      Cli({"provider", "test", "openai"}, {{"DOCRUNCH_KMS_KEY", "hunter2-not-a-key"}});
  EXPECT_EQ(malformed.exit_code, 2);
  EXPECT_THAT(malformed.err, HasSubstr("KMS_KEY_INVALID"));
  EXPECT_THAT(malformed.err, HasSubstr("must hold a 32-byte key"));
  EXPECT_THAT(malformed.err, Not(HasSubstr("hunter2")));
  ProcessResult wrong = Cli({"provider", "test", "openai"}, {{"DOCRUNCH_KMS_KEY", kNewKms}});
  EXPECT_EQ(wrong.exit_code, 2);
  EXPECT_THAT(wrong.err, HasSubstr("KMS_KEY_INVALID"));
  EXPECT_THAT(wrong.err, HasSubstr("DOCRUNCH_KMS_KEY holds key id"));
  EXPECT_THAT(wrong.err, HasSubstr("were sealed with key id"));
  ProcessResult add = Cli({"provider", "add", "second", "--type", "openai", "--model", "m",
                           "--api-key-env", "MY_OTHER_KEY"},
                          {{"DOCRUNCH_KMS_KEY", kNewKms}});
  EXPECT_EQ(add.exit_code, 2) << "nothing is sealed with a wrong key";
  ProcessResult status = Cli({"secrets", "status"}, {{"DOCRUNCH_KMS_KEY", kNewKms}});
  EXPECT_EQ(status.exit_code, 2);
  EXPECT_THAT(status.out, HasSubstr("DOCRUNCH_KMS_KEY: wrong"));
  EXPECT_EQ(standin_.Requests(), before) << "no provider was called";
  EXPECT_EQ(json::parse(Cli({"provider", "list", "--json"}).out).size(), 1u);
  ExpectNoPlaintextAnywhere();
}

TEST_P(ProviderCommand, ServeReportsAWrongKeyAtStartUp) {
  ProcessResult quiet = Cli({"serve", "--stdio"}, {{"DOCRUNCH_KMS_KEY", kNewKms}});
  EXPECT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_THAT(quiet.err, Not(HasSubstr("secrets cannot be opened"))) << "nothing is stored yet";
  AddOpenAi();
  ProcessResult wrong = Cli({"serve", "--stdio"}, {{"DOCRUNCH_KMS_KEY", kNewKms}});
  EXPECT_EQ(wrong.exit_code, 0) << "local mode: a warning, serving goes on";
  EXPECT_THAT(wrong.err, HasSubstr("warning: provider secrets cannot be opened: environment "
                                   "variable DOCRUNCH_KMS_KEY holds key id"));
  ProcessResult missing = Cli({"serve", "--stdio"}, {{"DOCRUNCH_KMS_KEY", ""}});
  EXPECT_THAT(missing.err, HasSubstr("DOCRUNCH_KMS_KEY (security.kms_key_env) is not set"));
  ProcessResult right = Cli({"serve", "--stdio"});
  EXPECT_THAT(right.err, Not(HasSubstr("secrets cannot be opened")));
  ExpectNoPlaintextAnywhere();
}

TEST_P(ProviderCommand, TestMakesOneRealCallAndReportsTheAnswerOrTheError) {
  AddOpenAi();
  ProcessResult ok = Cli({"provider", "test", "openai", "--json"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  json answer = json::parse(ok.out, nullptr, false);
  EXPECT_EQ(answer["ok"], true);
  EXPECT_EQ(answer["answer"], "pong: Reply with the single word: pong");
  EXPECT_EQ(answer["model"], "gpt-4o-mini-0001");
  EXPECT_GE(answer["latency_ms"].get<int>(), 0);
  EXPECT_EQ(standin_.Last()["headers"]["authorization"], "Bearer " + kOpenAiKey)
      << "the key reached the provider";
  ProcessResult text = Cli({"provider", "test", "openai"});
  EXPECT_THAT(text.out, HasSubstr("ok openai (gpt-4o-mini-0001) in "));

  // The provider's error, with the key it echoes scrubbed.
  standin_.Script(json::array({{{"mode", "echo_key"}}}));
  ProcessResult echoed = Cli({"provider", "test", "openai"});
  EXPECT_EQ(echoed.exit_code, 1);
  EXPECT_THAT(echoed.err, HasSubstr("LLM_PROVIDER_ERROR"));
  EXPECT_THAT(echoed.err, HasSubstr("HTTP 401: Incorrect API key provided: [redacted]"));

  ProcessResult off = Cli({"provider", "update", "openai", "--disable"});
  ASSERT_EQ(off.exit_code, 0) << off.err;
  ProcessResult disabled = Cli({"provider", "test", "openai"});
  EXPECT_EQ(disabled.exit_code, 2);
  EXPECT_THAT(disabled.err, HasSubstr("'openai' is disabled"));
  ExpectNoPlaintextAnywhere();
}

// Every call goes through the cost ledger: recorded in llm_calls at the
// configured price, and refused before it is sent once a hard-stop budget
// would be exceeded.
TEST_P(ProviderCommand, CallsAreRecordedAndAHardStopBudgetRefusesTheNextOneBeforeItIsSent) {
  std::string config =
      GetParam() == "postgres" ? "storage:\n  backend: postgres\n  postgres_url_env: PG_URL\n" : "";
  // $1 a token; a `provider test` is estimated at 8 prompt + 32 answer
  // tokens ($40) and the stand-in reports 6 + 7 ($13).
  config +=
      "llm:\n  pricing:\n    gpt-4o-mini: {input_per_1k: 1000, output_per_1k: 1000}\n"
      "cost:\n  hard_stop: true\n  budgets:\n"
      "    - {scope: provider, name: openai, period: day, limit_usd: 50}\n";
  dir_.Write(".docrunch/config.yaml", config);
  AddOpenAi();
  ProcessResult first = Cli({"provider", "test", "openai"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  json spent = json::parse(Cli({"cost", "--json"}).out, nullptr, false);
  ASSERT_TRUE(spent.is_object());
  EXPECT_EQ(spent["calls"], 1);
  EXPECT_DOUBLE_EQ(spent["total_usd"].get<double>(), 13.0);
  EXPECT_EQ(spent["rows"][0]["provider"], "openai");
  EXPECT_EQ(spent["rows"][0]["input_tokens"], 6);
  EXPECT_EQ(spent["rows"][0]["output_tokens"], 7);
  // $13 spent + $40 estimated > $50: refused. Were it sent, the stand-in
  // would answer 401.
  standin_.Script(json::array({{{"mode", "echo_key"}}}));
  ProcessResult second = Cli({"provider", "test", "openai"});
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_THAT(second.err, HasSubstr("LLM_BUDGET_EXCEEDED"));
  EXPECT_THAT(second.err, HasSubstr("provider:openai:day"));
  EXPECT_THAT(second.err, Not(HasSubstr("HTTP 401")));
  json after = json::parse(Cli({"cost", "--json"}).out, nullptr, false);
  EXPECT_EQ(after["calls"], 1) << "a refused call is recorded apart, not as spend";
  EXPECT_DOUBLE_EQ(after["budgets"][0]["spent_usd"].get<double>(), 13.0);
  ExpectNoPlaintextAnywhere();
}

TEST_P(ProviderCommand, ProfilesSetListAndRemove) {
  AddOpenAi();
  ProcessResult set = Cli({"profile", "set", "qa", "--provider", "openai", "--temperature", "0.2",
                           "--max-tokens", "300", "--system-prompt", "Check the tests."});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  json profiles = json::parse(Cli({"profile", "list", "--json"}).out, nullptr, false);
  ASSERT_EQ(profiles.size(), 1u);
  EXPECT_EQ(profiles[0]["role"], "qa");
  EXPECT_EQ(profiles[0]["provider"], "openai");
  EXPECT_EQ(profiles[0]["max_tokens"], 300);
  EXPECT_EQ(profiles[0]["system_prompt"], "Check the tests.");
  ProcessResult busy = Cli({"provider", "remove", "openai"});
  EXPECT_EQ(busy.exit_code, 1);
  EXPECT_THAT(busy.err, HasSubstr("used by the profile(s) qa"));
  EXPECT_EQ(Cli({"profile", "set", "tester", "--provider", "openai"}).exit_code, 2);
  ASSERT_EQ(Cli({"profile", "remove", "qa"}).exit_code, 0);
  ASSERT_EQ(Cli({"provider", "remove", "openai"}).exit_code, 0);
  EXPECT_EQ(json::parse(Cli({"provider", "list", "--json"}).out).size(), 0u);
}

TEST_P(ProviderCommand, RotateMovesEverySecretToTheNewKey) {
  AddOpenAi();
  AddAnthropicFromStdin();
  ProcessResult rotated = Cli({"secrets", "rotate", "--new-key-env", "NEW_KMS"});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  EXPECT_THAT(rotated.out, HasSubstr("re-sealed 2 secrets"));
  EXPECT_EQ(Cli({"provider", "test", "openai"}).exit_code, 2) << "the old key no longer opens";
  ProcessResult with_new = Cli({"provider", "test", "openai"}, {{"DOCRUNCH_KMS_KEY", kNewKms}});
  EXPECT_EQ(with_new.exit_code, 0) << with_new.err;
  EXPECT_EQ(standin_.Last()["headers"]["authorization"], "Bearer " + kOpenAiKey);
  ProcessResult same = Cli({"secrets", "rotate", "--new-key-env", "DOCRUNCH_KMS_KEY"},
                           {{"DOCRUNCH_KMS_KEY", kNewKms}});
  EXPECT_EQ(same.exit_code, 2);
  ExpectNoPlaintextAnywhere();
}

// Starts docrunch with `env` added; its stderr readable from `err_fd`.
pid_t Spawn(const std::filesystem::path& cwd, const std::vector<std::string>& args,
            const std::map<std::string, std::string>& env, int& err_fd) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(cwd.c_str()) != 0) _exit(126);
    dup2(pipe_fds[1], STDERR_FILENO);
    int null = open("/dev/null", O_RDWR);
    dup2(null, STDOUT_FILENO);
    dup2(null, STDIN_FILENO);
    close(pipe_fds[0]);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    unsetenv("DOCRUNCH_CONFIG");
    std::vector<std::string> all{DocrunchBinary()};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  err_fd = pipe_fds[0];
  return pid;
}

TEST_P(ProviderCommand, ARotationKilledMidTransactionLeavesEverySecretUnderTheOldKey) {
  AddOpenAi("a");
  AddOpenAi("b");
  AddOpenAi("c");
  std::map<std::string, std::string> env{
      {"DOCRUNCH_KMS_KEY", kKms}, {"NEW_KMS", kNewKms}, {"DOCRUNCH_TEST_ROTATE_PAUSE_AFTER", "2"}};
  if (!pg_url_.empty()) env["PG_URL"] = pg_url_;
  int err_fd = -1;
  pid_t pid = Spawn(dir_.path(), {"secrets", "rotate", "--new-key-env", "NEW_KMS"}, env, err_fd);
  ASSERT_GT(pid, 0);
  std::string err;
  char buf[512];
  // Until the whole line is in: stderr may arrive in pieces.
  auto paused_line = [&err] {
    auto at = err.find("rotation paused");
    return at != std::string::npos && err.find('\n', at) != std::string::npos;
  };
  while (!paused_line()) {
    ssize_t n = read(err_fd, buf, sizeof buf);
    if (n <= 0) break;
    err.append(buf, static_cast<std::size_t>(n));
  }
  ASSERT_THAT(err, HasSubstr("rotation paused after 2 secrets"));
  kill(pid, SIGKILL);  // two of three secrets re-sealed, inside the open transaction
  int status = 0;
  waitpid(pid, &status, 0);
  close(err_fd);
  ASSERT_TRUE(WIFSIGNALED(status));

  ProcessResult check = Cli({"secrets", "status", "--json"});
  ASSERT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_EQ(json::parse(check.out)["state"], "ok") << "still the old key";
  for (const char* name : {"a", "b", "c"}) {
    ProcessResult test = Cli({"provider", "test", name});
    EXPECT_EQ(test.exit_code, 0) << name << ": " << test.err;
  }
  // An injected failure after two secrets rolls back too; a clean run then finishes.
  ProcessResult failed = Cli({"secrets", "rotate", "--new-key-env", "NEW_KMS"},
                             {{"DOCRUNCH_TEST_ROTATE_FAIL_AFTER", "2"}});
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_THAT(failed.err, HasSubstr("injected failure after 2 secrets"));
  EXPECT_EQ(Cli({"provider", "test", "c"}).exit_code, 0);
  ProcessResult rotated = Cli({"secrets", "rotate", "--new-key-env", "NEW_KMS"});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  for (const char* name : {"a", "b", "c"}) {
    EXPECT_EQ(Cli({"provider", "test", name}, {{"DOCRUNCH_KMS_KEY", kNewKms}}).exit_code, 0);
  }
  ExpectNoPlaintextAnywhere();
}

INSTANTIATE_TEST_SUITE_P(Backends, ProviderCommand, ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace docrunch::testing
