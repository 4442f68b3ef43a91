// A TaskService on a fresh, migrated database, once per backend (SQLite and
// PostgreSQL, see store/store_test_env.h), with a manual clock.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/store_test_env.h"
#include "tasks/task_service.h"

namespace docrunch::tasks {

// Error codes as names in failure messages.
inline std::string CodeOf(const Error& e) {
  return std::string(ErrorCodeName(e.code));
}

class TaskServiceTest : public store::StoreTest {
 protected:
  static constexpr const char* kStart = "2026-11-27T12:00:00Z";

  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ReopenWithClock(clock_);
    if (HasFatalFailure()) return;
    MigrateStore();
    auto repo = EnsureRepository(*store_, "/work/repo", "repo");
    ASSERT_TRUE(repo.ok()) << repo.error().ToString();
    repository_id_ = *repo;
    service_ = MakeService();
  }
  void TearDown() override {
    service_.reset();
    StoreTest::TearDown();
  }

  std::unique_ptr<TaskService> MakeService(store::Store* store = nullptr) {
    TaskServiceOptions options;
    options.claim_ttl = std::chrono::minutes(30);
    return std::make_unique<TaskService>(store ? *store : *store_, repository_id_, clock_,
                                         config::DefaultTaskRules(), options, &context_);
  }

  // Creates a task that must succeed.
  Task MakeTask(const std::string& type = "feature", const std::string& priority = "medium",
                std::vector<std::string> deps = {}) {
    CreateTaskRequest r;
    r.type = type;
    r.title = "Add the login form";
    r.description = "Users log in with a password";
    r.priority = priority;
    r.depends_on = std::move(deps);
    auto t = service_->Create(r);
    EXPECT_TRUE(t.ok()) << t.error().ToString();
    return t.ok() ? *t : Task{};
  }

  std::string At(int minutes_from_start = 0) const {
    return FormatIso8601(*ParseIso8601(kStart) + std::chrono::minutes(minutes_from_start));
  }

  ClaimReport ClaimBy(const Task& t, const std::string& agent) { return {t.IdText(), agent, At()}; }

  CompletionReport CompletionBy(const Task& t, const std::string& agent) {
    CompletionReport r;
    r.task_id = t.IdText();
    r.summary = "Implemented the form with tests";
    r.changes = {"src/login.ts", "tests/login.test.ts"};
    r.tests_passed = true;
    r.reported_by = agent;
    r.reported_at = FormatIso8601(clock_.Now());
    return r;
  }

  Task Reload(const Task& t) {
    auto r = LoadTask(*store_, repository_id_, t.id);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : Task{};
  }

  // Rows in the tables a task operation writes, to prove a failure wrote nothing.
  std::string Snapshot() {
    std::string out;
    for (const char* table : {"tasks", "task_history", "sync_events", "completion_reports",
                              "findings", "decisions", "blockers"}) {
      auto n = store_->Query(std::string("SELECT count(*) AS n FROM ") + table);
      out += std::string(table) + "=" + (n.ok() ? std::to_string(*n->Int(0, "n")) : "?") + " ";
    }
    auto rows = store_->Query(
        "SELECT id, status, assigned_to, progress, updated_at FROM tasks "
        "ORDER BY id");
    for (std::size_t i = 0; rows.ok() && i < rows->size(); ++i) {
      out += rows->Text(i, "status").value_or("") + "/" +
             rows->Text(i, "assigned_to").value_or("-") + "/" +
             std::to_string(rows->Int(i, "progress").value_or(-1)) + "/" +
             rows->Text(i, "updated_at").value_or("") + " ";
    }
    return out;
  }

  ManualClock clock_{*ParseIso8601(kStart)};
  KeywordContextSource context_;
  std::int64_t repository_id_ = 0;
  std::unique_ptr<TaskService> service_;
};

}  // namespace docrunch::tasks
