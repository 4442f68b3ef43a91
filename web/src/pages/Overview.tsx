// The overview: task counts per status, modules, recent activity, health.
import { useEffect, useState } from 'react';
import { getAll } from '../api/client';
import { TASK_STATUSES, type Task } from '../api/types';
import { Link } from '../app/router';
import { useSession } from '../app/session';
import { StatusBadge } from '../components/Badges';
import { Empty, ErrorBox, Loaded, Loading } from '../components/states';
import { Time } from '../components/Time';
import { useResource } from '../components/useResource';
import type { Page } from '../api/types';
import { HealthCards } from './system/HealthCards';

interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  outcome: string;
  target: string | null;
}

function RecentAudit() {
  const resource = useResource<Page<AuditEntry>>('/audit?limit=8');
  return (
    <Loaded resource={resource}>
      {(p) =>
        p.items.length === 0 ? (
          <Empty>Nothing in the audit log yet.</Empty>
        ) : (
          <ul className="activity">
            {p.items.map((a) => (
              <li key={a.id}>
                <Time iso={a.at} rel /> · {a.actor} · <code>{a.action}</code> · {a.outcome}
              </li>
            ))}
          </ul>
        )
      }
    </Loaded>
  );
}

export default function Overview() {
  const { user } = useSession();
  const [tasks, setTasks] = useState<Task[] | null>(null);
  const [modules, setModules] = useState<number | null>(null);
  const [error, setError] = useState<Error | null>(null);
  useEffect(() => {
    const ac = new AbortController();
    const fail = (e: unknown) => !ac.signal.aborted && setError(e instanceof Error ? e : new Error(String(e)));
    getAll<Task>('/tasks', ac.signal).then(setTasks).catch(fail);
    getAll<{ name: string }>('/modules', ac.signal)
      .then((m) => setModules(m.length))
      .catch(fail);
    return () => ac.abort();
  }, []);
  const counts = new Map<string, number>();
  for (const t of tasks ?? []) counts.set(t.status, (counts.get(t.status) ?? 0) + 1);
  const recent = [...(tasks ?? [])].sort((a, b) => (b.updated_at ?? '').localeCompare(a.updated_at ?? '')).slice(0, 8);

  return (
    <section>
      <h1>Overview</h1>
      {error && <ErrorBox error={error} />}
      <div className="overview-grid">
        <section className="card" aria-labelledby="ov-tasks">
          <h2 id="ov-tasks">Tasks</h2>
          {!tasks ? (
            <Loading />
          ) : (
            <>
              <p className="big-number">
                {tasks.length} <span className="small">tasks</span>
                {modules !== null && (
                  <>
                    {' · '}
                    {modules} <span className="small">modules</span>
                  </>
                )}
              </p>
              <ul className="counts">
                {TASK_STATUSES.map((s) => (
                  <li key={s}>
                    <StatusBadge status={s} /> <strong>{counts.get(s) ?? 0}</strong>
                  </li>
                ))}
              </ul>
              <Link to="/tasks">Open the Kanban →</Link>
            </>
          )}
        </section>
        <section className="card" aria-labelledby="ov-recent">
          <h2 id="ov-recent">Recently changed tasks</h2>
          {!tasks ? (
            <Loading />
          ) : recent.length === 0 ? (
            <Empty>No tasks yet.</Empty>
          ) : (
            <ul className="activity">
              {recent.map((t) => (
                <li key={t.id}>
                  <Time iso={t.updated_at} rel /> · <Link to={`/tasks/${t.id}`}>{t.id}</Link> {t.title}{' '}
                  <StatusBadge status={t.status} />
                </li>
              ))}
            </ul>
          )}
        </section>
        {user?.role === 'admin' && (
          <section className="card" aria-labelledby="ov-audit">
            <h2 id="ov-audit">Recent activity</h2>
            <RecentAudit />
          </section>
        )}
      </div>
      <section aria-labelledby="ov-health">
        <h2 id="ov-health">Health</h2>
        <HealthCards headingLevel={3} />
      </section>
    </section>
  );
}
