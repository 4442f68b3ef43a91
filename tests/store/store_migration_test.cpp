// Conformance: schema migrations and the schema check, on every backend.
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <set>

#include <gmock/gmock.h>

#include "store/store_test_env.h"

namespace docrunch::store {
namespace {

using ::testing::HasSubstr;

// Every table of the schema with its columns: both backends must match it
// exactly, which keeps the two migration texts in step.
const std::map<std::string, std::set<std::string>> kSchema = {
    {"repositories", {"id", "name", "root_path", "created_at", "updated_at"}},
    {"scan_runs",
     {"id", "repository_id", "mode", "status", "started_at", "finished_at", "files_scanned",
      "files_changed", "summary", "error"}},
    {"files",
     {"id", "repository_id", "path", "language", "size", "modified_at", "content_hash",
      "last_scanned", "mtime_ns", "diagnostics", "refs", "deprecated"}},
    {"symbols",
     {"id", "repository_id", "file_id", "kind", "name", "qualified_name", "start_line", "end_line",
      "signature", "docstring", "bases", "detail", "implements", "fields", "body_terms",
      "deprecated"}},
    {"imports",
     {"id", "repository_id", "file_id", "module", "names", "alias", "line", "is_relative", "name",
      "end_line"}},
    {"exports",
     {"id", "repository_id", "file_id", "name", "kind", "line", "alias", "is_default", "source"}},
    {"search_docs",
     {"id", "repository_id", "doc_key", "source_key", "type", "title", "content", "file_path",
      "line_number", "length", "graph_score", "deprecated"}},
    {"search_segments", {"id", "repository_id", "postings", "created_at"}},
    {"search_terms", {"repository_id", "term", "segment_id", "postings"}},
    {"search_generations", {"repository_id", "generation"}},
    {"relationships", {"id", "repository_id", "source", "target", "type", "metadata"}},
    // clang-format off
    {"tasks", {"id",          "repository_id", "type",       "title",
               "description", "status",        "priority",   "assigned_to",
               "depends_on",  "blocks",        "guardrails", "acceptance_criteria",
               "review_mode", "progress",      "context",    "created_at",
               "started_at",  "completed_at",  "claimed_at", "updated_at",
               // version 2
               "status_before_block", "last_report_at", "status_note", "created_by"}},
    // clang-format on
    {"task_history",
     {"id", "repository_id", "task_id", "action", "agent", "details", "created_at"}},
    {"completion_reports",
     {"id", "repository_id", "task_id", "agent", "summary", "files_changed", "tests_passed",
      "details", "created_at", "reported_at"}},
    {"findings",
     {"id", "repository_id", "task_id", "agent", "kind", "severity", "title", "description",
      "file_path", "line", "created_at", "files", "reported_at"}},
    {"decisions",
     {"id", "repository_id", "task_id", "agent", "title", "status", "context", "decision",
      "consequences", "created_at", "updated_at", "number", "rationale", "reported_at"}},
    {"blockers",
     {"id", "repository_id", "task_id", "agent", "reason", "resolution", "created_at",
      "resolved_at", "needs", "reported_at", "resolved_by"}},
    {"sync_events",
     {"id", "repository_id", "entity_type", "entity_id", "content_hash", "action", "scan_run_id",
      "priority", "created_at", "processed_at"}},
    {"sync_processed", {"repository_id", "priority", "first_id", "last_id", "processed_at"}},
    {"storage_sync",
     {"target", "entity_type", "entity_id", "repository_id", "last_synced_hash", "status",
      "attempts", "last_error", "next_attempt_at", "updated_at", "entity_key"}},
    {"audit_log", {"id", "at", "actor", "action", "target", "outcome", "details"}},
    {"users",
     {"id", "name", "role", "password_hash", "created_at", "last_login_at", "disabled_at"}},
    {"auth_sessions",
     {"id", "user_id", "name", "role", "created_at", "revoked_at", "revoked_reason"}},
    {"refresh_tokens", {"id", "family_id", "token_hash", "created_at", "expires_at", "used_at"}},
    {"llm_providers",
     {"id", "name", "type", "base_url", "model", "options", "api_key", "api_key_hint",
      "proxy_api_key", "proxy_api_key_hint", "enabled", "created_at", "updated_at"}},
    {"llm_profiles",
     {"role", "provider_id", "model", "temperature", "system_prompt", "max_tokens", "created_at",
      "updated_at"}},
    {"kms_key_check", {"id", "key_id", "sealed", "created_at", "rotated_at"}},
    {"llm_calls",
     {"id", "agent", "task_id", "profile", "provider", "model", "status", "outcome",
      "estimate_micros", "input_tokens", "output_tokens", "cost_micros", "latency_ms", "started_at",
      "finished_at"}},
    {"cost_alerts",
     {"budget", "period_start", "threshold", "spent_micros", "limit_micros", "fired_at"}},
    {"cost_lock", {"id", "reservations"}},
    {"chat_sessions", {"id", "title", "created_by", "created_at", "updated_at"}},
    {"chat_messages",
     {"id", "session_id", "role", "content", "citations", "mode", "prompt", "provider", "model",
      "llm_call_id", "created_at"}},
    {"schema_migrations", {"version", "name", "applied_at"}},
};

void AddFutureVersion(Store& store, int version) {
  auto added = store.Transact([&](Tx& tx) -> Result<void> {
    auto n =
        tx.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                {std::int64_t{version}, "from the future", "2099-01-01T00:00:00.000Z"});
    if (!n) return n.error();
    return Ok();
  });
  ASSERT_TRUE(added.ok()) << added.error().ToString();
}

TEST_P(StoreTest, StatusOfEmptyDatabaseIsVersionZeroAndCreatesNothing) {
  auto status = store_->Status();
  ASSERT_TRUE(status.ok()) << status.error().ToString();
  EXPECT_EQ(status->current_version, 0);
  EXPECT_GE(status->latest_version, 1);
  EXPECT_TRUE(status->applied.empty());
  ASSERT_EQ(status->pending.size(), static_cast<std::size_t>(status->latest_version));
  EXPECT_EQ(status->pending[0].version, 1);
  EXPECT_EQ(status->pending[0].name, "initial schema");
  EXPECT_TRUE(status->behind());
  auto probe = store_->Query("SELECT count(*) FROM schema_migrations");
  ASSERT_FALSE(probe.ok()) << "Status() created schema_migrations";
  EXPECT_EQ(probe.error().code, ErrorCode::kStorageQuery);
}

TEST_P(StoreTest, MigrateFromEmptyCreatesEveryTableWithItsColumns) {
  auto status = store_->Migrate();
  ASSERT_TRUE(status.ok()) << status.error().ToString();
  EXPECT_EQ(status->current_version, status->latest_version);
  EXPECT_TRUE(status->pending.empty());
  ASSERT_FALSE(status->applied.empty());
  EXPECT_EQ(status->applied[0].version, 1);
  EXPECT_EQ(status->applied[0].name, "initial schema");
  EXPECT_EQ(status->applied[0].applied_at.size(), 24u) << status->applied[0].applied_at;
  for (const auto& [table, columns] : kSchema) {
    auto rows = store_->Query("SELECT * FROM " + table + " WHERE 1 = 0");
    ASSERT_TRUE(rows.ok()) << table << ": " << rows.error().ToString();
    std::set<std::string> actual(rows->columns.begin(), rows->columns.end());
    EXPECT_EQ(actual, columns) << "columns of " << table;
  }
  EXPECT_TRUE(store_->CheckSchema().ok());
}

// Migration 20: on PostgreSQL what the sync worker derives has no foreign
// key to repositories (each checked row locked the repository's row), the
// source tables keep theirs, and search_vectors keeps its key to
// search_docs; SQLite keeps every key (a lock-free rowid lookup).
TEST_P(StoreTest, DerivedTablesHoldNoRepositoryKeyOnPostgres) {
  ASSERT_TRUE(store_->Migrate().ok());
  const std::set<std::string> derived{"storage_sync",      "search_docs",  "search_segments",
                                      "search_terms",      "search_graph", "search_vectors",
                                      "search_generations"};
  auto keyed = [&](const std::string& parent) {
    std::set<std::string> tables;
    auto rows =
        GetParam() == "postgres"
            ? store_->Query(
                  "SELECT conrelid::regclass::text AS name FROM pg_constraint WHERE contype = 'f' "
                  "AND confrelid = $1::regclass",
                  {parent})
            : store_->Query(
                  "SELECT m.name AS name FROM sqlite_master m, pragma_foreign_key_list(m.name) f "
                  "WHERE m.type = 'table' AND f.\"table\" = $1",
                  {parent});
    EXPECT_TRUE(rows.ok()) << rows.error().ToString();
    for (std::size_t i = 0; rows && i < rows->size(); ++i) tables.insert(*rows->Text(i, "name"));
    return tables;
  };
  const std::set<std::string> to_repositories = keyed("repositories");
  // sync_processed too: its ranges must go with their repository's events.
  for (const char* source :
       {"files", "symbols", "tasks", "decisions", "sync_events", "sync_processed"}) {
    EXPECT_TRUE(to_repositories.count(source)) << source;
  }
  for (const auto& table : derived) {
    EXPECT_EQ(to_repositories.count(table), GetParam() == "postgres" ? 0u : 1u) << table;
  }
  EXPECT_TRUE(keyed("search_docs").count("search_vectors"));
}

TEST_P(StoreTest, MigrateTwiceIsANoOp) {
  auto first = store_->Migrate();
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  auto second = OpenAnother()->Migrate();
  ASSERT_TRUE(second.ok()) << second.error().ToString();
  ASSERT_EQ(second->applied.size(), first->applied.size());
  for (std::size_t i = 0; i < first->applied.size(); ++i) {
    EXPECT_EQ(second->applied[i].applied_at, first->applied[i].applied_at);
  }
  EXPECT_EQ(CountRows("schema_migrations"), first->latest_version);
}

TEST_P(StoreTest, CheckSchemaOnEmptyDatabaseSaysBehindAndHowToFix) {
  auto checked = store_->CheckSchema();
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().code, ErrorCode::kStorageSchemaBehind);
  auto latest = store_->Status()->latest_version;
  EXPECT_EQ(checked.error().message, "database schema is at version 0 but this docrunch needs " +
                                         std::to_string(latest) + ": run `docrunch db migrate`");
}

TEST_P(StoreTest, DatabaseAheadOfBinaryIsRefusedAndLeftUnchanged) {
  ASSERT_NO_FATAL_FAILURE(MigrateStore());
  const int latest = store_->Status()->latest_version;
  AddFutureVersion(*store_, latest + 1);

  auto checked = store_->CheckSchema();
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().code, ErrorCode::kStorageSchemaAhead);
  EXPECT_EQ(checked.error().message, "database schema version " + std::to_string(latest + 1) +
                                         " is newer than this docrunch supports (" +
                                         std::to_string(latest) + "): a newer docrunch is needed");

  auto migrated = store_->Migrate();
  ASSERT_FALSE(migrated.ok());
  EXPECT_EQ(migrated.error().code, ErrorCode::kStorageSchemaAhead);
  EXPECT_THAT(migrated.error().message, HasSubstr("a newer docrunch is needed"));
  EXPECT_EQ(CountRows("schema_migrations"), latest + 1);
  auto status = store_->Status();
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(status->ahead());
  EXPECT_EQ(status->current_version, latest + 1);
}

// Two processes migrating one empty database at the same moment: both
// succeed and every version is recorded once.
TEST_P(StoreTest, TwoProcessesRacingMigrateEndWithOneSchema) {
  store_.reset();  // nothing open across fork()
  const StoreOptions options = Options();
  int gate[2];
  ASSERT_EQ(pipe(gate), 0);
  pid_t children[2];
  for (pid_t& child : children) {
    child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(gate[1]);
      char byte;
      (void)read(gate[0], &byte, 1);  // returns when the parent closes the gate
      auto store = OpenStore(options);
      if (!store) _exit(10);
      auto status = (*store)->Migrate();
      _exit(!status ? 11 : status->behind() ? 12 : 0);
    }
  }
  close(gate[0]);
  close(gate[1]);  // both children start now
  for (pid_t child : children) {
    int wstatus = 0;
    ASSERT_EQ(waitpid(child, &wstatus, 0), child);
    EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << "child status " << wstatus;
  }
  store_ = OpenAnother();
  ASSERT_NE(store_, nullptr);
  auto versions = store_->Query(
      "SELECT version, count(*) AS n FROM schema_migrations GROUP BY version ORDER BY version");
  ASSERT_TRUE(versions.ok()) << versions.error().ToString();
  auto status = store_->Status();
  ASSERT_TRUE(status.ok());
  ASSERT_EQ(versions->size(), static_cast<std::size_t>(status->latest_version));
  for (std::size_t i = 0; i < versions->size(); ++i) {
    EXPECT_EQ(versions->Int(i, "version"), static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(versions->Int(i, "n"), 1);
  }
  EXPECT_TRUE(store_->CheckSchema().ok());
}

}  // namespace
}  // namespace docrunch::store
