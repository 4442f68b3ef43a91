// The task service on both backends: lifecycle, rules, refusals, and that a
// refused operation writes nothing.
#include "tasks/task_service.h"

#include "tasks/task_test_env.h"

namespace docrunch::tasks {
namespace {

using ::testing::HasSubstr;
using S = TaskStatus;

std::vector<std::string> Actions(store::Store& store, const Task& t) {
  std::vector<std::string> out;
  auto history = LoadHistory(store, t.id);
  EXPECT_TRUE(history.ok());
  for (const auto& h : *history) out.push_back(h.action);
  return out;
}

TEST_P(TaskServiceTest, CreateFillsTheTemplateAndWritesHistoryAndEvent) {
  Task t = MakeTask("feature", "high");
  EXPECT_EQ(t.IdText(), "task-1");
  EXPECT_EQ(t.status, S::kTodo);
  EXPECT_EQ(t.guardrails, config::DefaultTaskRules().types["feature"].guardrails);
  EXPECT_EQ(t.acceptance_criteria.size(), 3u);
  EXPECT_EQ(t.review_mode, config::ReviewMode::kHuman);  // priority high -> human
  EXPECT_EQ(t.created_at, "2026-11-27T12:00:00.000Z");
  EXPECT_THAT(Actions(*store_, t), ::testing::ElementsAre("created"));
  auto events = store_->Query(
      "SELECT entity_type, entity_id, priority, action FROM sync_events WHERE entity_type = "
      "'task'");
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ(events->Text(0, "entity_id"), "task-1");
  EXPECT_EQ(events->Int(0, "priority"), 10);
}

TEST_P(TaskServiceTest, BadCreateRequestsNameTheFieldAndWriteNothing) {
  MakeTask();
  std::string before = Snapshot();
  CreateTaskRequest r{"feture", "", "", "urgent", {"task-9", "../x"}, false, "cli"};
  auto t = service_->Create(r);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, ErrorCode::kInvalidParams);
  EXPECT_THAT(t.error().message, HasSubstr("type: unknown task type 'feture'"));
  EXPECT_THAT(t.error().message, HasSubstr("did you mean 'feature'?"));
  EXPECT_THAT(t.error().message, HasSubstr("priority: must be one of low, medium, high, critical"));
  EXPECT_THAT(t.error().message, HasSubstr("title: must not be empty"));
  EXPECT_THAT(t.error().message, HasSubstr("depends_on[1]: expected a task id"));
  r = {"feature", "x", "", "low", {"task-9"}, false, "cli"};
  t = service_->Create(r);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().message, "depends_on[0]: task task-9 not found");
  r = {"feature", std::string(201, 't'), "", "low", {}, false, "cli"};
  EXPECT_THAT(service_->Create(r).error().message, HasSubstr("title: at most 200 bytes, got 201"));
  r = {"feature", "two\nlines", "", "low", {}, false, "cli"};
  EXPECT_THAT(service_->Create(r).error().message, HasSubstr("title: must be one line"));
  EXPECT_EQ(Snapshot(), before);
}

TEST_P(TaskServiceTest, FullLifecycleWithAutoApprovalUnblocksDependents) {
  Task docs = MakeTask("docs", "low");  // auto review
  Task next = MakeTask("feature", "medium", {docs.IdText()});
  EXPECT_EQ(Reload(docs).blocks, std::vector<std::int64_t>{next.id});
  auto available = service_->Available();
  ASSERT_EQ(available->size(), 1u);
  EXPECT_EQ(available->front().id, docs.id);

  auto claimed = service_->Claim(ClaimBy(docs, "agent-1"));
  ASSERT_TRUE(claimed.ok()) << claimed.error().ToString();
  EXPECT_EQ(claimed->status, S::kWorking);
  EXPECT_EQ(claimed->assigned_to, "agent-1");

  clock_.Advance(std::chrono::minutes(5));
  auto progress = service_->UpdateProgress({docs.IdText(), 60, "examples run", "agent-1", At(5)});
  ASSERT_TRUE(progress.ok()) << progress.error().ToString();
  EXPECT_EQ(progress->progress, 60);
  EXPECT_EQ(progress->status_note, "examples run");

  auto done = service_->SubmitCompletion(CompletionBy(docs, "agent-1"));
  ASSERT_TRUE(done.ok()) << done.error().ToString();
  EXPECT_TRUE(done->auto_approved);
  EXPECT_EQ(done->task.status, S::kApproved);
  EXPECT_EQ(done->report.reported_at, At(5));
  EXPECT_EQ(done->report.created_at, "2026-11-27T12:05:00.000Z");

  EXPECT_TRUE(service_->Available()->empty());  // the dependency is approved, not done
  auto finished = service_->Move(docs.IdText(), S::kDone, "manager");
  ASSERT_TRUE(finished.ok()) << finished.error().ToString();
  available = service_->Available();
  ASSERT_EQ(available->size(), 1u);
  EXPECT_EQ(available->front().id, next.id);
  EXPECT_THAT(Actions(*store_, docs),
              ::testing::ElementsAre("created", "dependent_added", "claim", "progress", "complete",
                                     "auto_approve", "finish"));
  // Every task change wrote exactly one history row and one outbox event.
  EXPECT_EQ(CountRows("task_history"),
            store_->Query("SELECT count(*) AS n FROM sync_events WHERE entity_type = 'task'")
                ->Int(0, "n"));
}

TEST_P(TaskServiceTest, ManualReviewApproveRejectReopen) {
  Task t = MakeTask("feature", "medium");  // manager review
  ASSERT_TRUE(service_->Claim(ClaimBy(t, "a1")).ok());
  auto done = service_->SubmitCompletion(CompletionBy(t, "a1"));
  ASSERT_TRUE(done.ok());
  EXPECT_FALSE(done->auto_approved);
  EXPECT_THAT(done->review_reasons, ::testing::ElementsAre("review mode is manager"));
  EXPECT_EQ(done->task.status, S::kReview);
  auto rejected = service_->Reject(t.IdText(), "lead", "no tests for errors");
  ASSERT_TRUE(rejected.ok());
  EXPECT_EQ(rejected->status, S::kRejected);
  auto reopened = service_->Move(t.IdText(), S::kTodo, "lead");
  ASSERT_TRUE(reopened.ok()) << reopened.error().ToString();
  EXPECT_FALSE(reopened->assigned_to.has_value());
  ASSERT_TRUE(service_->Claim(ClaimBy(t, "a2")).ok());
  ASSERT_TRUE(service_->SubmitCompletion(CompletionBy(t, "a2")).ok());
  auto approved = service_->Approve(t.IdText(), "lead", "");
  ASSERT_TRUE(approved.ok());
  EXPECT_EQ(approved->status, S::kApproved);
  EXPECT_EQ(LoadCompletions(*store_, t.id)->size(), 2u);
}

TEST_P(TaskServiceTest, IllegalMovesNameCurrentAndRequestedStatus) {
  Task t = MakeTask();
  auto approve = service_->Approve(t.IdText(), "lead", "");
  ASSERT_FALSE(approve.ok());
  EXPECT_EQ(CodeOf(approve.error()), "TASK_INVALID_TRANSITION");
  EXPECT_THAT(approve.error().message, HasSubstr("it is todo and cannot move to approved"));
  auto move = service_->Move(t.IdText(), S::kDone, "lead");
  EXPECT_EQ(CodeOf(move.error()), "TASK_INVALID_TRANSITION");
  EXPECT_THAT(move.error().message, HasSubstr("cannot move task-1 from todo to done"));
}

TEST_P(TaskServiceTest, ClaimRefusals) {
  Task first = MakeTask();
  Task second = MakeTask("feature", "medium", {first.IdText()});
  auto early = service_->Claim(ClaimBy(second, "a1"));
  EXPECT_EQ(CodeOf(early.error()), "TASK_DEPENDENCIES_PENDING");
  EXPECT_EQ(early.error().message, "task-2 cannot be claimed yet: it waits for task-1 (todo)");

  ASSERT_TRUE(service_->Claim(ClaimBy(first, "a1")).ok());
  ASSERT_TRUE(service_->Claim(ClaimBy(first, "a1")).ok());  // a retry by the holder
  auto taken = service_->Claim(ClaimBy(first, "a2"));
  EXPECT_EQ(CodeOf(taken.error()), "TASK_ALREADY_CLAIMED");
  EXPECT_EQ(taken.error().message, "task-1 is already claimed by a1");

  auto missing = service_->Claim({"task-99", "a1", At()});
  EXPECT_EQ(CodeOf(missing.error()), "STORAGE_NOT_FOUND");
  EXPECT_EQ(missing.error().message, "task task-99 not found");
  auto path = service_->Claim({"../../etc/passwd", "a1", At()});
  EXPECT_EQ(CodeOf(path.error()), "INVALID_PARAMS");

  Task reserved = MakeTask();
  ASSERT_TRUE(service_->Assign(reserved.IdText(), "a3", "lead").ok());
  EXPECT_EQ(CodeOf(service_->Claim(ClaimBy(reserved, "a1")).error()), "TASK_ALREADY_CLAIMED");
  auto mine = service_->Claim(ClaimBy(reserved, "a3"));
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(mine->status, S::kWorking);
}

TEST_P(TaskServiceTest, ReportsFromAgentsWithoutTheClaimAreRefusedAndWriteNothing) {
  Task t = MakeTask();
  auto unclaimed = service_->UpdateProgress({t.IdText(), 10, "x", "a1", At()});
  EXPECT_EQ(CodeOf(unclaimed.error()), "TASK_NOT_CLAIMANT");
  ASSERT_TRUE(service_->Claim(ClaimBy(t, "a1")).ok());
  std::string before = Snapshot();
  auto progress = service_->UpdateProgress({t.IdText(), 10, "x", "intruder", At()});
  EXPECT_EQ(CodeOf(progress.error()), "TASK_NOT_CLAIMANT");
  EXPECT_THAT(progress.error().message, HasSubstr("it is held by a1"));
  auto completion = service_->SubmitCompletion(CompletionBy(t, "intruder"));
  EXPECT_EQ(CodeOf(completion.error()), "TASK_NOT_CLAIMANT");
  auto blocker = service_->ReportBlocker({t.IdText(), "stuck", "help", "intruder", At()});
  EXPECT_EQ(CodeOf(blocker.error()), "TASK_NOT_CLAIMANT");
  EXPECT_EQ(Snapshot(), before);
}

TEST_P(TaskServiceTest, SecondCompletionIsRefusedAndWritesNothing) {
  Task t = MakeTask();
  ASSERT_TRUE(service_->Claim(ClaimBy(t, "a1")).ok());
  CompletionReport report = CompletionBy(t, "a1");
  report.findings = {{"bug", "pager overflows", {"src/pager.ts"}}};
  report.decisions = {{"Use bcrypt", "need hashing", "bcrypt", "standard"}};
  ASSERT_TRUE(service_->SubmitCompletion(report).ok());
  std::string before = Snapshot();
  auto again = service_->SubmitCompletion(report);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(CodeOf(again.error()), "TASK_INVALID_TRANSITION");
  EXPECT_THAT(again.error().message, HasSubstr("already has a completion"));
  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(CountRows("findings"), 1);
  EXPECT_EQ(CountRows("decisions"), 1);
}

// A failure after some rows were written (here: the decisions table is
// gone, so the last INSERT of a completion fails) rolls everything back.
TEST_P(TaskServiceTest, CompletionFailingHalfwayLeavesNoTrace) {
  Task t = MakeTask();
  ASSERT_TRUE(service_->Claim(ClaimBy(t, "a1")).ok());
  ASSERT_TRUE(store_
                  ->Transact([](store::Tx& tx) -> Result<void> {
                    DOCRUNCH_TRY(tx.Exec("DROP TABLE decisions"));
                    return Ok();
                  })
                  .ok());
  std::string before = Snapshot();
  CompletionReport report = CompletionBy(t, "a1");
  report.findings = {{"bug", "found on the way", {}}};
  report.decisions = {{"Title", "context", "decision", "rationale"}};
  auto failed = service_->SubmitCompletion(report);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(CodeOf(failed.error()), "STORAGE_QUERY");
  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(Reload(t).status, S::kWorking);
  EXPECT_EQ(CountRows("completion_reports"), 0);
  EXPECT_EQ(CountRows("findings"), 0);
}

TEST_P(TaskServiceTest, InvalidReportsWriteNothing) {
  Task t = MakeTask();
  ASSERT_TRUE(service_->Claim(ClaimBy(t, "a1")).ok());
  std::string before = Snapshot();
  auto future = service_->UpdateProgress({t.IdText(), 10, "x", "a1", "2027-01-01T00:00:00Z"});
  EXPECT_THAT(future.error().message, HasSubstr("reported_at: '2027-01-01T00:00:00Z' is in the "
                                                "future"));
  auto range = service_->UpdateProgress({t.IdText(), 101, "x", "a1", At()});
  EXPECT_EQ(range.error().message, "percentage: must be an integer from 0 to 100, got 101");
  auto zone = service_->UpdateProgress({t.IdText(), 10, "x", "a1", "2026-11-27T11:00:00"});
  EXPECT_THAT(zone.error().message, HasSubstr("reported_at: expected an ISO-8601"));
  CompletionReport big = CompletionBy(t, "a1");
  big.summary.assign(64 * 1024 + 1, 's');
  EXPECT_THAT(service_->SubmitCompletion(big).error().message,
              HasSubstr("summary: at most 65536 bytes"));
  EXPECT_EQ(CodeOf(service_->LogFinding({t.IdText(), {"bgu", "x", {}}, "a1", At()}).error()),
            "INVALID_PARAMS");
  EXPECT_EQ(Snapshot(), before);
}

TEST_P(TaskServiceTest, BlockerReturnsTheTaskToItsPreviousStatus) {
  Task t = MakeTask();
  ASSERT_TRUE(service_->Claim(ClaimBy(t, "a1")).ok());
  auto blocker =
      service_->ReportBlocker({t.IdText(), "API key missing", "a staging key", "a1", At()});
  ASSERT_TRUE(blocker.ok()) << blocker.error().ToString();
  EXPECT_EQ(blocker->needs, "a staging key");
  Task blocked = Reload(t);
  EXPECT_EQ(blocked.status, S::kBlocked);
  EXPECT_EQ(blocked.status_before_block, S::kWorking);
  EXPECT_EQ(CodeOf(service_->ReportBlocker({t.IdText(), "again", "x", "a1", At()}).error()),
            "TASK_INVALID_TRANSITION");
  // Its holder reporting progress hears that it is blocked, not that it
  // holds no claim; anyone else, who holds it.
  auto progress = service_->UpdateProgress({t.IdText(), 50, "going", "a1", At()});
  ASSERT_FALSE(progress.ok());
  EXPECT_EQ(CodeOf(progress.error()), "TASK_INVALID_TRANSITION");
  EXPECT_THAT(progress.error().message, HasSubstr("it is blocked"));
  EXPECT_EQ(CodeOf(service_->UpdateProgress({t.IdText(), 50, "going", "a2", At()}).error()),
            "TASK_NOT_CLAIMANT");
  auto resumed = service_->Unblock(t.IdText(), "lead", "key added");
  ASSERT_TRUE(resumed.ok()) << resumed.error().ToString();
  EXPECT_EQ(resumed->status, S::kWorking);
  EXPECT_EQ(resumed->assigned_to, "a1");
  auto blockers = LoadBlockers(*store_, t.id);
  ASSERT_EQ(blockers->size(), 1u);
  EXPECT_EQ(blockers->front().resolution, "key added");
  EXPECT_EQ(blockers->front().resolved_by, "lead");

  Task backlog = MakeTask();
  ASSERT_TRUE(service_->Move(backlog.IdText(), S::kBacklog, "lead").ok());
  ASSERT_TRUE(service_->Block(backlog.IdText(), "lead", "waiting for design").ok());
  EXPECT_EQ(service_->Unblock(backlog.IdText(), "lead", "")->status, S::kBacklog);
  EXPECT_EQ(CodeOf(service_->Unblock(backlog.IdText(), "lead", "").error()),
            "TASK_INVALID_TRANSITION");
}

TEST_P(TaskServiceTest, NextClaimExpiryIsTheOldestSilentClaimPlusTheTtl) {
  EXPECT_EQ(service_->NextClaimExpiry().value(), std::nullopt) << "nothing claimed";
  Task t = MakeTask();
  Task u = MakeTask();
  ASSERT_TRUE(service_->Claim(ClaimBy(t, "a1")).ok());
  clock_.Advance(std::chrono::minutes(10));
  ASSERT_TRUE(service_->Claim({u.IdText(), "a2", At(10)}).ok());
  auto start = *ParseIso8601(kStart);
  EXPECT_EQ(service_->NextClaimExpiry().value(), start + std::chrono::minutes(30));
  // a1 reports: a2's claim is now the first to go.
  clock_.Advance(std::chrono::minutes(5));
  ASSERT_TRUE(service_->UpdateProgress({t.IdText(), 30, "going", "a1", At(15)}).ok());
  EXPECT_EQ(service_->NextClaimExpiry().value(), start + std::chrono::minutes(40));
}

TEST_P(TaskServiceTest, SilentClaimExpiresAfterTheTtl) {
  Task t = MakeTask();
  ASSERT_TRUE(service_->Claim(ClaimBy(t, "a1")).ok());
  clock_.Advance(std::chrono::minutes(20));
  ASSERT_TRUE(service_->UpdateProgress({t.IdText(), 30, "going", "a1", At(20)}).ok());
  clock_.Advance(std::chrono::minutes(20));  // 20 min since the last report: still held
  EXPECT_EQ(service_->ExpireStaleClaims().value(), 0);
  EXPECT_EQ(Reload(t).status, S::kWorking);
  clock_.Advance(std::chrono::minutes(11));  // 31 min of silence
  auto claimed = service_->Claim(ClaimBy(t, "a2"));
  ASSERT_TRUE(claimed.ok()) << claimed.error().ToString();
  EXPECT_EQ(claimed->assigned_to, "a2");
  auto history = LoadHistory(*store_, t.id);
  ASSERT_GE(history->size(), 2u);
  const HistoryEntry& expired = (*history)[history->size() - 2];
  EXPECT_EQ(expired.action, "claim_expired");
  EXPECT_THAT(expired.details, HasSubstr("\"agent\":\"a1\""));
  EXPECT_EQ(CodeOf(service_->UpdateProgress({t.IdText(), 40, "x", "a1", At(51)}).error()),
            "TASK_NOT_CLAIMANT");

  // A holder silent past the TTL whose next call is a report (nobody listed
  // the tasks in between) finds the claim gone; it does not come back.
  Task u = MakeTask();
  ASSERT_TRUE(service_->Claim(ClaimBy(u, "a3")).ok());
  clock_.Advance(std::chrono::minutes(31));
  auto late = service_->UpdateProgress({u.IdText(), 50, "back", "a3", At(82)});
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(CodeOf(late.error()), "TASK_NOT_CLAIMANT");
  EXPECT_EQ(Reload(u).status, S::kTodo);
  EXPECT_TRUE(service_->Claim(ClaimBy(u, "a4")).ok());
}

TEST_P(TaskServiceTest, DependencyCyclesAreRejected) {
  Task a = MakeTask();
  Task b = MakeTask("feature", "medium", {a.IdText()});
  Task c = MakeTask("feature", "medium", {b.IdText()});
  std::string before = Snapshot();
  auto cycle = service_->SetDependencies(a.IdText(), {c.IdText()}, "lead");
  ASSERT_FALSE(cycle.ok());
  EXPECT_EQ(CodeOf(cycle.error()), "TASK_DEPENDENCY_CYCLE");
  EXPECT_EQ(cycle.error().message,
            "depends_on: these dependencies would form a cycle: task-1 -> task-3 -> task-2 -> "
            "task-1");
  auto self = service_->SetDependencies(a.IdText(), {a.IdText()}, "lead");
  EXPECT_EQ(CodeOf(self.error()), "TASK_DEPENDENCY_CYCLE");
  EXPECT_EQ(Snapshot(), before);
  auto rewired = service_->SetDependencies(c.IdText(), {a.IdText()}, "lead");
  ASSERT_TRUE(rewired.ok()) << rewired.error().ToString();
  EXPECT_EQ(Reload(b).blocks, std::vector<std::int64_t>{});
  EXPECT_EQ(Reload(a).blocks, (std::vector<std::int64_t>{b.id, c.id}));
}

TEST_P(TaskServiceTest, DecisionsAndFindingsGetServerIdsAndTimes) {
  Task t = MakeTask();
  DecisionReport d{t.IdText(), {"Use Postgres", "hosted mode", "postgres 15", "pool"}, "a1", At()};
  auto first = service_->RecordDecision(d);
  d.task_id = "";
  auto second = service_->RecordDecision(d);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->IdText(), "adr-001");
  EXPECT_EQ(second->IdText(), "adr-002");
  EXPECT_FALSE(second->task_id.has_value());
  clock_.Advance(std::chrono::seconds(3));
  auto finding = service_->LogFinding({t.IdText(), {"question", "Is SSO needed?", {}}, "a1", At()});
  ASSERT_TRUE(finding.ok()) << finding.error().ToString();
  EXPECT_EQ(finding->reported_at, At());
  EXPECT_EQ(finding->created_at, "2026-11-27T12:00:03.000Z");
  EXPECT_EQ(store_->Query("SELECT count(*) AS n FROM sync_events WHERE entity_type = 'decision'")
                ->Int(0, "n"),
            2);
}

// Stored lists are read back by a fast reader with the full JSON parser
// behind it: every kind of string must come back exactly.
TEST_P(TaskServiceTest, ListsOfStringsComeBackExactly) {
  Task t = MakeTask();
  std::vector<std::string> files = {"plain.py",  "quote\"d.py", "back\\slash.py", "tab\there",
                                    "ctrl\x01.py", "caf\xc3\xa9.py",  "emoji \xf0\x9f\x98\x80",
                                    "],[\"x",    "slash/and\\/both"};
  auto finding = service_->LogFinding({t.IdText(), {"bug", "lists", files}, "a1", At()});
  ASSERT_TRUE(finding.ok()) << finding.error().ToString();
  auto shown = service_->Show(t.IdText());
  ASSERT_TRUE(shown.ok());
  ASSERT_EQ(shown->findings.size(), 1u);
  EXPECT_EQ(shown->findings[0].files, files);
}

TEST_P(TaskServiceTest, ShowReturnsContextFoundInTheScanTables) {
  std::string now = At();
  ASSERT_TRUE(store_
                  ->Transact([&](store::Tx& tx) -> Result<void> {
                    DOCRUNCH_TRY(tx.Exec(
                        "INSERT INTO files (id, repository_id, path, language, content_hash, "
                        "last_scanned) VALUES (1, $1, 'src/auth/login_form.tsx', 'tsx', 'h', $2)",
                        {repository_id_, now}));
                    DOCRUNCH_TRY(tx.Exec(
                        "INSERT INTO files (id, repository_id, path, language, content_hash, "
                        "last_scanned) VALUES (2, $1, 'src/billing.py', 'python', 'h', $2)",
                        {repository_id_, now}));
                    DOCRUNCH_TRY(tx.Exec(
                        "INSERT INTO symbols (repository_id, file_id, kind, name, qualified_name, "
                        "start_line, end_line) VALUES ($1, 1, 'component', 'LoginForm', "
                        "'LoginForm', 3, 40), ($1, 2, 'schema', 'passwords', 'passwords', 1, 9)",
                        {repository_id_}));
                    return Ok();
                  })
                  .ok());
  Task t = MakeTask();  // "Add the login form" / "Users log in with a password"
  auto details = service_->Show(t.IdText());
  ASSERT_TRUE(details.ok()) << details.error().ToString();
  ASSERT_EQ(details->context.files.size(), 1u);
  EXPECT_EQ(details->context.files[0].path, "src/auth/login_form.tsx");
  ASSERT_EQ(details->context.symbols.size(), 1u);
  EXPECT_EQ(details->context.symbols[0].name, "LoginForm");
  ASSERT_EQ(details->context.schemas.size(), 1u);
  EXPECT_EQ(details->context.schemas[0].name, "passwords");
  EXPECT_TRUE(details->available);
  EXPECT_EQ(details->history.size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, TaskServiceTest, ::testing::Values("sqlite", "postgres"),
                         store::BackendParamName);

}  // namespace
}  // namespace docrunch::tasks

namespace docrunch::store {
// This binary reuses the backend fixture for its own suites only.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StoreTest);
}  // namespace docrunch::store
