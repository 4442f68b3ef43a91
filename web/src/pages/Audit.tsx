// The audit log (admin): newest first, filtered by actor, action (a prefix
// with `*`) and outcome, a page at a time.
import { useEffect, useState } from 'react';
import { get } from '../api/client';
import type { Page } from '../api/types';
import { useSession } from '../app/session';
import { Empty, ErrorBox, Loading } from '../components/states';
import { Time } from '../components/Time';

interface Entry {
  id: number;
  at: string;
  actor: string;
  action: string;
  outcome: string;
  target: string | null;
  details: Record<string, unknown>;
}

export default function Audit() {
  const { user } = useSession();
  const [filters, setFilters] = useState({ actor: '', action: '', outcome: '' });
  const [applied, setApplied] = useState(filters);
  const [items, setItems] = useState<Entry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [loading, setLoading] = useState(true);

  const load = (after: string | null) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(applied)) if (v.trim()) q.set(k, v.trim());
    q.set('limit', '50');
    if (after) q.set('cursor', after);
    setLoading(true);
    get<Page<Entry>>(`/audit?${q}`)
      .then((p) => {
        setItems((prev) => (after ? [...prev, ...p.items] : p.items));
        setCursor(p.next_cursor);
        setError(null);
      })
      .catch((e: unknown) => setError(e instanceof Error ? e : new Error(String(e))))
      .finally(() => setLoading(false));
  };
  // The first page again whenever the applied filters change.
  useEffect(() => {
    if (user?.role === 'admin') load(null);
  }, [applied]);

  if (user?.role !== 'admin') {
    return (
      <section>
        <h1>Audit log</h1>
        <Empty>The audit log is for admins.</Empty>
      </section>
    );
  }
  return (
    <section>
      <h1>Audit log</h1>
      <form
        className="filters"
        aria-label="Filter the audit log"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(filters);
        }}
      >
        <label>
          Actor
          <input value={filters.actor} onChange={(e) => setFilters({ ...filters, actor: e.target.value })} />
        </label>
        <label>
          Action
          <input
            value={filters.action}
            placeholder="rest.*"
            onChange={(e) => setFilters({ ...filters, action: e.target.value })}
          />
        </label>
        <label>
          Outcome
          <select value={filters.outcome} onChange={(e) => setFilters({ ...filters, outcome: e.target.value })}>
            <option value="">Any</option>
            <option value="ok">ok</option>
            <option value="denied">denied</option>
            <option value="failed">failed</option>
          </select>
        </label>
        <button type="submit" className="button">
          Apply
        </button>
      </form>
      {error && <ErrorBox error={error} onRetry={() => load(null)} />}
      {!loading && !error && items.length === 0 && <Empty>No entries match.</Empty>}
      {items.length > 0 && (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Outcome</th>
                <th scope="col">Target</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {items.map((a) => (
                <tr key={a.id}>
                  <td>
                    <Time iso={a.at} />
                  </td>
                  <td>{a.actor}</td>
                  <td>
                    <code>{a.action}</code>
                  </td>
                  <td>
                    <span className={`badge outcome-${a.outcome}`}>{a.outcome}</span>
                  </td>
                  <td>{a.target ?? '—'}</td>
                  <td>
                    <code className="details">{JSON.stringify(a.details)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {loading && <Loading />}
      {cursor && !loading && (
        <button type="button" className="button" onClick={() => load(cursor)}>
          Load more
        </button>
      )}
    </section>
  );
}
