// Workflow runs as GET /api/workflows and /api/workflows/{id} answer them
// (docs/rest.md, docs/jobs.md "Durable workflows"), and which step is current.
export const RUN_STATUSES = ['pending', 'running', 'waiting', 'completed', 'failed', 'compensated', 'cancelled'] as const;

export interface WorkflowRun {
  id: string;
  workflow: string;
  status: string;
  input: unknown;
  result: unknown;
  error: string | null;
  wake_at: string | null;
  cancel_requested: boolean | number;
  created_at: string | null;
  updated_at: string | null;
  finished_at: string | null;
  [key: string]: unknown;
}

export interface WorkflowStep {
  seq: number;
  name: string;
  kind: 'step' | 'sleep' | 'signal' | string;
  status: string;
  attempts: number;
  result: unknown;
  error: string | null;
  started_at: string | null;
  finished_at: string | null;
}

export interface WorkflowSignal {
  id: number;
  name: string;
  data: unknown;
  created_at: string | null;
  consumed_at: string | null;
}

export interface WorkflowDetail extends WorkflowRun {
  steps: WorkflowStep[];
  signals: WorkflowSignal[];
}

export const isActive = (status: string) => status === 'pending' || status === 'running' || status === 'waiting';

// The step the run is at: while it is active, its last step still running
// (a step, the sleep or the signal it waits for) or compensating.
export function currentStep(run: WorkflowDetail): WorkflowStep | null {
  if (!isActive(run.status)) return null;
  for (let i = run.steps.length - 1; i >= 0; i--) {
    const s = run.steps[i]!;
    if (s.status === 'running' || s.status === 'compensating') return s;
  }
  return null;
}

// The signal the run waits for: its current step when that is a signal wait.
export function pendingSignal(run: WorkflowDetail): WorkflowStep | null {
  const s = currentStep(run);
  return s && s.kind === 'signal' ? s : null;
}

export function deadlineOf(step: WorkflowStep): string | null {
  const r = step.result;
  if (r && typeof r === 'object' && 'deadline' in r) {
    const d = (r as { deadline: unknown }).deadline;
    return typeof d === 'string' ? d : null;
  }
  return null;
}

const STEP_MARK: Record<string, string> = {
  running: '▶',
  completed: '✓',
  failed: '✕',
  compensating: '↩',
  compensated: '↩',
  compensation_failed: '✕↩',
};
export const stepMark = (status: string) => STEP_MARK[status] ?? '';
export const isCompensation = (status: string) => status.startsWith('compensat');
