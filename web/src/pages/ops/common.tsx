// Shared by the operations pages (cost, snapshots): the server's refusal
// with its status and code, and the explanation a non-admin sees instead of
// the page (the routes are admin only; the server refuses them anyway).
import { ApiError } from '../../api/client';
import { useSession } from '../../app/session';
import { Loading } from '../../components/states';
import { useResource } from '../../components/useResource';

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

export function useIsAdmin(): boolean {
  return useSession().user?.role === 'admin';
}

// What a non-admin sees instead of the page: why, and the server's own
// refusal of the page's route (asked, not assumed).
export function AdminOnly({ title, what, route }: { title: string; what: string; route: string }) {
  const { user } = useSession();
  const refusal = useResource<unknown>(route);
  return (
    <section>
      <h1>{title}</h1>
      <div className="notice" role="note">
        <p>
          {what} is for admins. You are signed in as <strong>{user?.name}</strong> with the role{' '}
          <strong>{user?.role}</strong>; ask an admin, or run the CLI on the server.
        </p>
      </div>
      {refusal.loading && <Loading label="Asking the server…" />}
      {refusal.error && (
        <>
          <p>The server's answer:</p>
          <ApiErrorBox error={refusal.error} />
        </>
      )}
    </section>
  );
}

const usd = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  minimumFractionDigits: 2,
  maximumFractionDigits: 6,
});
export const formatUsd = (v: number) => usd.format(v);
const int = new Intl.NumberFormat('en-US');
export const formatInt = (v: number) => int.format(v);

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
