// The shapes of the REST answers the dashboard reads (docs/rest.md; the
// server's OpenAPI document at /api/openapi.json is the full contract).

export type Role = 'reader' | 'agent' | 'admin';

export interface Me {
  name: string;
  role: Role;
  [key: string]: unknown;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export const TASK_STATUSES = [
  'backlog',
  'todo',
  'assigned',
  'working',
  'review',
  'approved',
  'rejected',
  'blocked',
  'done',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const PRIORITIES = ['critical', 'high', 'medium', 'low'] as const;

export interface Task {
  id: string;
  type: string;
  title: string;
  description: string;
  status: TaskStatus;
  priority: string;
  assigned_to: string | null;
  depends_on: string[];
  blocks: string[];
  guardrails: string[];
  acceptance_criteria: string[];
  review_mode: string;
  progress: number;
  status_note: string | null;
  blocked_from: string | null;
  created_by: string;
  created_at: string | null;
  started_at: string | null;
  claimed_at: string | null;
  last_report_at: string | null;
  completed_at: string | null;
  updated_at: string | null;
}

export interface HistoryEntry {
  action: string;
  agent: string | null;
  details: Record<string, unknown>;
  at: string;
}

export interface Completion {
  id: number | string;
  agent: string;
  summary: string;
  changes: string[];
  tests_passed: boolean;
  notes: string;
  review: string;
  review_reasons: string[];
  reported_at: string;
  received_at: string;
}

export interface Finding {
  id: string;
  task_id: string | null;
  type: string;
  description: string;
  files: string[];
  created_by: string;
  created_at: string;
}

export interface Decision {
  id: string;
  task_id: string | null;
  title: string;
  context: string;
  decision: string;
  rationale: string;
  status: string;
  created_by: string;
  created_at: string;
}

export interface Blocker {
  id: number | string;
  description: string;
  needs: string;
  reported_by: string;
  reported_at: string;
  resolution: string | null;
  resolved_by: string | null;
  resolved_at: string | null;
}

export interface TaskRef {
  id: string;
  title?: string;
  status?: string;
}

export interface TaskDetail extends Task {
  available?: boolean;
  dependencies?: TaskRef[];
  dependents?: TaskRef[];
  history?: HistoryEntry[];
  completions?: Completion[];
  findings?: Finding[];
  decisions?: Decision[];
  blockers?: Blocker[];
  claim?: unknown;
  context?: {
    files?: { path: string; language?: string }[];
    symbols?: { kind: string; name: string; qualified_name?: string; file_path: string; line: number }[];
    decisions?: { id: string; title: string }[];
    [key: string]: unknown;
  };
}

export interface StreamMessage<T = unknown> {
  type: string;
  data: T;
  at: string;
}

// The LLM admin routes (/api/llm/...; admins only). Keys come back masked
// ("sk-…abcd") or null, never in clear.
export const PROVIDER_TYPES = ['openai', 'openai-compatible', 'anthropic', 'google', 'xai', 'ollama', 'cli_bridge'] as const;
export const CLI_TYPES = ['gemini', 'claude', 'codex'] as const;
export const PROFILE_ROLES = ['manager', 'librarian', 'qa', 'security', 'ui_ux', 'chat', 'analyzer'] as const;

export interface LlmProvider {
  name: string;
  type: string;
  base_url: string;
  model: string;
  cli_type: string | null;
  api_key: string | null;
  proxy_api_key: string | null;
  enabled: boolean;
  created_at: string;
  updated_at: string;
}

export interface LlmProfile {
  role: string;
  provider: string;
  model: string | null;
  temperature: number | null;
  system_prompt: string;
  max_tokens: number | null;
  created_at: string;
  updated_at: string;
}

export interface ProviderTestAnswer {
  provider: string;
  model: string;
  latency_ms: number;
  answer: string;
  usage: { input_tokens: number; output_tokens: number };
}

export interface CliModelEntry {
  id: string;
  name: string;
  description: string;
}

export interface CliModelsAnswer {
  path: string;
  clis: Record<string, { description: string; models: CliModelEntry[] }> | null;
  error: { code: string; message: string } | null;
}
