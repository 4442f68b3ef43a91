// The SQLite schema as versioned migrations. Never edit a released
// version: add a new one. postgres/migrations.cpp holds the same schema in
// PostgreSQL's dialect (ids are INTEGER PRIMARY KEY here, identity columns
// there); keep the two semantically identical.
#include <array>

#include "store/sqlite/sqlite_store.h"

namespace docrunch::store {
namespace {

constexpr std::string_view kInitialSchema = R"sql(
CREATE TABLE repositories (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  root_path TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE scan_runs (
  id INTEGER PRIMARY KEY,
  repository_id BIGINT NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  mode TEXT NOT NULL CHECK (mode IN ('full', 'incremental')),
  status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
  started_at TEXT NOT NULL,
  finished_at TEXT,
  files_scanned INTEGER NOT NULL DEFAULT 0,
  files_changed INTEGER NOT NULL DEFAULT 0,
  summary TEXT,
  error TEXT
);
CREATE INDEX scan_runs_by_repository ON scan_runs (repository_id, started_at);

CREATE TABLE files (
  id INTEGER PRIMARY KEY,
  repository_id BIGINT NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  path TEXT NOT NULL,
  language TEXT,
  size BIGINT NOT NULL DEFAULT 0,
  modified_at TEXT,
  content_hash TEXT NOT NULL,
  last_scanned TEXT NOT NULL,
  UNIQUE (repository_id, path)
);

CREATE TABLE symbols (
  id INTEGER PRIMARY KEY,
  repository_id BIGINT NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  file_id BIGINT NOT NULL REFERENCES files (id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  qualified_name TEXT NOT NULL,
  start_line INTEGER NOT NULL,
  end_line INTEGER NOT NULL,
  signature TEXT,
  docstring TEXT,
  bases TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX symbols_by_file ON symbols (file_id);
CREATE INDEX symbols_by_name ON symbols (repository_id, name);
CREATE INDEX symbols_by_qualified_name ON symbols (repository_id, qualified_name);

CREATE TABLE imports (
  id INTEGER PRIMARY KEY,
  repository_id BIGINT NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  file_id BIGINT NOT NULL REFERENCES files (id) ON DELETE CASCADE,
  module TEXT NOT NULL,
  names TEXT NOT NULL DEFAULT '[]',
  alias TEXT,
  line INTEGER NOT NULL,
  is_relative INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX imports_by_file ON imports (file_id);
CREATE INDEX imports_by_module ON imports (repository_id, module);

CREATE TABLE exports (
  id INTEGER PRIMARY KEY,
  repository_id BIGINT NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  file_id BIGINT NOT NULL REFERENCES files (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  line INTEGER NOT NULL
);
CREATE INDEX exports_by_file ON exports (file_id);

CREATE TABLE relationships (
  id INTEGER PRIMARY KEY,
  repository_id BIGINT NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  source TEXT NOT NULL,
  target TEXT NOT NULL,
  type TEXT NOT NULL
    CHECK (type IN ('imports', 'exports', 'calls', 'inherits', 'implements', 'uses')),
  metadata TEXT NOT NULL DEFAULT '{}',
  UNIQUE (repository_id, source, target, type)
);
CREATE INDEX relationships_by_target ON relationships (repository_id, target);

CREATE TABLE tasks (
  id INTEGER PRIMARY KEY,
  repository_id BIGINT NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  type TEXT NOT NULL,
  title TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL CHECK (status IN ('backlog', 'todo', 'assigned', 'working', 'review',
                                         'approved', 'rejected', 'done', 'blocked')),
  priority TEXT NOT NULL DEFAULT 'medium',
  assigned_to TEXT,
  depends_on TEXT NOT NULL DEFAULT '[]',
  blocks TEXT NOT NULL DEFAULT '[]',
  guardrails TEXT NOT NULL DEFAULT '[]',
  acceptance_criteria TEXT NOT NULL DEFAULT '[]',
  review_mode TEXT,
  progress INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
  context TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL,
  started_at TEXT,
  completed_at TEXT,
  claimed_at TEXT,
  updated_at TEXT NOT NULL
);
CREATE INDEX tasks_by_status ON tasks (repository_id, status, priority);
CREATE INDEX tasks_by_assignee ON tasks (assigned_to);

CREATE TABLE task_history (
  id INTEGER PRIMARY KEY,
  repository_id BIGINT NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  task_id BIGINT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  action TEXT NOT NULL,
  agent TEXT,
  details TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL
);
CREATE INDEX task_history_by_task ON task_history (task_id, id);

CREATE TABLE completion_reports (
  id INTEGER PRIMARY KEY,
  repository_id BIGINT NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  task_id BIGINT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  agent TEXT,
  summary TEXT NOT NULL,
  files_changed TEXT NOT NULL DEFAULT '[]',
  tests_passed INTEGER,
  details TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL
);
CREATE INDEX completion_reports_by_task ON completion_reports (task_id);

CREATE TABLE findings (
  id INTEGER PRIMARY KEY,
  repository_id BIGINT NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  task_id BIGINT REFERENCES tasks (id) ON DELETE SET NULL,
  agent TEXT,
  kind TEXT NOT NULL,
  severity TEXT NOT NULL DEFAULT 'info',
  title TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  file_path TEXT,
  line INTEGER,
  created_at TEXT NOT NULL
);
CREATE INDEX findings_by_repository ON findings (repository_id, created_at);

CREATE TABLE decisions (
  id INTEGER PRIMARY KEY,
  repository_id BIGINT NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  task_id BIGINT REFERENCES tasks (id) ON DELETE SET NULL,
  agent TEXT,
  title TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'accepted',
  context TEXT NOT NULL DEFAULT '',
  decision TEXT NOT NULL,
  consequences TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX decisions_by_repository ON decisions (repository_id, created_at);

CREATE TABLE blockers (
  id INTEGER PRIMARY KEY,
  repository_id BIGINT NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  task_id BIGINT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  agent TEXT,
  reason TEXT NOT NULL,
  resolution TEXT,
  created_at TEXT NOT NULL,
  resolved_at TEXT
);
CREATE INDEX blockers_by_task ON blockers (task_id, resolved_at);

CREATE TABLE sync_events (
  id INTEGER PRIMARY KEY,
  repository_id BIGINT REFERENCES repositories (id) ON DELETE CASCADE,
  entity_type TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  content_hash TEXT NOT NULL DEFAULT '',
  action TEXT NOT NULL CHECK (action IN ('upsert', 'delete')),
  scan_run_id BIGINT REFERENCES scan_runs (id) ON DELETE SET NULL,
  priority INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  processed_at TEXT
);
CREATE INDEX sync_events_pending ON sync_events (priority DESC, id) WHERE processed_at IS NULL;
CREATE INDEX sync_events_by_processed_at ON sync_events (processed_at);
CREATE INDEX sync_events_by_entity ON sync_events (entity_type, entity_id);

CREATE TABLE storage_sync (
  target TEXT NOT NULL,
  entity_type TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  repository_id BIGINT REFERENCES repositories (id) ON DELETE CASCADE,
  last_synced_hash TEXT,
  status TEXT NOT NULL CHECK (status IN ('pending', 'ok', 'failed', 'dead_letter')),
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  next_attempt_at TEXT,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (target, entity_type, entity_id)
);
CREATE INDEX storage_sync_by_status ON storage_sync (target, status, next_attempt_at);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT,
  outcome TEXT NOT NULL,
  details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_by_time ON audit_log (at);
CREATE INDEX audit_log_by_actor ON audit_log (actor, at);
)sql";

// Version 2: what the scanner and parser record beyond version 1, and the
// search index tables.
constexpr std::string_view kCodeIntelligence = R"sql(
ALTER TABLE files ADD COLUMN mtime_ns BIGINT NOT NULL DEFAULT 0;
ALTER TABLE files ADD COLUMN diagnostics TEXT NOT NULL DEFAULT '[]';
-- Calls and component uses as written (JSON), to re-resolve relationships
-- when other files change without re-parsing this one.
ALTER TABLE files ADD COLUMN refs TEXT NOT NULL DEFAULT '{}';
ALTER TABLE symbols ADD COLUMN detail TEXT NOT NULL DEFAULT '';
ALTER TABLE symbols ADD COLUMN implements TEXT NOT NULL DEFAULT '[]';
ALTER TABLE symbols ADD COLUMN fields TEXT NOT NULL DEFAULT '[]';
ALTER TABLE imports ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE imports ADD COLUMN end_line INTEGER NOT NULL DEFAULT 0;
ALTER TABLE exports ADD COLUMN alias TEXT NOT NULL DEFAULT '';
ALTER TABLE exports ADD COLUMN is_default INTEGER NOT NULL DEFAULT 0;
ALTER TABLE exports ADD COLUMN source TEXT NOT NULL DEFAULT '';

-- The search index (a projection: rebuildable from the tables above).
-- One document per searchable thing; postings hold field-weighted term
-- frequencies of code-aware tokens, so ranking is computed the same way on
-- every backend.
CREATE TABLE search_docs (
  id INTEGER PRIMARY KEY,
  repository_id BIGINT NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  doc_key TEXT NOT NULL,
  source_key TEXT NOT NULL,
  type TEXT NOT NULL,
  title TEXT NOT NULL,
  content TEXT NOT NULL,
  file_path TEXT,
  line_number INTEGER,
  length INTEGER NOT NULL,
  graph_score REAL NOT NULL DEFAULT 0,
  UNIQUE (repository_id, doc_key)
);
CREATE INDEX search_docs_by_source ON search_docs (repository_id, source_key);

CREATE TABLE search_postings (
  repository_id BIGINT NOT NULL,
  term TEXT NOT NULL,
  doc_id BIGINT NOT NULL REFERENCES search_docs (id) ON DELETE CASCADE,
  weight REAL NOT NULL
);
CREATE INDEX search_postings_by_term ON search_postings (repository_id, term);
CREATE INDEX search_postings_by_doc ON search_postings (doc_id);
)sql";

// Version 3, the task pipeline (issue 4): the status a blocked task returns
// to, the time of its claimant's last report (claim expiry), the last
// progress line; per report the sender's own reported_at next to the
// server's created_at; finding files; decision numbers (adr-NNN, unique per
// repository) and rationale; what a blocker needs and who resolved it.
constexpr std::string_view kTaskPipeline = R"sql(
ALTER TABLE tasks ADD COLUMN status_before_block TEXT;
ALTER TABLE tasks ADD COLUMN last_report_at TEXT;
ALTER TABLE tasks ADD COLUMN status_note TEXT;
ALTER TABLE tasks ADD COLUMN created_by TEXT;
CREATE INDEX tasks_by_claim_age ON tasks (status, last_report_at);
ALTER TABLE completion_reports ADD COLUMN reported_at TEXT;
ALTER TABLE findings ADD COLUMN files TEXT NOT NULL DEFAULT '[]';
ALTER TABLE findings ADD COLUMN reported_at TEXT;
ALTER TABLE decisions ADD COLUMN number INTEGER;
ALTER TABLE decisions ADD COLUMN rationale TEXT NOT NULL DEFAULT '';
ALTER TABLE decisions ADD COLUMN reported_at TEXT;
CREATE UNIQUE INDEX decisions_by_number ON decisions (repository_id, number);
ALTER TABLE blockers ADD COLUMN needs TEXT NOT NULL DEFAULT '';
ALTER TABLE blockers ADD COLUMN reported_at TEXT;
ALTER TABLE blockers ADD COLUMN resolved_by TEXT;
)sql";

// Version 4, the MCP server (issue 5): agent tokens, stored only as a hash
// (BLAKE2b-256 of the random token); a name is unique among live tokens,
// so a revoked name can be issued again.
constexpr std::string_view kAgentTokens = R"sql(
CREATE TABLE agent_tokens (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('reader', 'agent', 'admin')),
  token_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  last_used_at TEXT,
  revoked_at TEXT
);
CREATE UNIQUE INDEX agent_tokens_live_name ON agent_tokens (name) WHERE revoked_at IS NULL;
)sql";

// Version 5, search quality (issue 6): the source of truth's own full-text
// search, the fallback when the derived index is behind or broken, and the
// relationship-graph score of each indexed document and, with
// search.embeddings enabled, its embedding (search_vectors).
//
// source_fts is one FTS5 table over the searchable source rows, kept by
// triggers so it can never lag the rows it covers: rowid = row id * 8 +
// the table's code (1 symbols, 2 files, 3 tasks, 4 completion_reports,
// 5 findings, 6 decisions). "title" is the name (weighs more), "body" the
// rest. postgres/migrations.cpp does the same with tsvector columns.
constexpr std::string_view kSearchQuality = R"sql(
-- One embedding per search document when search.embeddings is enabled
-- (base64 of little-endian float32, L2-normalized), from `model`.
CREATE TABLE search_vectors (
  doc_id BIGINT PRIMARY KEY REFERENCES search_docs (id) ON DELETE CASCADE,
  repository_id BIGINT NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  model TEXT NOT NULL,
  vector TEXT NOT NULL
);
CREATE INDEX search_vectors_by_repository ON search_vectors (repository_id, model);

CREATE TABLE search_graph (
  repository_id BIGINT NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  doc_key TEXT NOT NULL,
  score REAL NOT NULL,
  PRIMARY KEY (repository_id, doc_key)
);

CREATE VIRTUAL TABLE source_fts USING fts5(
  title, body, repository_id UNINDEXED, tokenize = 'porter unicode61');

CREATE TRIGGER symbols_fts_insert AFTER INSERT ON symbols BEGIN
  INSERT INTO source_fts (rowid, title, body, repository_id) VALUES (new.id * 8 + 1,
    new.name || ' ' || new.qualified_name,
    coalesce(new.signature, '') || ' ' || coalesce(new.docstring, ''), new.repository_id);
END;
CREATE TRIGGER symbols_fts_delete AFTER DELETE ON symbols BEGIN
  DELETE FROM source_fts WHERE rowid = old.id * 8 + 1;
END;
CREATE TRIGGER symbols_fts_update AFTER UPDATE OF name, qualified_name, signature, docstring
  ON symbols BEGIN
  DELETE FROM source_fts WHERE rowid = old.id * 8 + 1;
  INSERT INTO source_fts (rowid, title, body, repository_id) VALUES (new.id * 8 + 1,
    new.name || ' ' || new.qualified_name,
    coalesce(new.signature, '') || ' ' || coalesce(new.docstring, ''), new.repository_id);
END;

CREATE TRIGGER files_fts_insert AFTER INSERT ON files BEGIN
  INSERT INTO source_fts (rowid, title, body, repository_id)
    VALUES (new.id * 8 + 2, new.path, '', new.repository_id);
END;
CREATE TRIGGER files_fts_delete AFTER DELETE ON files BEGIN
  DELETE FROM source_fts WHERE rowid = old.id * 8 + 2;
END;
CREATE TRIGGER files_fts_update AFTER UPDATE OF path ON files BEGIN
  DELETE FROM source_fts WHERE rowid = old.id * 8 + 2;
  INSERT INTO source_fts (rowid, title, body, repository_id)
    VALUES (new.id * 8 + 2, new.path, '', new.repository_id);
END;

CREATE TRIGGER tasks_fts_insert AFTER INSERT ON tasks BEGIN
  INSERT INTO source_fts (rowid, title, body, repository_id)
    VALUES (new.id * 8 + 3, new.title, new.description, new.repository_id);
END;
CREATE TRIGGER tasks_fts_delete AFTER DELETE ON tasks BEGIN
  DELETE FROM source_fts WHERE rowid = old.id * 8 + 3;
END;
CREATE TRIGGER tasks_fts_update AFTER UPDATE OF title, description ON tasks BEGIN
  DELETE FROM source_fts WHERE rowid = old.id * 8 + 3;
  INSERT INTO source_fts (rowid, title, body, repository_id)
    VALUES (new.id * 8 + 3, new.title, new.description, new.repository_id);
END;

CREATE TRIGGER completion_reports_fts_insert AFTER INSERT ON completion_reports BEGIN
  INSERT INTO source_fts (rowid, title, body, repository_id)
    VALUES (new.id * 8 + 4, '', new.summary, new.repository_id);
END;
CREATE TRIGGER completion_reports_fts_delete AFTER DELETE ON completion_reports BEGIN
  DELETE FROM source_fts WHERE rowid = old.id * 8 + 4;
END;
CREATE TRIGGER completion_reports_fts_update AFTER UPDATE OF summary ON completion_reports BEGIN
  DELETE FROM source_fts WHERE rowid = old.id * 8 + 4;
  INSERT INTO source_fts (rowid, title, body, repository_id)
    VALUES (new.id * 8 + 4, '', new.summary, new.repository_id);
END;

CREATE TRIGGER findings_fts_insert AFTER INSERT ON findings BEGIN
  INSERT INTO source_fts (rowid, title, body, repository_id)
    VALUES (new.id * 8 + 5, new.title, new.description, new.repository_id);
END;
CREATE TRIGGER findings_fts_delete AFTER DELETE ON findings BEGIN
  DELETE FROM source_fts WHERE rowid = old.id * 8 + 5;
END;
CREATE TRIGGER findings_fts_update AFTER UPDATE OF title, description ON findings BEGIN
  DELETE FROM source_fts WHERE rowid = old.id * 8 + 5;
  INSERT INTO source_fts (rowid, title, body, repository_id)
    VALUES (new.id * 8 + 5, new.title, new.description, new.repository_id);
END;

CREATE TRIGGER decisions_fts_insert AFTER INSERT ON decisions BEGIN
  INSERT INTO source_fts (rowid, title, body, repository_id) VALUES (new.id * 8 + 6, new.title,
    new.decision || ' ' || new.context || ' ' || new.rationale || ' ' || new.consequences,
    new.repository_id);
END;
CREATE TRIGGER decisions_fts_delete AFTER DELETE ON decisions BEGIN
  DELETE FROM source_fts WHERE rowid = old.id * 8 + 6;
END;
CREATE TRIGGER decisions_fts_update
  AFTER UPDATE OF title, decision, context, rationale, consequences ON decisions BEGIN
  DELETE FROM source_fts WHERE rowid = old.id * 8 + 6;
  INSERT INTO source_fts (rowid, title, body, repository_id) VALUES (new.id * 8 + 6, new.title,
    new.decision || ' ' || new.context || ' ' || new.rationale || ' ' || new.consequences,
    new.repository_id);
END;

-- The rows written before this version.
INSERT INTO source_fts (rowid, title, body, repository_id)
  SELECT id * 8 + 1, name || ' ' || qualified_name,
         coalesce(signature, '') || ' ' || coalesce(docstring, ''), repository_id FROM symbols;
INSERT INTO source_fts (rowid, title, body, repository_id)
  SELECT id * 8 + 2, path, '', repository_id FROM files;
INSERT INTO source_fts (rowid, title, body, repository_id)
  SELECT id * 8 + 3, title, description, repository_id FROM tasks;
INSERT INTO source_fts (rowid, title, body, repository_id)
  SELECT id * 8 + 4, '', summary, repository_id FROM completion_reports;
INSERT INTO source_fts (rowid, title, body, repository_id)
  SELECT id * 8 + 5, title, description, repository_id FROM findings;
INSERT INTO source_fts (rowid, title, body, repository_id)
  SELECT id * 8 + 6, title, decision || ' ' || context || ' ' || rationale || ' ' || consequences,
         repository_id FROM decisions;
)sql";

// Version 6: every query computes BM25's corpus statistics (document count
// and average length per repository); this index makes that an index-only
// scan instead of a read of every document row (search_docs p99 over
// /usr/lib/python3.11: 11.8 ms -> 6 ms in bench/mcp).
constexpr std::string_view kSearchStats = R"sql(
CREATE INDEX search_docs_by_length ON search_docs (repository_id, length);
)sql";

// Version 7: the index's postings move from one row per (term, document) to
// segments: each batch the sync worker applies writes one segment, one row
// per term holding that term's postings in the batch (document id deltas
// and weights as text), and small segments are merged. A fresh scan of
// /usr/lib/python3.11 wrote 282k posting rows into three B-trees; it now
// writes about 19k. A removed document's postings stay in their segment
// until a merge and are skipped at query time (the document row is gone),
// so document ids must never be reused: search_docs gets AUTOINCREMENT.
// The index is derived, so it is dropped here and rebuilt through the
// outbox: every entity the index had synced gets an event again.
constexpr std::string_view kSearchSegments = R"sql(
INSERT INTO sync_events (repository_id, entity_type, entity_id, content_hash, action, priority,
                         created_at)
  SELECT repository_id, entity_type, entity_id, coalesce(last_synced_hash, ''), 'upsert', 0,
         strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
  FROM storage_sync WHERE target = 'index';
DELETE FROM storage_sync WHERE target = 'index';
DROP TABLE search_vectors;
DROP TABLE search_postings;
DROP TABLE search_docs;

CREATE TABLE search_docs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  repository_id BIGINT NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  doc_key TEXT NOT NULL,
  source_key TEXT NOT NULL,
  type TEXT NOT NULL,
  title TEXT NOT NULL,
  content TEXT NOT NULL,
  file_path TEXT,
  line_number INTEGER,
  length INTEGER NOT NULL,
  graph_score REAL NOT NULL DEFAULT 0,
  UNIQUE (repository_id, doc_key)
);
CREATE INDEX search_docs_by_source ON search_docs (repository_id, source_key);
CREATE INDEX search_docs_by_length ON search_docs (repository_id, length);

CREATE TABLE search_vectors (
  doc_id BIGINT PRIMARY KEY REFERENCES search_docs (id) ON DELETE CASCADE,
  repository_id BIGINT NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  model TEXT NOT NULL,
  vector TEXT NOT NULL
);
CREATE INDEX search_vectors_by_repository ON search_vectors (repository_id, model);

CREATE TABLE search_segments (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  repository_id BIGINT NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  postings BIGINT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX search_segments_by_repository ON search_segments (repository_id);

CREATE TABLE search_terms (
  repository_id BIGINT NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  term TEXT NOT NULL,
  segment_id BIGINT NOT NULL,
  postings TEXT NOT NULL,
  PRIMARY KEY (repository_id, term, segment_id)
) WITHOUT ROWID;
)sql";

// Version 8: storage_sync is kept per repository. Its key was (target,
// entity_type, entity_id), so two repositories in one database with the same
// file path shared one row: the second repository's event moved the row to
// itself and, its content hash being equal, was skipped as already synced;
// its index and pages were never written. The key now starts with the
// repository. Entities whose events came from more than one repository lose
// their rows and get their latest event again, once per repository (the
// outbox keeps every event, so this finds every such entity).
constexpr std::string_view kSyncPerRepository = R"sql(
CREATE TEMP TABLE shared_entities AS
  SELECT entity_type, entity_id FROM sync_events WHERE repository_id IS NOT NULL
  GROUP BY entity_type, entity_id HAVING COUNT(DISTINCT repository_id) > 1;
INSERT INTO sync_events (repository_id, entity_type, entity_id, content_hash, action, priority,
                         created_at)
  SELECT e.repository_id, e.entity_type, e.entity_id, e.content_hash, e.action, e.priority,
         strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
  FROM sync_events e
  WHERE e.id IN (SELECT MAX(id) FROM sync_events WHERE repository_id IS NOT NULL
                 GROUP BY repository_id, entity_type, entity_id)
    AND EXISTS (SELECT 1 FROM shared_entities x WHERE x.entity_type = e.entity_type
                AND x.entity_id = e.entity_id);

CREATE TABLE storage_sync_v8 (
  repository_id BIGINT NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  target TEXT NOT NULL,
  entity_type TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  last_synced_hash TEXT,
  status TEXT NOT NULL CHECK (status IN ('pending', 'ok', 'failed', 'dead_letter')),
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  next_attempt_at TEXT,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (repository_id, target, entity_type, entity_id)
);
INSERT INTO storage_sync_v8 (repository_id, target, entity_type, entity_id, last_synced_hash,
                             status, attempts, last_error, next_attempt_at, updated_at)
  SELECT repository_id, target, entity_type, entity_id, last_synced_hash, status, attempts,
         last_error, next_attempt_at, updated_at
  FROM storage_sync s
  WHERE repository_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM shared_entities x WHERE x.entity_type = s.entity_type
                    AND x.entity_id = s.entity_id);
DROP TABLE storage_sync;
ALTER TABLE storage_sync_v8 RENAME TO storage_sync;
CREATE INDEX storage_sync_by_status
  ON storage_sync (repository_id, target, status, next_attempt_at);
DROP TABLE shared_entities;
)sql";

// Version 9, dashboard sign-in (auth/sessions.h): users with an Argon2id
// password hash, and their sessions. A session (a sign-in, the "family" of
// its refresh tokens) is an auth_sessions row whose id the access tokens
// carry as `sid`; revoking it ends every token of that sign-in. user_id is
// NULL for a trusted local session (serve's sign-in link), which has no
// users row and keeps its name and role on the session. Refresh tokens are
// stored only as a hash (BLAKE2b-256 of the random token), one row per
// token; used_at marks a rotated one, so presenting it again is reuse.
constexpr std::string_view kUsersAndSessions = R"sql(
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('reader', 'agent', 'admin')),
  password_hash TEXT NOT NULL,
  created_at TEXT NOT NULL,
  last_login_at TEXT,
  disabled_at TEXT
);
CREATE TABLE auth_sessions (
  id TEXT PRIMARY KEY,
  user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('reader', 'agent', 'admin')),
  created_at TEXT NOT NULL,
  revoked_at TEXT,
  revoked_reason TEXT
);
CREATE INDEX auth_sessions_by_user ON auth_sessions (user_id);
CREATE TABLE refresh_tokens (
  id INTEGER PRIMARY KEY,
  family_id TEXT NOT NULL REFERENCES auth_sessions (id) ON DELETE CASCADE,
  token_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at TEXT
);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);
)sql";

// Version 10, query traces (search/traces.h): one row per search (REST,
// MCP, CLI) with its stage timings in milliseconds (JSON) and the ids of
// its results (JSON); error is the search's error code, NULL when it
// answered. Written off the search's path by a background
// writer, which also keeps at most a fixed number per repository by
// deleting the oldest (by id). trace_id is the id clients see.
constexpr std::string_view kQueryTraces = R"sql(
CREATE TABLE query_traces (
  id INTEGER PRIMARY KEY,
  trace_id TEXT NOT NULL UNIQUE,
  repository_id BIGINT NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  query TEXT NOT NULL,
  scope TEXT NOT NULL,
  engine TEXT NOT NULL,
  result_limit INTEGER NOT NULL,
  result_ids TEXT NOT NULL DEFAULT '[]',
  timings TEXT NOT NULL DEFAULT '{}',
  total_ms REAL NOT NULL,
  caller TEXT NOT NULL,
  created_at TEXT NOT NULL,
  error TEXT
);
CREATE INDEX query_traces_by_repository ON query_traces (repository_id, id);
CREATE INDEX query_traces_by_time ON query_traces (repository_id, created_at);
)sql";

constexpr std::string_view kFastJobs = R"sql(
CREATE TABLE fast_jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  job_type TEXT NOT NULL,
  payload TEXT NOT NULL,
  idempotency_key TEXT,
  status TEXT NOT NULL DEFAULT 'waiting',
  deliveries INTEGER NOT NULL DEFAULT 0,
  taken_by TEXT,
  visible_at TEXT NOT NULL,
  last_error TEXT,
  created_at TEXT NOT NULL,
  dead_at TEXT
);
CREATE INDEX fast_jobs_due ON fast_jobs (queue, status, visible_at, id);
CREATE UNIQUE INDEX fast_jobs_by_key ON fast_jobs (queue, idempotency_key)
  WHERE idempotency_key IS NOT NULL AND status <> 'dead';
CREATE TABLE finished_jobs (
  queue TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  job_type TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  PRIMARY KEY (queue, idempotency_key)
);
)sql";

// Version 12: durable workflows (jobs/workflow.h). A run is a row with its
// lease (lease_owner, lease_until) and its wake-up time (a timer, a retry's
// backoff or a signal wait's timeout); its steps are rows keyed by their
// position in the run, holding each completed step's result; signals are
// rows consumed by the step that waits for them.
constexpr std::string_view kWorkflows = R"sql(
CREATE TABLE workflow_runs (
  id TEXT PRIMARY KEY,
  workflow TEXT NOT NULL,
  input TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending',
  result TEXT,
  error TEXT,
  lease_owner TEXT,
  lease_until TEXT,
  wake_at TEXT,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  finished_at TEXT
);
CREATE INDEX workflow_runs_by_status ON workflow_runs (status, wake_at);
CREATE INDEX workflow_runs_by_lease ON workflow_runs (status, lease_until);
CREATE INDEX workflow_runs_by_created ON workflow_runs (created_at, id);
CREATE TABLE workflow_steps (
  run_id TEXT NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  name TEXT NOT NULL,
  kind TEXT NOT NULL DEFAULT 'step',
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  result TEXT,
  error TEXT,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  PRIMARY KEY (run_id, seq)
);
CREATE TABLE workflow_signals (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  data TEXT NOT NULL,
  created_at TEXT NOT NULL,
  consumed_at TEXT
);
CREATE INDEX workflow_signals_waiting ON workflow_signals (run_id, name, consumed_at, id);
)sql";

// Version 13: the scheduler (jobs/scheduler.h) and the crash drill's canary
// jobs. schedule_ticks holds one row per schedule and tick that fired,
// inserted in the transaction that queues the tick's job, so a tick fires
// once however many schedulers race for it; scheduler_leases names the
// process leading the schedulers; job_marks is what the `mark` job type
// writes (one row per execution, no unique key, so a job that ran twice
// shows as two rows).
constexpr std::string_view kSchedules = R"sql(
CREATE TABLE schedule_ticks (
  name TEXT NOT NULL,
  tick_at TEXT NOT NULL,
  job_type TEXT NOT NULL,
  target TEXT NOT NULL,
  fired_by TEXT NOT NULL,
  fired_at TEXT NOT NULL,
  PRIMARY KEY (name, tick_at)
);
CREATE TABLE scheduler_leases (
  name TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  lease_until TEXT NOT NULL
);
CREATE TABLE job_marks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  idempotency_key TEXT,
  job_id TEXT NOT NULL,
  marked_by TEXT NOT NULL,
  marked_at TEXT NOT NULL
);
CREATE INDEX job_marks_by_key ON job_marks (idempotency_key);
)sql";

// Version 14: LLM providers and profiles (PRODUCT §13, §14; src/llm/).
// Secrets (api_key, proxy_api_key) are stored only as secret-box
// ciphertext (llm/secret_box.h: format version, key id, nonce, sealed
// bytes); the *_hint columns hold the masked form lists show ("sk-…abcd").
// kms_key_check holds one sealed check value, so a missing, malformed or
// wrong DOCRUNCH_KMS_KEY is found before any provider call; rotation
// re-seals it with the secrets in one transaction.
constexpr std::string_view kLlmProviders = R"sql(
CREATE TABLE llm_providers (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  base_url TEXT NOT NULL,
  model TEXT NOT NULL,
  options TEXT NOT NULL DEFAULT '{}',
  api_key TEXT,
  api_key_hint TEXT,
  proxy_api_key TEXT,
  proxy_api_key_hint TEXT,
  enabled INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE llm_profiles (
  role TEXT PRIMARY KEY,
  provider_id INTEGER NOT NULL REFERENCES llm_providers (id),
  model TEXT,
  temperature REAL,
  system_prompt TEXT NOT NULL DEFAULT '',
  max_tokens INTEGER,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX llm_profiles_by_provider ON llm_profiles (provider_id);
CREATE TABLE kms_key_check (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  key_id TEXT NOT NULL,
  sealed TEXT NOT NULL,
  created_at TEXT NOT NULL,
  rotated_at TEXT
);
)sql";

// Version 16: the request id of the HTTP request a search was made in
// (obs/request_id.h), so a trace, its audit rows and log lines meet.
constexpr std::string_view kTraceRequestIds = R"sql(
ALTER TABLE query_traces ADD COLUMN request_id TEXT;
)sql";

// Version 15: every LLM call with its tokens and cost (in millionths of a
// USD, summed exactly), the alerts fired per budget, period and threshold
// (once each), and the row every reservation locks so that concurrent calls
// check a budget one at a time (cost/ledger.h).
constexpr std::string_view kLlmCost = R"sql(
CREATE TABLE llm_calls (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  agent TEXT NOT NULL DEFAULT '',
  task_id TEXT NOT NULL DEFAULT '',
  profile TEXT NOT NULL DEFAULT '',
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  status TEXT NOT NULL,
  outcome TEXT NOT NULL DEFAULT '',
  estimate_micros BIGINT NOT NULL DEFAULT 0,
  input_tokens BIGINT NOT NULL DEFAULT 0,
  output_tokens BIGINT NOT NULL DEFAULT 0,
  cost_micros BIGINT,
  latency_ms BIGINT,
  started_at TEXT NOT NULL,
  finished_at TEXT
);
CREATE INDEX llm_calls_by_time ON llm_calls (started_at);
CREATE TABLE cost_alerts (
  budget TEXT NOT NULL,
  period_start TEXT NOT NULL,
  threshold INTEGER NOT NULL,
  spent_micros BIGINT NOT NULL,
  limit_micros BIGINT NOT NULL,
  fired_at TEXT NOT NULL,
  PRIMARY KEY (budget, period_start, threshold)
);
CREATE TABLE cost_lock (
  id INTEGER PRIMARY KEY,
  reservations BIGINT NOT NULL
);
INSERT INTO cost_lock (id, reservations) VALUES (1, 0);
)sql";

// Version 17: chat with citations (src/chat/). A session holds the
// messages of one conversation; an assistant message keeps the citations
// of its answer (a JSON array: label, source, verified), how it was made
// (mode "generated" by the chat profile's provider, or "extractive"), and
// for a generated answer the prompt sent, the provider, the model and its
// llm_calls row.
constexpr std::string_view kChat = R"sql(
CREATE TABLE chat_sessions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  title TEXT NOT NULL,
  created_by TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX chat_sessions_by_update ON chat_sessions (updated_at);
CREATE TABLE chat_messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  session_id BIGINT NOT NULL REFERENCES chat_sessions (id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
  content TEXT NOT NULL,
  citations TEXT NOT NULL DEFAULT '[]',
  mode TEXT NOT NULL DEFAULT '',
  prompt TEXT,
  provider TEXT,
  model TEXT,
  llm_call_id BIGINT REFERENCES llm_calls (id) ON DELETE SET NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX chat_messages_by_session ON chat_messages (session_id, id);
)sql";

// Version 18: symbols.body_terms, what a symbol's body says for search (the
// identifiers and comment words of its lines, outside strings and doc
// comments; scan::Symbol::body_terms), indexed as its body field; and
// search_generations, a random token per repository that every write to
// its index replaces in the same transaction, so a process may keep what
// it read from the index (corpus statistics, documents) while the token
// stays (search/search.h, IndexGeneration). Existing indexes get a token.
constexpr std::string_view kSymbolBodyTerms = R"sql(
ALTER TABLE symbols ADD COLUMN body_terms TEXT NOT NULL DEFAULT '';
CREATE TABLE search_generations (
  repository_id BIGINT PRIMARY KEY REFERENCES repositories (id) ON DELETE CASCADE,
  generation BIGINT NOT NULL
);
INSERT INTO search_generations (repository_id, generation) SELECT id, random() FROM repositories;
)sql";

// Version 19: search_terms by segment. A merge reads and deletes the terms
// of the segments it merges; keyed by (repository_id, term, segment_id),
// that scanned every term of the repository on each merge (the sync
// worker's largest CPU cost at 100,000 decisions, docs/benchmarks.md).
constexpr std::string_view kTermsBySegment = R"sql(
CREATE INDEX search_terms_by_segment ON search_terms (segment_id);
)sql";

// Version 20: on PostgreSQL, what the sync worker derives drops its
// foreign keys to repositories (a row lock on the parent per row written;
// see that migration). SQLite keeps them: its check is a lookup of the
// parent's rowid with no lock, and dropping one means rebuilding the table
// (search_docs' rebuild would also cascade into search_vectors). Nothing
// changes here; the version keeps both backends' numbers alike.
constexpr std::string_view kDerivedWithoutKeys = R"sql(
SELECT 1;
)sql";

// Version 21: what is deprecated (scan::Symbol::deprecated,
// scan::ParsedFile::deprecated), kept with the symbols and files and copied
// to their search documents, which search ranks below the rest
// (search/search.h). The modules marked deprecated are read once per index
// generation, through a partial index. Files scanned before keep 0 until
// they are scanned again (`scan --full`).
constexpr std::string_view kDeprecation = R"sql(
ALTER TABLE files ADD COLUMN deprecated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE symbols ADD COLUMN deprecated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE search_docs ADD COLUMN deprecated INTEGER NOT NULL DEFAULT 0;
CREATE INDEX search_docs_deprecated_modules ON search_docs (repository_id)
  WHERE deprecated = 1 AND type = 'module';
)sql";

// Version 22: the outbox made cheaper to go through again (issue 14 item
// 8: an idempotent re-run of 100,000 events on SQLite took 6.8 times the
// floor of plain inserts, docs/benchmarks.md).
//  - storage_sync rows are found by an integer, entity_key (the sync
//    worker's FNV-1a of repository, type and id: sync/worker.cpp RowKey),
//    not by the four text columns of their key, a seek that cost four
//    times as much on SQLite. Not unique: the worker matches type and id
//    too. Rows written before, or by SQL alone (`sync rebuild`), keep 0
//    and are found by their text key, which gives them theirs. (A table
//    rebuilt WITHOUT ROWID in that key's order read no faster and wrote
//    a 100,000-event apply 20% slower: rows of consecutive entities land
//    on pages all over the table.)
//  - sync_processed: the ranges of events a batch processed, one row per
//    priority class, written on SQLite instead of every event's
//    processed_at (store/pending_events.h). Its rows go with their
//    repository: SQLite may give a deleted repository's id, and its
//    events' ids, to new ones, which a range left behind would cover.
//  - sync_events_pending leads with the repository: the claims and counts
//    seek one repository's class past its watermark.
constexpr std::string_view kCheaperOutbox = R"sql(
ALTER TABLE storage_sync ADD COLUMN entity_key BIGINT NOT NULL DEFAULT 0;
CREATE INDEX storage_sync_by_entity_key ON storage_sync (entity_key);
CREATE TABLE sync_processed (
  repository_id BIGINT NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  priority INTEGER NOT NULL,
  first_id BIGINT NOT NULL,
  last_id BIGINT NOT NULL,
  processed_at TEXT NOT NULL,
  PRIMARY KEY (repository_id, priority, last_id)
);
CREATE INDEX sync_processed_by_time ON sync_processed (repository_id, processed_at);
DROP INDEX sync_events_pending;
CREATE INDEX sync_events_pending ON sync_events (repository_id, priority DESC, id)
  WHERE processed_at IS NULL;
)sql";

// Version 23: the search index's terms are spelled anew (issue 18, seventh
// round): Porter's stemmer in place of its first step alone, and a private
// name's first word without its underscores ("_divide_and_round" is divide,
// round). An index written before holds terms queries no longer ask for, so
// every entity's index row is made a due retry: a sync worker (`serve`,
// `worker start`, `scan`, `sync retry --all`) derives each again from its
// latest event (with search.embeddings on, embedding its documents again
// too), and until it has, the index reports itself behind and the
// database's full-text search answers. `sync rebuild` does it at once. Only rows whose entity has
// an event to derive it from: another would stay due, and the index behind,
// for good. No table changes.
constexpr std::string_view kTermsSpelledAnew = R"sql(
UPDATE storage_sync SET status = 'pending', attempts = 0, last_error = NULL,
  last_synced_hash = NULL, next_attempt_at = '1970-01-01T00:00:00.000Z'
  WHERE target = 'index' AND status = 'ok' AND EXISTS (
    SELECT 1 FROM sync_events e WHERE e.repository_id = storage_sync.repository_id
    AND e.entity_type = storage_sync.entity_type AND e.entity_id = storage_sync.entity_id);
)sql";

constexpr std::array kScripts = {
    MigrationScript{1, "initial schema", kInitialSchema},
    MigrationScript{2, "code intelligence", kCodeIntelligence},
    MigrationScript{3, "task pipeline", kTaskPipeline},
    MigrationScript{4, "agent tokens", kAgentTokens},
    MigrationScript{5, "search quality", kSearchQuality},
    MigrationScript{6, "search statistics", kSearchStats},
    MigrationScript{7, "search segments", kSearchSegments},
    MigrationScript{8, "sync per repository", kSyncPerRepository},
    MigrationScript{9, "users and sessions", kUsersAndSessions},
    MigrationScript{10, "query traces", kQueryTraces},
    MigrationScript{11, "fast job queue", kFastJobs},
    MigrationScript{12, "durable workflows", kWorkflows},
    MigrationScript{13, "schedules and job marks", kSchedules},
    MigrationScript{14, "llm providers and profiles", kLlmProviders},
    MigrationScript{15, "llm calls and cost", kLlmCost},
    MigrationScript{16, "query trace request ids", kTraceRequestIds},
    MigrationScript{17, "chat sessions and messages", kChat},
    MigrationScript{18, "symbol body terms and index generations", kSymbolBodyTerms},
    MigrationScript{19, "search terms by segment", kTermsBySegment},
    MigrationScript{20, "derived tables without repository keys", kDerivedWithoutKeys},
    MigrationScript{21, "deprecation", kDeprecation},
    MigrationScript{22, "a cheaper outbox", kCheaperOutbox},
    MigrationScript{23, "search terms spelled anew", kTermsSpelledAnew},
};

}  // namespace

const MigrationCatalog& SqliteMigrations() {
  static const MigrationCatalog catalog{
      kScripts,
      "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
      "name TEXT NOT NULL, applied_at TEXT NOT NULL)",
  };
  return catalog;
}

}  // namespace docrunch::store
