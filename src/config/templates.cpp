#include "config/templates.h"

#include "core/utf8.h"

namespace docrunch::config {
namespace {

// The project name as a double-quoted YAML scalar. A folder name that is
// not UTF-8 keeps its ASCII and gets '?' for the rest: configuration values
// must be UTF-8 text.
std::string YamlQuoted(const std::string& text) {
  const bool utf8 = IsValidUtf8(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += !utf8 && static_cast<unsigned char>(c) >= 0x80 ? '?' : c;
  }
  return out + "\"";
}

constexpr const char* kHeader = R"txt(# Docrunch configuration. Reference: docs/configuration.md
# Precedence: command-line flags > environment (DOCRUNCH_SECTION__KEY) > this file > defaults.
# Secrets are never written here: keys ending in _env name the environment
# variable that holds the secret. Check this file with `docrunch config validate`.
)txt";

constexpr const char* kStorageSection = R"txt(
storage:
  # sqlite (embedded, zero services) or postgres (hosted).
  backend: sqlite
  sqlite_path: .docrunch/docrunch.db
  # For postgres: the variable holding the URL (it may carry a password).
  # postgres_url_env: DOCRUNCH_POSTGRES_URL
  docs_output: ./docrunch-docs/
)txt";

constexpr const char* kStandardSections = R"txt(
scanning:
  # Empty: every supported language.
  languages: []
  # gitignore-style patterns, on top of .gitignore and .docrunch/ignore.yaml.
  ignore: []
  max_file_size_kb: 500
  # 0: one worker per core.
  parallel_workers: 0

tasks:
  # A claim with no report for this long returns the task to todo.
  claim_ttl: 30m

server:
  http:
    enabled: true
    host: localhost
    port: 3333
  mcp:
    enabled: true
    # stdio for local agents; http for a hosted instance (requires auth).
    transport: stdio
    host: localhost
    port: 3334
    rate_limit:
      queries_per_minute: 60
      writes_per_minute: 30

security:
  # local, or hosted (stricter: MCP over http with auth, REST auth, KMS key).
  mode: local
  kms_key_env: DOCRUNCH_KMS_KEY

audit:
  enabled: true
)txt";

constexpr const char* kFullSections = R"txt(
jobs:
  # inprocess, or redis (set redis_url_env).
  backend: inprocess
  queue_name: docrunch
  # inprocess: `serve` also runs fast jobs, workflows and schedules.
  run_in_serve: true
  scheduler:
    enabled: false
    scan_cron: "0 3 * * *"
    sync_cron: "*/15 * * * *"

workflows:
  # database-backed durable workflows; temporal is reserved for later.
  engine: database

watch:
  enabled: false
  debounce_ms: 500

llm:
  default_profile: chat
  # Price per 1,000 tokens, by model id, for cost tracking.
  pricing: {}
  budgets:
    daily_usd: 0
    monthly_usd: 0

cost:
  alerts:
    daily_limit: 0
    monthly_limit: 0
    thresholds: [80, 100]
  hard_stop: false

rollback:
  enabled: true
  auto_snapshot:
    on_scan: false
    on_task_complete: false
    before_migrate: true
    before_restore: true
  retention:
    max_snapshots: 50
    max_age_days: 30
    keep_minimum: 5
  path: .docrunch/snapshots/

dashboard:
  theme: system

logging:
  # trace, debug, info, warn, error, off; format text or json (JSON lines).
  level: info
  format: text
)txt";

constexpr const char* kFullStorageExtras = R"txt(  lightrag:
    enabled: false
    base_url: http://127.0.0.1:9621
    chunk_size: 1000
    chunk_overlap: 200
  sync:
    enabled: true
    targets: [index, markdown]
    max_retries: 5
    backoff_seconds: 2
    max_backoff_seconds: 120
    report_sla_seconds: 60
    scan_sla_seconds: 300
    poll_interval_seconds: 5
    prioritize_reports: true
)txt";

// A hosted instance (PRODUCT §2): PostgreSQL, Redis, MCP over HTTP and
// REST both with auth, every secret an environment variable's name. The
// listeners stay on loopback: a TLS proxy (nginx) in front faces the network.
constexpr const char* kHostedSections = R"txt(
storage:
  backend: postgres
  # The variable holding the URL (it may carry the password).
  postgres_url_env: DOCRUNCH_POSTGRES_URL
  postgres_pool_size: 8
  connect_timeout: 5s
  docs_output: ./docrunch-docs/

jobs:
  backend: redis
  # The variable holding redis://[:password@]host:port/db.
  redis_url_env: DOCRUNCH_REDIS_URL
  queue_name: docrunch

workflows:
  engine: database

server:
  http:
    enabled: true
    # Loopback: the TLS proxy in front faces the network.
    host: 127.0.0.1
    port: 3333
    auth:
      enabled: true
      jwt_secret_env: DOCRUNCH_JWT_SECRET
      access_ttl: 24h
      refresh_ttl: 7d
  mcp:
    enabled: true
    transport: http
    host: 127.0.0.1
    port: 3334
    rate_limit:
      queries_per_minute: 60
      writes_per_minute: 30
    auth:
      # Agents use tokens from `docrunch token create --name NAME --role agent`.
      enabled: true

security:
  mode: hosted
  # 32 bytes, base64 or 64 hex digits: head -c 32 /dev/urandom | base64
  kms_key_env: DOCRUNCH_KMS_KEY

audit:
  enabled: true

cost:
  alerts:
    daily_limit: 0
    monthly_limit: 0
    thresholds: [80, 100]
  hard_stop: false

rollback:
  enabled: true
  auto_snapshot:
    before_migrate: true
    before_restore: true
  retention:
    max_snapshots: 50
    max_age_days: 30
    keep_minimum: 5
  path: .docrunch/snapshots/

logging:
  level: info
  format: json
)txt";

constexpr const char* kTaskTemplates =
    R"txt(# Task types: what an agent must respect (guardrails), what "done" means
# (acceptance criteria), and how a completion is reviewed by default.
# review_mode: auto (rules in review_rules.yaml decide), manager, or human.
task_types:
  bug_fix:
    description: Fix a defect without changing intended behaviour elsewhere.
    guardrails:
      - Reproduce the bug with a failing test before changing code.
      - Keep the fix minimal; no unrelated refactoring.
      - Do not change public interfaces unless the bug requires it.
    acceptance_criteria:
      - A regression test fails before the fix and passes after it.
      - The full test suite passes.
    review_mode: auto
  feature:
    description: Add new behaviour described by the task.
    guardrails:
      - Follow the existing architecture and patterns of the module.
      - Add tests for the new behaviour, including bad input.
      - Update user documentation for anything a user can see.
    acceptance_criteria:
      - Every point of the task description is implemented and tested.
      - The full test suite passes.
      - Documentation describes the new behaviour.
    review_mode: manager
  refactor:
    description: Improve structure without changing behaviour.
    guardrails:
      - No behaviour change; tests must not be weakened.
      - Work in small steps, each leaving the build green.
    acceptance_criteria:
      - The full test suite passes without changes to assertions.
      - The stated structural goal is met.
    review_mode: manager
  docs:
    description: Write or correct documentation.
    guardrails:
      - Document behaviour as it is; verify examples by running them.
    acceptance_criteria:
      - Examples run as shown.
      - Links and references resolve.
    review_mode: auto
  test:
    description: Add or improve tests.
    guardrails:
      - Tests must be able to fail; no hard-coded results.
      - Do not change production code except to make it testable.
    acceptance_criteria:
      - New tests fail when the behaviour they cover is broken.
      - The full test suite passes.
    review_mode: auto
  security:
    description: Fix or harden a security-relevant behaviour.
    guardrails:
      - Never log or return secrets.
      - Validate every input that reaches a path, SQL, or a shell.
      - Add a test for the attack being prevented.
    acceptance_criteria:
      - A test demonstrates the issue is closed.
      - No secret appears in logs, errors or responses.
    review_mode: human
)txt";

constexpr const char* kReviewRules =
    R"txt(# How completed tasks are reviewed. Security tasks are never auto-approved.
default_mode: manager
by_priority:
  critical: human
  high: human
  medium: manager
  low: auto
by_type:
  security: human
auto_approve:
  # All must hold for a completion to be approved without review.
  tests_passed: true
  files_changed_max: 10
  forbidden_patterns:
    - "password"
    - "secret"
    - "DROP TABLE"
    - "rm -rf"
    - "eval("
  never_for_types: [security]
)txt";

constexpr const char* kIgnore =
    R"txt(# Paths Docrunch does not scan, in .gitignore syntax, on top of .gitignore.
patterns:
  - .git/
  - .docrunch/
  - docrunch-docs/
  - node_modules/
  - dist/
  - build/
  - .venv/
  - venv/
  - __pycache__/
  - "*.min.js"
  - "*.lock"
)txt";

constexpr const char* kCliModels = R"txt({
  "gemini": {
    "description": "Google Gemini CLI (gemini --model M, prompt on stdin)",
    "models": [
      {"id": "gemini-2.5-pro", "name": "Gemini 2.5 Pro", "description": "High-reasoning model for complex repository analysis"},
      {"id": "gemini-2.5-flash", "name": "Gemini 2.5 Flash", "description": "Fast model for routine tasks"}
    ]
  },
  "claude": {
    "description": "Anthropic Claude Code (claude -p --model M, prompt on stdin)",
    "models": [
      {"id": "claude-sonnet-4-5", "name": "Claude Sonnet 4.5", "description": "Balanced model for coding and review"},
      {"id": "claude-opus-4-1", "name": "Claude Opus 4.1", "description": "Most capable model for hard problems"}
    ]
  },
  "codex": {
    "description": "OpenAI Codex CLI (codex exec --model M, prompt on stdin)",
    "models": [
      {"id": "gpt-5-codex", "name": "GPT-5 Codex", "description": "Coding-tuned model for implementation tasks"}
    ]
  }
}
)txt";

std::string ConfigYaml(InitTemplate kind, const std::string& project_name) {
  std::string out = kHeader;
  out += "\nproject:\n  name: " + YamlQuoted(project_name) + "\n  description: \"\"\n";
  if (kind == InitTemplate::kHosted) return out + kHostedSections;
  out += kStorageSection;
  if (kind == InitTemplate::kFull) out += kFullStorageExtras;
  if (kind != InitTemplate::kMinimal) out += kStandardSections;
  if (kind == InitTemplate::kFull) out += kFullSections;
  return out;
}

}  // namespace

std::optional<InitTemplate> ParseInitTemplate(const std::string& name) {
  if (name == "minimal") return InitTemplate::kMinimal;
  if (name == "standard") return InitTemplate::kStandard;
  if (name == "full") return InitTemplate::kFull;
  if (name == "hosted") return InitTemplate::kHosted;
  return std::nullopt;
}

std::vector<TemplateFile> InitFiles(InitTemplate kind, const std::string& project_name) {
  return {
      {"config.yaml", ConfigYaml(kind, project_name)},
      {"task_templates.yaml", kTaskTemplates},
      {"review_rules.yaml", kReviewRules},
      {"ignore.yaml", kIgnore},
      {"cli_models.json", kCliModels},
  };
}

}  // namespace docrunch::config
