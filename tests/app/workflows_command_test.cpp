// docrunch workflows start|list|show|cancel|signal|run, as a user runs
// them: the demo workflow from start to an approval, a cancellation that
// compensates, and bad input with clear errors and exit codes.
#include <nlohmann/json.hpp>

#include <thread>

#include "../scan/scan_fixture.h"
#include "app_test_util.h"
#include "llm_standin.h"
#include "support/embeddings_standin.h"

namespace docrunch::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

class WorkflowsCommand : public ProjectTest {
 protected:
  void SetUp() override {
    WriteSampleRepository(dir_);
    Init({"--template", "minimal"});
  }
  std::string StartOk(const std::string& input) {
    ProcessResult r = Docrunch({"workflows", "start", "demo", "--input", input});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, MatchesRegex("wf-[0-9a-f]{16}\n")) << "the id alone, for scripts";
    return r.out.empty() ? "" : r.out.substr(0, r.out.size() - 1);
  }
  json Show(const std::string& id, const std::map<std::string, std::string>& env = {}) {
    ProcessResult r = Docrunch({"workflows", "show", id, "--json"}, env);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? json::parse(r.out) : json::object();
  }
  void RunOnce() {
    ProcessResult r = Docrunch({"workflows", "run", "--once"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
};

TEST_F(WorkflowsCommand, TheDemoWaitsForItsApprovalAndCompletes) {
  std::string id = StartOk(R"({"title": "release notes"})");
  EXPECT_EQ(Show(id)["status"], "pending");
  RunOnce();
  json waiting = Show(id);
  EXPECT_EQ(waiting["status"], "waiting");
  EXPECT_EQ(waiting["steps"][0]["status"], "completed");
  EXPECT_EQ(waiting["steps"][1]["kind"], "signal");
  ProcessResult listed = Docrunch({"workflows", "list", "--status", "waiting"});
  EXPECT_THAT(listed.out, HasSubstr(id + "  demo  waiting"));

  ProcessResult signalled =
      Docrunch({"workflows", "signal", id, "approve", "--data", R"({"by": "ann"})"});
  ASSERT_EQ(signalled.exit_code, 0) << signalled.err;
  RunOnce();
  json done = Show(id);
  EXPECT_EQ(done["status"], "completed");
  EXPECT_EQ(done["result"], (json{{"title", "release notes"}, {"approved_by", "ann"}}));
  EXPECT_EQ(done["signals"][0]["data"]["by"], "ann");
  ProcessResult text = Docrunch({"workflows", "show", id});
  EXPECT_THAT(text.out, HasSubstr("3. step publish: completed, 1 attempt"));

  ProcessResult late = Docrunch({"workflows", "signal", id, "approve"});
  EXPECT_EQ(late.exit_code, 1);
  EXPECT_THAT(late.err, HasSubstr("TASK_INVALID_TRANSITION: run " + id +
                                  " is completed: it takes no more signals"));
}

TEST_F(WorkflowsCommand, WorkerStartWorkflowsRunsWhatIsDue) {
  std::string id = StartOk("{}");
  ProcessResult worked = Docrunch({"worker", "start", "--workflows", "--once"});
  ASSERT_EQ(worked.exit_code, 0) << worked.err;
  EXPECT_THAT(worked.out, HasSubstr("ran 1 execution"));
  EXPECT_EQ(Show(id)["status"], "waiting");
}

TEST_F(WorkflowsCommand, CancellingAWaitingRunCompensatesIt) {
  std::string id = StartOk("{}");
  RunOnce();
  ProcessResult cancelled = Docrunch({"workflows", "cancel", id});
  ASSERT_EQ(cancelled.exit_code, 0) << cancelled.err;
  EXPECT_THAT(cancelled.out, HasSubstr("cancellation requested"));
  ProcessResult twice = Docrunch({"workflows", "cancel", id});
  EXPECT_EQ(twice.exit_code, 1);
  EXPECT_THAT(twice.err, HasSubstr("cancellation was already requested"));
  RunOnce();
  json run = Show(id);
  EXPECT_EQ(run["status"], "cancelled");
  EXPECT_EQ(run["steps"][0]["status"], "compensated");
}

TEST_F(WorkflowsCommand, BadInputGetsClearErrors) {
  ProcessResult unknown = Docrunch({"workflows", "start", "nope"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("workflow: 'nope' is not a registered workflow"));
  ProcessResult malformed = Docrunch({"workflows", "start", "demo", "--input", "{x"});
  EXPECT_EQ(malformed.exit_code, 2);
  EXPECT_THAT(malformed.err, HasSubstr("input: not valid JSON"));
  ProcessResult missing = Docrunch({"workflows", "show", "wf-0000000000000000"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_THAT(missing.err, HasSubstr("STORAGE_NOT_FOUND"));
  ProcessResult status = Docrunch({"workflows", "list", "--status", "asleep"});
  EXPECT_EQ(status.exit_code, 2);
  EXPECT_THAT(status.err, HasSubstr("status: 'asleep'"));
  ProcessResult listed = Docrunch({"workflows", "list", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(json::parse(listed.out), json::array()) << "nothing was started";
}

class AiTaskWorkflowCommand : public WorkflowsCommand {
 protected:
  std::string StartAiTask(const std::string& input) {
    ProcessResult r = Docrunch({"workflows", "start", "ai-task", "--input", input});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out.empty() ? "" : r.out.substr(0, r.out.size() - 1);
  }
  std::string TaskStatus(const std::string& id) {
    ProcessResult r = Docrunch({"task", "show", id, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? json::parse(r.out)["status"].get<std::string>() : "";
  }
  void CreateTask() {
    ProcessResult r =
        Docrunch({"task", "create", "--type", "feature", "--title", "Add the export button"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
};

TEST_F(AiTaskWorkflowCommand, ClaimsCompletesWaitsForApprovalAndPublishes) {
  CreateTask();
  std::string id = StartAiTask(R"({"task_id": "task-1", "agent": "bot", "summary": "Done."})");
  RunOnce();
  json waiting = Show(id);
  ASSERT_EQ(waiting["status"], "waiting") << waiting.dump();
  EXPECT_EQ(TaskStatus("task-1"), "review");
  std::vector<std::string> names;
  for (const auto& s : waiting["steps"]) names.push_back(s["name"]);
  EXPECT_THAT(names, ::testing::ElementsAre("claim", "specialist", "complete", "approve|reject"));
  EXPECT_THAT(waiting["steps"][1]["result"]["llm"].get<std::string>(),
              HasSubstr("not configured: no profile for the role 'manager'"));
  EXPECT_EQ(waiting["steps"][1]["result"]["summary"], "Done.") << "the input's summary";

  ASSERT_EQ(
      Docrunch({"workflows", "signal", id, "approve", "--data", R"({"by": "ann"})"}).exit_code, 0);
  RunOnce();
  json done = Show(id);
  EXPECT_EQ(done["status"], "completed") << done.dump();
  EXPECT_EQ(done["result"]["approved_by"], "ann");
  EXPECT_EQ(TaskStatus("task-1"), "done");
  EXPECT_TRUE(std::filesystem::exists(dir_ / "docrunch-docs/tasks/task-1.md"))
      << "published through the outbox";
}

TEST_F(AiTaskWorkflowCommand, ARejectionUndoesTheRunAndTheTaskGoesBackToTodo) {
  CreateTask();
  std::string id = StartAiTask(R"({"task_id": "task-1"})");
  RunOnce();
  ASSERT_EQ(Docrunch({"workflows", "signal", id, "reject", "--data",
                      R"({"by": "ann", "reason": "no tests"})"})
                .exit_code,
            0);
  RunOnce();
  json run = Show(id);
  EXPECT_EQ(run["status"], "compensated") << run.dump();
  EXPECT_THAT(run["error"].get<std::string>(), HasSubstr("rejected by ann: no tests"));
  EXPECT_EQ(TaskStatus("task-1"), "todo") << "free for another try";
  EXPECT_EQ(run["steps"][0]["status"], "compensated");
}

// The specialist step with a profile for the task's role: the role's
// provider gets the task packed with its context, its answer becomes the
// completion summary, and the call is in the cost ledger for the agent and
// the task. The worker opens the provider's sealed key with the KMS key.
class AiTaskSpecialist : public AiTaskWorkflowCommand {
 protected:
  static constexpr const char* kKms =
      "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
  static constexpr const char* kKey = "sk-live-SPECIALIST-0001";
  std::map<std::string, std::string> Env() const {
    return {{"DOCRUNCH_KMS_KEY", kKms}, {"SPECIALIST_KEY", kKey}};
  }
  void AddProviderAndProfile(const std::string& role) {
    ASSERT_GT(standin_.port(), 0);
    ProcessResult added =
        Docrunch({"provider", "add", "openai", "--type", "openai", "--model", "gpt-4o-mini",
                  "--base-url", standin_.url() + "/v1", "--api-key-env", "SPECIALIST_KEY"},
                 Env());
    ASSERT_EQ(added.exit_code, 0) << added.err;
    ProcessResult profile =
        Docrunch({"profile", "set", role, "--provider", "openai", "--max-tokens", "300"}, Env());
    ASSERT_EQ(profile.exit_code, 0) << profile.err;
  }
  void RunOnceWithKey() {
    ProcessResult r = Docrunch({"workflows", "run", "--once"}, Env());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    printed_ += r.out + r.err;
  }
  LlmStandIn standin_{kKey};
  std::string printed_;
};

TEST_F(AiTaskSpecialist, TheRolesProfileDoesTheTaskAndItsAnswerIsTheCompletion) {
  AddProviderAndProfile("qa");
  ProcessResult created =
      Docrunch({"task", "create", "--type", "test", "--title", "Cover the export button",
                "--description", "The export button has no test for an empty table."});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  std::string id = StartAiTask(R"({"task_id": "task-1", "agent": "bot", "max_tokens": 500})");
  RunOnceWithKey();
  json waiting = Show(id);
  ASSERT_EQ(waiting["status"], "waiting") << waiting.dump();
  const json& step = waiting["steps"][1]["result"];
  EXPECT_EQ(step["role"], "qa") << "a test task's default specialist";
  EXPECT_EQ(step["llm"]["provider"], "openai");
  EXPECT_GT(step["llm"]["output_tokens"].get<int>(), 0);
  EXPECT_LE(step["llm"]["context_tokens"].get<int>(), 500);
  // The stand-in answers "pong: <the prompt>": the prompt held the task,
  // its description and the instructions.
  const std::string summary = step["summary"].get<std::string>();
  EXPECT_THAT(summary, ::testing::StartsWith("pong: "));
  EXPECT_THAT(summary, HasSubstr("Cover the export button"));
  EXPECT_THAT(summary, HasSubstr("no test for an empty table"));
  EXPECT_THAT(summary, HasSubstr("completion report"));
  json request = standin_.Last();
  EXPECT_EQ(request["headers"]["authorization"], std::string("Bearer ") + kKey);
  EXPECT_EQ(request["body"]["max_tokens"], 300) << "the profile's answer limit";

  ProcessResult shown = Docrunch({"task", "show", "task-1", "--json"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  json task = json::parse(shown.out);
  EXPECT_EQ(task["status"], "review");
  ASSERT_EQ(task["completions"].size(), 1u);
  EXPECT_EQ(task["completions"][0]["summary"], summary);
  EXPECT_EQ(task["completions"][0]["agent"], "bot");

  ProcessResult cost = Docrunch({"cost", "--by", "task", "--json"});
  ASSERT_EQ(cost.exit_code, 0) << cost.err;
  json spend = json::parse(cost.out);
  ASSERT_EQ(spend["rows"].size(), 1u) << spend.dump();
  EXPECT_EQ(spend["rows"][0]["task"], "task-1");
  EXPECT_EQ(spend["rows"][0]["calls"], 1);
  EXPECT_EQ(standin_.Requests(), 1) << "one call: a resumed run does not ask again";

  ASSERT_EQ(Docrunch({"workflows", "signal", id, "approve"}).exit_code, 0);
  RunOnceWithKey();
  EXPECT_EQ(Show(id)["status"], "completed");
  EXPECT_EQ(standin_.Requests(), 1);
  EXPECT_THAT(printed_, Not(HasSubstr(kKey)));
}

TEST_F(AiTaskSpecialist, AProviderThatKeepsFailingUndoesTheRunAndBlocksTheTask) {
  AddProviderAndProfile("manager");
  CreateTask();
  // 401 from the provider, on every attempt (the gateway does not retry it).
  standin_.Script(json::array({json{{"status", 401}}, json{{"status", 401}}}));
  std::string id = StartAiTask(R"({"task_id": "task-1"})");
  RunOnceWithKey();
  json retrying = Show(id);
  ASSERT_EQ(retrying["steps"][1]["name"], "specialist") << retrying.dump();
  EXPECT_EQ(retrying["steps"][1]["attempts"], 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(2200));  // the step's backoff
  RunOnceWithKey();
  json run = Show(id);
  EXPECT_EQ(run["status"], "compensated") << run.dump();
  EXPECT_THAT(run["error"].get<std::string>(), HasSubstr("LLM_PROVIDER_ERROR"));
  EXPECT_EQ(run["steps"][0]["status"], "compensated");
  EXPECT_EQ(TaskStatus("task-1"), "blocked") << "it was being worked on: a person looks at it";
  EXPECT_EQ(standin_.Requests(), 2);
  EXPECT_THAT(printed_, Not(HasSubstr(kKey)));
}

TEST_F(AiTaskWorkflowCommand, BadInputIsRefusedAtTheStart) {
  ProcessResult missing = Docrunch({"workflows", "start", "ai-task", "--input", "{}"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("input.task_id: required"));
  ProcessResult unknown =
      Docrunch({"workflows", "start", "ai-task", "--input", R"({"task_id": "task-99"})"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("input.task_id"));
  ProcessResult typed = Docrunch(
      {"workflows", "start", "ai-task", "--input", R"({"task_id": "task-1", "timeout_s": 0})"});
  EXPECT_EQ(typed.exit_code, 2);
  EXPECT_THAT(typed.err, HasSubstr("input.timeout_s"));
  ProcessResult role = Docrunch(
      {"workflows", "start", "ai-task", "--input", R"({"task_id": "task-1", "role": "wizard"})"});
  EXPECT_EQ(role.exit_code, 2);
  EXPECT_THAT(role.err, HasSubstr("input.role: expected a specialist role"));
  ProcessResult budget = Docrunch(
      {"workflows", "start", "ai-task", "--input", R"({"task_id": "task-1", "max_tokens": 5})"});
  EXPECT_EQ(budget.exit_code, 2);
  EXPECT_THAT(budget.err, HasSubstr("input.max_tokens: must be an integer from 20"));
  ProcessResult scan = Docrunch({"workflows", "start", "repo-scan", "--input", R"({"full": 1})"});
  EXPECT_EQ(scan.exit_code, 2);
  EXPECT_THAT(scan.err, HasSubstr("input.full: expected true or false"));
  ProcessResult listed = Docrunch({"workflows", "list", "--json"});
  EXPECT_EQ(json::parse(listed.out), json::array()) << "nothing was started";
}

TEST_F(WorkflowsCommand, ScanAsyncStartsARepoScanThatAWorkerRuns) {
  ProcessResult started = Docrunch({"scan", "--async"});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  EXPECT_THAT(started.out, MatchesRegex("wf-[0-9a-f]{16}\n"));
  std::string id = started.out.substr(0, started.out.size() - 1);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "docrunch-docs/index.md")) << "nothing scanned yet";
  ProcessResult worked = Docrunch({"worker", "start", "--workflows", "--once"});
  ASSERT_EQ(worked.exit_code, 0) << worked.err;
  json run = Show(id);
  EXPECT_EQ(run["status"], "completed") << run.dump();
  EXPECT_GT(run["result"]["summary"]["files"].get<int>(), 3);
  EXPECT_TRUE(std::filesystem::exists(dir_ / "docrunch-docs/index.md"));
  ProcessResult status = Docrunch({"scan", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_EQ(json::parse(status.out)["files_parsed"], 0) << "the workflow stored it all";
}

TEST_F(WorkflowsCommand, AnalysisScansAnalyzesAndPublishesAReportPage) {
  dir_.Write("cyc/__init__.py", "");
  dir_.Write("cyc/a.py", "from .b import g\n\ndef f():\n    return g()\n");
  dir_.Write("cyc/b.py", "from .a import f\n\ndef g():\n    return 1\n");
  ProcessResult refused =
      Docrunch({"workflows", "start", "analysis", "--input", R"({"paths": [3]})"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_THAT(refused.err, HasSubstr("input.paths"));
  ProcessResult started = Docrunch({"workflows", "start", "analysis"});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  std::string id = started.out.substr(0, started.out.size() - 1);
  RunOnce();
  json run = Show(id);
  ASSERT_EQ(run["status"], "completed") << run.dump();
  std::vector<std::string> names;
  for (const auto& s : run["steps"]) names.push_back(s["name"]);
  EXPECT_THAT(names, ::testing::ElementsAre("scan", "analyze", "publish"));
  EXPECT_EQ(run["steps"][1]["result"]["cycles"],
            json::array({json::array({"cyc/a.py", "cyc/b.py"})}));
  const std::string page = "docrunch-docs/reports/analysis-" + id + ".md";
  ASSERT_TRUE(std::filesystem::exists(dir_ / page)) << "published through the outbox";
  const std::string text = dir_.Read(page);
  EXPECT_THAT(text, HasSubstr("## Import cycles (1)\n\n- `cyc/a.py` `cyc/b.py`"));
  EXPECT_THAT(text, HasSubstr("| `app/models.py` |")) << "the most depended-upon file";

  // The page comes back from the record when the Markdown is rebuilt.
  std::filesystem::remove(dir_ / page);
  ProcessResult rebuilt = Docrunch({"sync", "rebuild", "--markdown"});
  ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.err;
  EXPECT_EQ(dir_.Read(page), text);

  ProcessResult unknown =
      Docrunch({"workflows", "start", "analysis", "--input", R"({"paths": ["no/such/file.py"]})"});
  ASSERT_EQ(unknown.exit_code, 0) << "known only once scanned";
  RunOnce();
  json failed = Show(unknown.out.substr(0, unknown.out.size() - 1));
  EXPECT_EQ(failed["status"], "failed");
  EXPECT_THAT(failed["error"].get<std::string>(),
              HasSubstr("input.paths: no/such/file.py is not a scanned file"));
  EXPECT_EQ(failed["steps"][1]["attempts"], 1) << "bad input is not retried";
}

TEST_F(WorkflowsCommand, EmbeddingsEmbedTheIndexInCheckpointedBatches) {
  ASSERT_EQ(Docrunch({"scan", "--quiet"}).exit_code, 0) << "indexed without embeddings";
  ProcessResult refused = Docrunch({"workflows", "start", "embeddings"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_THAT(refused.err, HasSubstr("search.embeddings.enabled is false"));

  EmbeddingsStandIn standin("sk-embed-7777");
  ASSERT_GT(standin.port(), 0) << "the stand-in did not start";
  dir_.Write(".docrunch/config.yaml",
             ConfigText() +
                 "search:\n  embeddings:\n    enabled: true\n    base_url: " + standin.base_url() +
                 "\n    model: stand-in-trigrams\n    api_key_env: EMBED_KEY\n"
                 "    batch_size: 4\n");
  const std::map<std::string, std::string> env{{"EMBED_KEY", "sk-embed-7777"}};
  ProcessResult bad =
      Docrunch({"workflows", "start", "embeddings", "--input", R"({"batch": 0})"}, env);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("input.batch"));
  ProcessResult started =
      Docrunch({"workflows", "start", "embeddings", "--input", R"({"batch": 8})"}, env);
  ASSERT_EQ(started.exit_code, 0) << started.err;
  std::string id = started.out.substr(0, started.out.size() - 1);

  standin.SetFailing(true);  // the endpoint is down at first: the batch waits and retries
  ASSERT_EQ(Docrunch({"workflows", "run", "--once"}, env).exit_code, 0);
  json waiting = Show(id, env);
  EXPECT_EQ(waiting["status"], "waiting") << waiting.dump();
  const int documents = waiting["steps"][0]["result"]["documents"].size();
  ASSERT_GT(documents, 8) << "several batches";
  EXPECT_EQ(waiting["steps"][1]["attempts"], 1);
  EXPECT_THAT(waiting["steps"][1]["error"].get<std::string>(), HasSubstr("503"));

  standin.SetFailing(false);
  std::this_thread::sleep_for(std::chrono::milliseconds(2200));  // the backoff
  ASSERT_EQ(Docrunch({"workflows", "run", "--once"}, env).exit_code, 0);
  json done = Show(id, env);
  ASSERT_EQ(done["status"], "completed") << done.dump();
  EXPECT_EQ(done["result"]["documents"], documents);
  EXPECT_EQ(done["result"]["embedded"], documents);
  EXPECT_EQ(done["steps"].size(), 1u + (documents + 7) / 8);
  EXPECT_EQ(done["steps"][1]["attempts"], 2);
  for (std::size_t i = 2; i < done["steps"].size(); ++i) EXPECT_EQ(done["steps"][i]["attempts"], 1);

  // Everything has a vector now: a second run has nothing to do.
  ProcessResult rerun = Docrunch({"workflows", "start", "embeddings"}, env);
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
  ASSERT_EQ(Docrunch({"workflows", "run", "--once"}, env).exit_code, 0);
  json second = Show(rerun.out.substr(0, rerun.out.size() - 1), env);
  EXPECT_EQ(second["status"], "completed");
  EXPECT_EQ(second["result"]["documents"], 0);
}

}  // namespace
}  // namespace docrunch::testing
