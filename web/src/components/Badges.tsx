// Status and priority badges: the word is always shown, so colour is never
// the only signal.
export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge status-${status}`}>{status}</span>;
}

const PRIORITY_MARK: Record<string, string> = { critical: '!!!', high: '!!', medium: '!', low: '·' };

export function PriorityBadge({ priority }: { priority: string }) {
  return (
    <span className={`badge priority-${priority}`}>
      <span aria-hidden="true">{PRIORITY_MARK[priority] ?? ''} </span>
      {priority}
    </span>
  );
}

export function HealthBadge({ status }: { status: string }) {
  const mark: Record<string, string> = {
    healthy: '✓',
    degraded: '!',
    down: '✕',
    unknown: '?',
    not_configured: '–',
  };
  return (
    <span className={`badge health-${status}`}>
      <span aria-hidden="true">{mark[status] ?? ''} </span>
      {status === 'not_configured' ? 'not configured' : status}
    </span>
  );
}
