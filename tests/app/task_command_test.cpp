// `docrunch task ...` through the real binary: output, exit codes, reports
// as JSON, published pages, and 32 claiming processes on both backends.
#include <nlohmann/json.hpp>
#include <thread>

#include "app/app_test_util.h"
#include "core/clock.h"
#include "support/temp_dir.h"

namespace docrunch::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

std::string NowIso() {
  return FormatIso8601(std::chrono::system_clock::now());
}

class TaskCommand : public ProjectTest {
 protected:
  void SetUp() override {
    Init();
    ASSERT_EQ(Docrunch({"db", "migrate"}).exit_code, 0);
  }
  ProcessResult Ok(std::vector<std::string> args) {
    ProcessResult r = Docrunch(std::move(args));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return r;
  }
  ProcessResult Report(const std::string& kind, json body) {
    return Docrunch({"task", "report", kind, "--json", body.dump()});
  }
};

TEST_F(TaskCommand, CreateListShowAsTableAndJson) {
  Ok({"task", "create", "--type", "feature", "--title", "Add login form", "--description",
      "Users log in", "--priority", "high"});
  ProcessResult created = Ok({"task", "create", "--type", "bug_fix", "--title", "Fix crash",
                              "--depends-on", "task-1", "--json"});
  EXPECT_EQ(json::parse(created.out)["depends_on"], json::array({"task-1"}));
  ProcessResult table = Ok({"task", "list"});
  EXPECT_THAT(table.out, HasSubstr("ID          STATUS    PRIORITY  TYPE        ASSIGNEE"));
  EXPECT_THAT(table.out, HasSubstr("task-1      todo      high      feature     -"));
  ProcessResult filtered = Ok({"task", "list", "--status", "todo", "--json"});
  EXPECT_EQ(json::parse(filtered.out).size(), 2u);
  ProcessResult available = Ok({"task", "list", "--available", "--json"});
  ASSERT_EQ(json::parse(available.out).size(), 1u);
  EXPECT_EQ(json::parse(available.out)[0]["id"], "task-1");
  ProcessResult show = Ok({"task", "show", "task-2"});
  EXPECT_THAT(show.out, HasSubstr("task-2: Fix crash"));
  EXPECT_THAT(show.out, HasSubstr("Guardrails:\n  - Reproduce the bug"));
  EXPECT_THAT(show.out, HasSubstr("Depends on:\n  - task-1 todo: Add login form"));
  EXPECT_THAT(show.out, HasSubstr("created"));
  ProcessResult bad_status = Docrunch({"task", "list", "--status", "doen"});
  EXPECT_EQ(bad_status.exit_code, 2);
  EXPECT_THAT(bad_status.err, HasSubstr("did you mean 'done'?"));
}

TEST_F(TaskCommand, AgentReportsThroughJsonAndPublishedPages) {
  Ok({"task", "create", "--type", "feature", "--title", "Add login form"});
  json claim{{"task_id", "task-1"}, {"reported_by", "claude-1"}, {"reported_at", NowIso()}};
  ProcessResult claimed = Report("claim", claim);
  ASSERT_EQ(claimed.exit_code, 0) << claimed.err;
  EXPECT_EQ(json::parse(claimed.out)["status"], "working");

  json progress{{"task_id", "task-1"},
                {"percentage", 150},
                {"status", "x"},
                {"reported_by", "claude-1"},
                {"reported_at", NowIso()}};
  ProcessResult bad = Report("progress", progress);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("INVALID_PARAMS: percentage: must be an integer from 0 to 100"));
  progress["reported_by"] = "gemini-2";
  progress["percentage"] = 50;
  ProcessResult intruder = Report("progress", progress);
  EXPECT_EQ(intruder.exit_code, 1);
  EXPECT_THAT(intruder.err, HasSubstr("TASK_NOT_CLAIMANT"));

  json completion{{"task_id", "task-1"},
                  {"summary", "Form with validation"},
                  {"changes", {"src/login.tsx"}},
                  {"tests_passed", true},
                  {"reported_by", "claude-1"},
                  {"reported_at", NowIso()},
                  {"decisions",
                   {{{"title", "Use bcrypt"},
                     {"context", "hashing"},
                     {"decision", "bcrypt"},
                     {"rationale", "standard"}}}}};
  ProcessResult done = Report("complete", completion);
  ASSERT_EQ(done.exit_code, 0) << done.err;
  EXPECT_EQ(json::parse(done.out)["task"]["status"], "review");
  EXPECT_THAT(dir_.Read("docrunch-docs/tasks/task-1.md"), HasSubstr("# task-1: Add login form"));
  EXPECT_THAT(dir_.Read("docrunch-docs/decisions/adr-001.md"), HasSubstr("# adr-001: Use bcrypt"));
  ProcessResult again = Report("complete", completion);
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("TASK_INVALID_TRANSITION"));

  Ok({"task", "approve", "task-1", "--as", "lead"});
  Ok({"task", "move", "task-1", "--to", "done"});
  ProcessResult published = Ok({"task", "publish", "task-1"});
  EXPECT_THAT(published.out, HasSubstr("docrunch-docs/tasks/task-1.md"));
  EXPECT_THAT(dir_.Read("docrunch-docs/tasks/task-1.md"), HasSubstr("| status | done |"));
  ProcessResult shown = Ok({"task", "show", "task-1", "--json"});
  json details = json::parse(shown.out);
  EXPECT_EQ(details["completions"].size(), 1u);
  EXPECT_EQ(details["decisions"][0]["id"], "adr-001");
  std::vector<std::string> actions;
  for (const auto& h : details["history"]) actions.push_back(h["action"]);
  EXPECT_THAT(actions, ::testing::ElementsAre("created", "claim", "complete", "approve", "finish"));
}

TEST_F(TaskCommand, AdminMovesBlockAndErrors) {
  Ok({"task", "create", "--type", "docs", "--title", "Write the guide"});
  Ok({"task", "assign", "task-1", "--to", "codex-1"});
  ProcessResult blocked = Ok({"task", "block", "task-1", "--reason", "waiting for API"});
  EXPECT_THAT(blocked.out, HasSubstr("blocked task-1 (blocked)"));
  ProcessResult unblocked = Ok({"task", "unblock", "task-1"});
  EXPECT_THAT(unblocked.out, HasSubstr("unblocked task-1 (assigned)"));
  ProcessResult illegal = Docrunch({"task", "approve", "task-1"});
  EXPECT_EQ(illegal.exit_code, 1);
  EXPECT_THAT(illegal.err, HasSubstr("TASK_INVALID_TRANSITION: cannot approve task-1: it is "
                                     "assigned and cannot move to approved"));
  ProcessResult missing = Docrunch({"task", "show", "task-404"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("STORAGE_NOT_FOUND: task task-404 not found"));
  ProcessResult path = Docrunch({"task", "show", "../../etc/passwd"});
  EXPECT_EQ(path.exit_code, 2);
  EXPECT_THAT(path.err, HasSubstr("task_id: expected a task id such as task-42"));
  ProcessResult frozen = Docrunch({"task", "deps", "task-1", "--depends-on", "task-1"});
  EXPECT_EQ(frozen.exit_code, 1);
  EXPECT_THAT(frozen.err, HasSubstr("only backlog or todo tasks can change them"));
  Ok({"task", "create", "--type", "docs", "--title", "Second"});
  ProcessResult cycle = Docrunch({"task", "deps", "task-2", "--depends-on", "task-2"});
  EXPECT_EQ(cycle.exit_code, 2);
  EXPECT_THAT(cycle.err, HasSubstr("TASK_DEPENDENCY_CYCLE"));
  ProcessResult not_json = Docrunch({"task", "report", "claim", "--json", "{nope"});
  EXPECT_EQ(not_json.exit_code, 2);
  ProcessResult unknown_type = Docrunch({"task", "create", "--type", "featur", "--title", "x"});
  EXPECT_EQ(unknown_type.exit_code, 2);
  EXPECT_THAT(unknown_type.err, HasSubstr("did you mean 'feature'?"));
}

TEST_F(TaskCommand, InvalidTemplatesAreReportedWithFileLineAndKey) {
  dir_.Write(".docrunch/task_templates.yaml",
             "task_types:\n  feature:\n    review_mode: sometimes\n");
  ProcessResult r = Docrunch({"task", "list"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("task_templates.yaml:3:18: task_types.feature.review_mode: must be "
                               "one of auto, manager, human; got 'sometimes'"));
  ProcessResult validate = Docrunch({"config", "validate"});
  EXPECT_EQ(validate.exit_code, 2);
  EXPECT_THAT(validate.err, HasSubstr("task_types.feature.review_mode"));
}

// 32 `docrunch task claim` processes on one task, per backend.
class TaskClaimProcesses : public ProjectTest, public ::testing::WithParamInterface<std::string> {
 protected:
  void TearDown() override {
    if (!database_.empty()) {
      testing::Run(
          {"psql", admin_, "-qc", "DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)"});
    }
  }
  std::string admin_, database_;
};

TEST_P(TaskClaimProcesses, ExactlyOneOfThirtyTwoProcessesWins) {
  std::map<std::string, std::string> env;
  Init();
  if (GetParam() == "postgres") {
    admin_ = EnvOr("DOCRUNCH_TEST_POSTGRES_URL");
    if (admin_.empty()) GTEST_SKIP() << "DOCRUNCH_TEST_POSTGRES_URL not set";
    database_ = "claims_" + dir_.path().filename().string().substr(14);
    for (char& c : database_) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    ASSERT_EQ(testing::Run({"psql", admin_, "-qc", "CREATE DATABASE " + database_}).exit_code, 0);
    env["PG_URL"] = admin_.substr(0, admin_.rfind('/') + 1) + database_;
    dir_.Write(".docrunch/config.yaml",
               "storage:\n  backend: postgres\n  postgres_url_env: PG_URL\n");
  }
  ASSERT_EQ(Docrunch({"db", "migrate"}, env).exit_code, 0);
  ASSERT_EQ(
      Docrunch({"task", "create", "--type", "feature", "--title", "Contended"}, env).exit_code, 0);

  constexpr int kClaimers = 32;
  std::vector<ProcessResult> results(kClaimers);
  std::vector<std::thread> threads;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kClaimers; ++i) {
    threads.emplace_back([&, i] {
      results[i] = Docrunch({"task", "claim", "task-1", "--as", "agent-" + std::to_string(i)}, env);
    });
  }
  for (auto& t : threads) t.join();
  auto wall = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  int winners = 0, already = 0;
  std::string winner;
  for (int i = 0; i < kClaimers; ++i) {
    if (results[i].exit_code == 0) {
      ++winners;
      winner = "agent-" + std::to_string(i);
    } else if (results[i].exit_code == 1 &&
               results[i].err.find("TASK_ALREADY_CLAIMED") != std::string::npos) {
      ++already;
    } else {
      ADD_FAILURE() << "process " << i << " exit " << results[i].exit_code << ": "
                    << results[i].err;
    }
  }
  std::cout << "[claims] " << GetParam() << " processes: " << kClaimers << " claims, " << winners
            << " winner, " << already << " TASK_ALREADY_CLAIMED, wall " << wall.count() << " ms\n";
  EXPECT_EQ(winners, 1);
  EXPECT_EQ(already, kClaimers - 1);
  ProcessResult shown = Docrunch({"task", "show", "task-1", "--json"}, env);
  json details = json::parse(shown.out);
  EXPECT_EQ(details["assigned_to"], winner);
  int claims = 0;
  for (const auto& h : details["history"]) claims += h["action"] == "claim";
  EXPECT_EQ(claims, 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, TaskClaimProcesses, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace docrunch::testing
