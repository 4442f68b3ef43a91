// Durable workflow runs, newest first, filtered by status, a page at a time;
// each links to its run page.
import { useEffect, useState } from 'react';
import { get } from '../../api/client';
import type { Page } from '../../api/types';
import { Link, navigate, useLocation } from '../../app/router';
import { StatusBadge } from '../../components/Badges';
import { CopyId } from '../../components/CopyId';
import { Empty, ErrorBox, Loading } from '../../components/states';
import { Time } from '../../components/Time';
import WorkflowRunPage from './WorkflowRun';
import { RUN_STATUSES, type WorkflowRun } from './model';

function RunList() {
  const { search } = useLocation();
  const status = search.get('status') ?? '';
  const [items, setItems] = useState<WorkflowRun[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [loading, setLoading] = useState(true);

  const load = (after: string | null) => {
    const q = new URLSearchParams({ limit: '50' });
    if (status) q.set('status', status);
    if (after) q.set('cursor', after);
    setLoading(true);
    get<Page<WorkflowRun>>(`/workflows?${q}`)
      .then((p) => {
        setItems((prev) => (after ? [...prev, ...p.items] : p.items));
        setCursor(p.next_cursor);
        setError(null);
      })
      .catch((e: unknown) => setError(e instanceof Error ? e : new Error(String(e))))
      .finally(() => setLoading(false));
  };
  useEffect(() => load(null), [status]);

  return (
    <section>
      <h1>Workflows</h1>
      <p className="small">
        Durable workflow runs. Start one with <code>docrunch workflows start</code>; <code>docrunch worker start --workflows</code> runs
        them.
      </p>
      <form className="filters" aria-label="Filter the runs" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status
          <select
            value={status}
            onChange={(e) => navigate(e.target.value ? `/workflows?status=${e.target.value}` : '/workflows', { replace: true })}
          >
            <option value="">Any</option>
            {RUN_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </form>
      {error && <ErrorBox error={error} onRetry={() => load(null)} />}
      {!loading && !error && items.length === 0 && (
        <Empty>{status ? `No ${status} runs.` : 'No workflow runs yet.'}</Empty>
      )}
      {items.length > 0 && (
        <div className="table-wrap">
          <table aria-label="Workflow runs">
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Workflow</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">Updated</th>
                <th scope="col">Finished</th>
              </tr>
            </thead>
            <tbody>
              {items.map((r) => (
                <tr key={r.id}>
                  <td>
                    <Link to={`/workflows/${encodeURIComponent(r.id)}`}>Open</Link> <CopyId id={r.id} />
                  </td>
                  <td>{r.workflow}</td>
                  <td>
                    <StatusBadge status={r.status} />
                    {r.cancel_requested ? <span className="small"> (cancel requested)</span> : null}
                  </td>
                  <td>
                    <Time iso={r.created_at} />
                  </td>
                  <td>
                    <Time iso={r.updated_at} />
                  </td>
                  <td>
                    <Time iso={r.finished_at} />
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

// /workflows and /workflows/:id share this lazy chunk.
export default function Workflows({ params }: { params: Record<string, string> }) {
  return params.id ? <WorkflowRunPage id={params.id} /> : <RunList />;
}
