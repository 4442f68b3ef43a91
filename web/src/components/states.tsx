// Loading, empty and error states, the same on every view.
import type { ReactNode } from 'react';
import { ApiError } from '../api/client';
import type { Resource } from './useResource';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {label}
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="state state-empty">{children}</p>;
}

export function ErrorBox({ error, onRetry }: { error: Error; onRetry?: () => void }) {
  return (
    <div className="state state-error" role="alert">
      <strong>Error:</strong> {error.message}
      {onRetry && (
        <button type="button" className="button small" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

// The server's refusal with its status and code (402 LLM_BUDGET_EXCEEDED,
// 403 AUTH_FORBIDDEN, ...), where the code tells the reader what to do.
export function ApiErrorBox({ error, onRetry }: { error: Error; onRetry?: () => void }) {
  const code = error instanceof ApiError ? `${error.status} ${error.code}` : 'Network error';
  return (
    <div className="state state-error" role="alert">
      <span>
        <strong>{code}:</strong> {error.message}
      </span>
      {onRetry && (
        <button type="button" className="button small" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

// Renders the resource's states, or `children(data)` once it has data.
export function Loaded<T>({ resource, children }: { resource: Resource<T>; children: (data: T) => ReactNode }) {
  if (resource.error && !resource.data) return <ErrorBox error={resource.error} onRetry={resource.reload} />;
  if (!resource.data) return <Loading />;
  return <>{children(resource.data)}</>;
}
