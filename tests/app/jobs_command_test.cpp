// docrunch jobs status|enqueue and worker start --queue fast, as a user
// runs them: a job's id alone on stdout, idempotency keys, a worker that
// applies a job's effect, failures that stay queued, and bad input.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "../scan/scan_fixture.h"
#include "app_test_util.h"

namespace docrunch::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

class JobsCommand : public ProjectTest {
 protected:
  void SetUp() override {
    WriteSampleRepository(dir_);
    Init({"--template", "minimal"});
  }
  std::string EnqueueOk(std::vector<std::string> args) {
    args.insert(args.begin(), {"jobs", "enqueue"});
    ProcessResult r = Docrunch(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
  json Status() {
    ProcessResult r = Docrunch({"jobs", "status", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? json::parse(r.out) : json::object();
  }
  std::int64_t Waiting() { return Status()["queues"][0]["waiting"].get<std::int64_t>(); }
};

TEST_F(JobsCommand, AWorkerAppliesAQueuedJob) {
  // A scan with the sync off leaves its outbox events unapplied: no pages.
  ProcessResult scan = Docrunch({"--set", "storage.sync.enabled=false", "scan", "--quiet"});
  ASSERT_EQ(scan.exit_code, 0) << scan.err;
  EXPECT_FALSE(fs::exists(dir_ / "docrunch-docs/index.md"));

  std::string id = EnqueueOk({"sync-apply"});
  EXPECT_THAT(id, MatchesRegex("db:[0-9]+\n")) << "the id alone, for scripts";
  EXPECT_EQ(Waiting(), 1);
  ProcessResult worked = Docrunch({"worker", "start", "--queue", "fast", "--once"});
  ASSERT_EQ(worked.exit_code, 0) << worked.err;
  EXPECT_THAT(worked.out, HasSubstr("done 1, skipped 0, failed 0"));
  EXPECT_TRUE(fs::exists(dir_ / "docrunch-docs/index.md")) << "the job applied the outbox";
  EXPECT_EQ(Waiting(), 0);
}

TEST_F(JobsCommand, AKeyQueuesOnceAndItsEffectRunsOnce) {
  ASSERT_EQ(Docrunch({"scan", "--quiet"}).exit_code, 0);
  std::string first = EnqueueOk({"sync-apply", "--key", "after-scan-1"});
  EXPECT_EQ(EnqueueOk({"sync-apply", "--key", "after-scan-1"}), first);
  ASSERT_EQ(Docrunch({"worker", "start", "--queue", "fast", "--once"}).exit_code, 0);
  // Queued again after it ran: taken, and acknowledged without running.
  EXPECT_NE(EnqueueOk({"sync-apply", "--key", "after-scan-1"}), first);
  ProcessResult again = Docrunch({"worker", "start", "--queue", "fast", "--once"});
  EXPECT_THAT(again.out, HasSubstr("done 0, skipped 1, failed 0"));
}

TEST_F(JobsCommand, AFailingJobStaysQueuedWithItsReason) {
  ASSERT_EQ(Docrunch({"scan", "--quiet"}).exit_code, 0);
  EnqueueOk({"publish-task", "--payload", R"({"task_id": "not-a-task"})"});
  ProcessResult worked = Docrunch({"worker", "start", "--queue", "fast", "--once"});
  ASSERT_EQ(worked.exit_code, 0) << worked.err;
  EXPECT_THAT(worked.out, HasSubstr("failed 1"));
  EXPECT_THAT(worked.err, HasSubstr("task_id: expected a task id"));
  EXPECT_EQ(Waiting(), 1) << "offered again after its retry delay";
  ProcessResult listed = Docrunch({"jobs", "list", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  json jobs = json::parse(listed.out);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0]["type"], "publish-task");
  EXPECT_EQ(jobs[0]["status"], "waiting");
  EXPECT_EQ(jobs[0]["deliveries"], 1);
  EXPECT_THAT(jobs[0]["last_error"].get<std::string>(), HasSubstr("task_id: expected a task id"));
  EXPECT_THAT(Docrunch({"jobs", "list", "--status", "dead"}).out,
              HasSubstr("no jobs dead in fast"));
  ProcessResult bad = Docrunch({"jobs", "list", "--status", "lost"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("status: expected waiting, taken or dead"));
}

// jobs.backend: redis puts Redis Streams in front of the database's queue;
// a Redis that does not answer leaves the work queued in the database.
TEST_F(JobsCommand, WithRedisJobsGoThroughItsStreamAndFallBackWhenItIsAway) {
  const char* url = std::getenv("DOCRUNCH_TEST_REDIS_URL");
  if (url == nullptr || *url == '\0') GTEST_SKIP() << "DOCRUNCH_TEST_REDIS_URL not set";
  ASSERT_EQ(Docrunch({"scan", "--quiet"}).exit_code, 0);
  const std::string prefix = "jobs-cli-" + std::to_string(::getpid());
  auto with = [&](const std::string& redis_url, std::vector<std::string> args) {
    std::vector<std::string> full{"--set", "jobs.backend=redis",
                                  "--set", "jobs.redis_url_env=DOCRUNCH_E2E_JOBS_REDIS",
                                  "--set", "jobs.queue_name=" + prefix};
    full.insert(full.end(), args.begin(), args.end());
    return Docrunch(full, {{"DOCRUNCH_E2E_JOBS_REDIS", redis_url}});
  };
  ProcessResult queued = with(url, {"jobs", "enqueue", "sync-apply"});
  ASSERT_EQ(queued.exit_code, 0) << queued.err;
  EXPECT_THAT(queued.out, MatchesRegex("redis:[0-9]+-[0-9]+\n"));
  ProcessResult away = with("redis://127.0.0.1:1", {"jobs", "enqueue", "sync-apply"});
  ASSERT_EQ(away.exit_code, 0) << away.err;
  EXPECT_THAT(away.out, MatchesRegex("db:[0-9]+\n")) << "queued in the database instead";
  EXPECT_THAT(away.err, HasSubstr("queueing in the database until Redis answers"));
  ProcessResult worked = with(url, {"worker", "start", "--queue", "fast", "--once"});
  ASSERT_EQ(worked.exit_code, 0) << worked.err;
  EXPECT_THAT(worked.out, HasSubstr("done 2, skipped 0, failed 0")) << "both backends drained";
  ProcessResult status = with(url, {"jobs", "status"});
  EXPECT_THAT(status.out, HasSubstr("fast queue on the redis"));
  EXPECT_THAT(status.out, HasSubstr("fast: 0 waiting, 0 taken, 0 dead"));
}

TEST_F(JobsCommand, BadInputIsRefusedAndQueuesNothing) {
  auto refused = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"jobs", "enqueue"});
    ProcessResult r = Docrunch(args);
    EXPECT_EQ(r.exit_code, 2) << r.out;
    return r.err;
  };
  EXPECT_THAT(refused({"no-such-type"}), HasSubstr("type: unknown job type 'no-such-type'"));
  EXPECT_THAT(refused({"sync-apply", "--payload", "{nope"}), HasSubstr("payload: not valid JSON"));
  EXPECT_THAT(refused({"sync-apply", "--queue", "Not A Queue"}), HasSubstr("queue: 'Not A Queue'"));
  EXPECT_THAT(refused({"sync-apply", "--lane", "sideways"}), HasSubstr("--lane: expected fast"));
  EXPECT_THAT(refused({"repo-scan", "--payload", R"({"full": 1})"}),
              HasSubstr("runs as a durable workflow (6 steps): input.full: expected true or "
                        "false"));
  EXPECT_THAT(refused({"analysis", "--payload", R"({"paths": "x"})"}),
              HasSubstr("input.paths: expected a list"));
  EXPECT_THAT(refused({"repo-scan", "--lane", "fast"}), HasSubstr("cannot run on the fast queue"));
  EXPECT_EQ(Waiting(), 0);
  ProcessResult workflows = Docrunch({"workflows", "list", "--json"});
  EXPECT_EQ(workflows.out, "[]\n") << "and starts no workflow";
  // The router's other lane starts a workflow run.
  ProcessResult routed = Docrunch({"jobs", "enqueue", "repo-scan"});
  EXPECT_EQ(routed.exit_code, 0) << routed.err;
  EXPECT_THAT(routed.out, ::testing::MatchesRegex("wf-[0-9a-f]{16}\n"));
  ProcessResult worker = Docrunch({"worker", "start", "--queue", "slow"});
  EXPECT_EQ(worker.exit_code, 2);
  EXPECT_THAT(worker.err, HasSubstr("the queues are sync and fast"));
  // The job types and where each goes.
  json status = Status();
  std::map<std::string, std::string> lanes;
  for (const auto& t : status["job_types"]) lanes[t["name"]] = t["lane"];
  EXPECT_EQ(lanes["sync-apply"], "fast");
  EXPECT_EQ(lanes["repo-scan"], "workflow");
}

}  // namespace
}  // namespace docrunch::testing
