// Published reports: deterministic pages, written only inside the docs folder.
#include "docs/report_pages.h"

#include <filesystem>

#include "support/temp_dir.h"
#include "tasks/task_test_env.h"

namespace docrunch::docs {
namespace {

using tasks::TaskServiceTest;
using ::testing::HasSubstr;

class ReportPagesTest : public TaskServiceTest {
 protected:
  // A completed task with a finding and a decision; returns it.
  tasks::Task CompletedTask() {
    tasks::Task t = MakeTask("docs", "low");
    EXPECT_TRUE(service_->Claim(ClaimBy(t, "agent-1")).ok());
    tasks::CompletionReport r = CompletionBy(t, "agent-1");
    r.notes = "Pipes | in notes";
    r.findings = {{"improvement", "The pager could stream", {"src/pager.ts"}}};
    r.decisions = {{"Keep Markdown plain", "agents read it", "no HTML", "portable"}};
    auto outcome = service_->SubmitCompletion(r);
    EXPECT_TRUE(outcome.ok()) << outcome.error().ToString();
    return t;
  }

  // Projections run inside the sync worker's transaction.
  Result<void> InTx(const std::function<Result<void>(store::Tx&)>& fn) {
    return store_->Transact(fn);
  }

  docrunch::testing::TempDir docs_;
};

TEST_P(ReportPagesTest, CompletionPagesAreDeterministicAndComplete) {
  tasks::Task t = CompletedTask();
  DocWriter writer(docs_.path());
  ReportsProjection projection(writer, repository_id_);
  ASSERT_TRUE(InTx([&](store::Tx& tx) { return projection.Rebuild(tx); }).ok());
  std::string page = docs_.Read("tasks/task-1.md");
  EXPECT_THAT(page, ::testing::StartsWith("# task-1: Add the login form\n\n| field | value |"));
  EXPECT_THAT(page, HasSubstr("| status | approved |"));
  EXPECT_THAT(page, HasSubstr("## Guardrails\n\n- Document behaviour as it is"));
  EXPECT_THAT(page,
              HasSubstr("### Completion 1 by agent-1\n\n- Reported at: 2026-11-27T12:00:00.000Z"));
  EXPECT_THAT(page, HasSubstr("- Review: auto-approved"));
  EXPECT_THAT(page, HasSubstr("- `src/login.ts`"));
  EXPECT_THAT(page, HasSubstr("- **improvement** (finding-1, agent-1): The pager could stream"));
  EXPECT_THAT(page, HasSubstr("- [adr-001](../decisions/adr-001.md): Keep Markdown plain"));
  EXPECT_THAT(page, HasSubstr("| complete | agent-1 |"));
  std::string adr = docs_.Read("decisions/adr-001.md");
  EXPECT_EQ(adr,
            "# adr-001: Keep Markdown plain\n\n- Status: accepted\n- Task: "
            "[task-1](../tasks/task-1.md)\n- Recorded by: agent-1 at 2026-11-27T12:00:00.000Z "
            "(received 2026-11-27T12:00:00.000Z)\n\n## Context\n\nagents read it\n\n## "
            "Decision\n\nno HTML\n\n## Rationale\n\nportable\n");

  // Same rows, same bytes: a second rebuild and a per-event apply touch nothing.
  auto mtime = std::filesystem::last_write_time(docs_.path() / "tasks/task-1.md");
  ASSERT_TRUE(InTx([&](store::Tx& tx) { return projection.Rebuild(tx); }).ok());
  store::SyncEvent event{repository_id_, "task", "task-1", "", "upsert", std::nullopt, 10};
  ASSERT_TRUE(InTx([&](store::Tx& tx) { return projection.Apply(event, tx); }).ok());
  EXPECT_EQ(docs_.Read("tasks/task-1.md"), page);
  EXPECT_EQ(std::filesystem::last_write_time(docs_.path() / "tasks/task-1.md"), mtime);
}

TEST_P(ReportPagesTest, TasksWithoutCompletionHaveNoPageAndPublishSaysSo) {
  tasks::Task t = MakeTask();
  DocWriter writer(docs_.path());
  ReportsProjection projection(writer, repository_id_);
  store::SyncEvent event{repository_id_, "task", t.IdText(), "", "upsert", std::nullopt, 10};
  ASSERT_TRUE(InTx([&](store::Tx& tx) { return projection.Apply(event, tx); }).ok());
  EXPECT_FALSE(std::filesystem::exists(docs_.path() / "tasks/task-1.md"));
  auto published = projection.PublishTask(*store_, t.id);
  ASSERT_FALSE(published.ok());
  EXPECT_EQ(published.error().message, "task-1 has no completion report to publish yet");
}

TEST_P(ReportPagesTest, EventIdsThatCouldLeaveTheDocsFolderAreRefused) {
  CompletedTask();
  auto root = docs_.path() / "docs";
  DocWriter writer(root);
  ReportsProjection projection(writer, repository_id_);
  for (const char* id : {"../../etc/passwd", "task-1/../../x", "/abs", "task-1.md", "task-"}) {
    store::SyncEvent event{repository_id_, "task", id, "", "upsert", std::nullopt, 10};
    auto applied = InTx([&](store::Tx& tx) { return projection.Apply(event, tx); });
    ASSERT_FALSE(applied.ok()) << id;
    EXPECT_EQ(applied.error().code, ErrorCode::kInvalidParams);
  }
  store::SyncEvent decision{repository_id_, "decision", "decision-../1", "", "upsert",
                            std::nullopt,   10};
  EXPECT_FALSE(InTx([&](store::Tx& tx) { return projection.Apply(decision, tx); }).ok());
  EXPECT_FALSE(std::filesystem::exists(root));
  EXPECT_FALSE(std::filesystem::exists(docs_.path() / "etc"));
}

TEST_P(ReportPagesTest, RebuildRemovesPagesNoRowProduces) {
  CompletedTask();
  docs_.Write("tasks/task-77.md", "stale");
  docs_.Write("tasks/notes.txt", "kept");
  DocWriter writer(docs_.path());
  ReportsProjection projection(writer, repository_id_);
  ASSERT_TRUE(InTx([&](store::Tx& tx) { return projection.Rebuild(tx); }).ok());
  EXPECT_FALSE(std::filesystem::exists(docs_.path() / "tasks/task-77.md"));
  EXPECT_TRUE(std::filesystem::exists(docs_.path() / "tasks/notes.txt"));
  EXPECT_TRUE(std::filesystem::exists(docs_.path() / "tasks/task-1.md"));
}

INSTANTIATE_TEST_SUITE_P(Backends, ReportPagesTest, ::testing::Values("sqlite", "postgres"),
                         store::BackendParamName);

}  // namespace
}  // namespace docrunch::docs

namespace docrunch::store {
// This binary reuses the backend fixture for its own suites only.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StoreTest);
}  // namespace docrunch::store
