// One task with everything GET /api/tasks/{id} returns; reloads when
// /ws/tasks says it changed. Admins get the review and block actions.
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { api, ApiError } from '../api/client';
import { openStream } from '../api/stream';
import type { TaskDetail as Detail, TaskRef } from '../api/types';
import { Link } from '../app/router';
import { useCanWrite } from '../app/session';
import { PriorityBadge, StatusBadge } from '../components/Badges';
import { CopyId } from '../components/CopyId';
import { Empty, Loaded } from '../components/states';
import { Time } from '../components/Time';
import { useResource } from '../components/useResource';

function Section({ title, wide = false, children }: { title: string; wide?: boolean; children: ReactNode }) {
  const id = `sec-${title.toLowerCase().replace(/\W+/g, '-')}`;
  return (
    <section className={`card detail-section${wide ? ' span-all' : ''}`} aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

function TextList({ items, empty }: { items: string[] | undefined; empty: string }) {
  if (!items?.length) return <Empty>{empty}</Empty>;
  return (
    <ul>
      {items.map((t, i) => (
        <li key={i}>{t}</li>
      ))}
    </ul>
  );
}

function TaskLinks({ items, empty }: { items: TaskRef[] | undefined; empty: string }) {
  if (!items?.length) return <Empty>{empty}</Empty>;
  return (
    <ul>
      {items.map((t) => (
        <li key={t.id}>
          <Link to={`/tasks/${t.id}`}>{t.id}</Link> {t.title} {t.status && <StatusBadge status={t.status} />}
        </li>
      ))}
    </ul>
  );
}

function Actions({ task, onDone }: { task: Detail; onDone: () => void }) {
  const [text, setText] = useState('');
  const [assignee, setAssignee] = useState('');
  const [message, setMessage] = useState<{ error: boolean; text: string } | null>(null);
  const act = async (e: FormEvent, action: string, field: string | null) => {
    e.preventDefault();
    try {
      const body = field && text.trim() ? { [field]: text.trim() } : {};
      await api('POST', `/tasks/${task.id}/${action}`, body);
      setText('');
      setMessage({ error: false, text: `${action}: done.` });
      onDone();
    } catch (err) {
      setMessage({ error: true, text: err instanceof ApiError ? err.message : String(err) });
    }
  };
  const assign = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await api('PATCH', `/tasks/${task.id}`, { assigned_to: assignee.trim() });
      setMessage({ error: false, text: `Assigned to ${assignee.trim()}.` });
      setAssignee('');
      onDone();
    } catch (err) {
      setMessage({ error: true, text: err instanceof ApiError ? err.message : String(err) });
    }
  };
  return (
    <Section title="Review and blocks">
      {(task.status === 'todo' || task.status === 'assigned') && (
        <form className="inline-form" onSubmit={(e) => void assign(e)}>
          <label>
            Assign to agent
            <input required value={assignee} onChange={(e) => setAssignee(e.target.value)} placeholder="claude-1" />
          </label>
          <button type="submit" className="button">
            Assign
          </button>
        </form>
      )}
      <form className="actions-form" onSubmit={(e) => e.preventDefault()}>
        <label htmlFor="action-text">Note, reason or resolution</label>
        <textarea id="action-text" rows={2} value={text} onChange={(e) => setText(e.target.value)} />
        <div className="actions">
          {task.status === 'review' && (
            <>
              <button type="button" className="button primary" onClick={(e) => void act(e, 'approve', 'note')}>
                Approve
              </button>
              <button type="button" className="button" onClick={(e) => void act(e, 'reject', 'reason')}>
                Reject
              </button>
            </>
          )}
          {task.status === 'blocked' ? (
            <button type="button" className="button" onClick={(e) => void act(e, 'unblock', 'resolution')}>
              Unblock
            </button>
          ) : (
            task.status !== 'done' && (
              <button type="button" className="button" onClick={(e) => void act(e, 'block', 'reason')}>
                Block
              </button>
            )
          )}
        </div>
        {message && (
          <p className={message.error ? 'form-error' : 'notice notice-ok'} role={message.error ? 'alert' : 'status'}>
            {message.text}
          </p>
        )}
      </form>
    </Section>
  );
}

function Body({ task, reload }: { task: Detail; reload: () => void }) {
  const canWrite = useCanWrite();
  const ctx = task.context ?? {};
  return (
    <article className="task-detail">
      <div className="page-head">
        <h1>
          {task.title}
        </h1>
        <p className="meta-line">
          <CopyId id={task.id} /> <StatusBadge status={task.status} /> <PriorityBadge priority={task.priority} />{' '}
          <span>{task.type}</span> <span>review: {task.review_mode}</span>
          {task.assigned_to && <span>assigned to @{task.assigned_to}</span>}
          {task.available && <span className="badge">available</span>}
        </p>
        <p className="meta-line small">
          created by {task.created_by} <Time iso={task.created_at} /> · updated <Time iso={task.updated_at} rel />
          {task.progress > 0 && <> · progress {task.progress}%</>}
          {task.status_note && <> · “{task.status_note}”</>}
        </p>
        <p>
          <Link to="/tasks">← Back to the board</Link>
        </p>
      </div>
      <div className="detail-grid">
        <Section title="Description">
          {task.description ? <p className="prewrap">{task.description}</p> : <Empty>No description.</Empty>}
        </Section>
        {canWrite && <Actions task={task} onDone={reload} />}
        <Section title="Guardrails">
          <TextList items={task.guardrails} empty="No guardrails." />
        </Section>
        <Section title="Acceptance criteria">
          <TextList items={task.acceptance_criteria} empty="No acceptance criteria." />
        </Section>
        <Section title="Dependencies">
          <h3>Depends on</h3>
          <TaskLinks items={task.dependencies} empty="No dependencies." />
          <h3>Blocks</h3>
          <TaskLinks items={task.dependents} empty="Blocks no other task." />
        </Section>
        <Section title="Claim">
          {task.claimed_at ? (
            <p>
              Claimed by @{task.assigned_to ?? 'an agent'} <Time iso={task.claimed_at} />; last report{' '}
              <Time iso={task.last_report_at} />.
            </p>
          ) : (
            <Empty>Not claimed.</Empty>
          )}
        </Section>
        <Section title="Reports">
          {task.completions?.length ? (
            task.completions.map((c) => (
              <div key={String(c.id)} className="report">
                <p>
                  <strong>{c.agent}</strong> <Time iso={c.reported_at} /> · tests {c.tests_passed ? 'passed' : 'not passed'} ·
                  review: {c.review}
                </p>
                <p className="prewrap">{c.summary}</p>
                {c.notes && <p className="prewrap small">{c.notes}</p>}
                {c.changes.length > 0 && (
                  <ul className="files">
                    {c.changes.map((f) => (
                      <li key={f}>
                        <code>{f}</code>
                      </li>
                    ))}
                  </ul>
                )}
                {c.review_reasons.length > 0 && <TextList items={c.review_reasons} empty="" />}
              </div>
            ))
          ) : (
            <Empty>No completion reports yet.</Empty>
          )}
        </Section>
        <Section title="Findings">
          {task.findings?.length ? (
            <ul>
              {task.findings.map((f) => (
                <li key={f.id}>
                  <span className="badge">{f.type}</span> {f.description} — {f.created_by} <Time iso={f.created_at} />
                  {f.files.length > 0 && <> ({f.files.join(', ')})</>}
                </li>
              ))}
            </ul>
          ) : (
            <Empty>No findings.</Empty>
          )}
        </Section>
        <Section title="Decisions">
          {task.decisions?.length ? (
            <ul>
              {task.decisions.map((d) => (
                <li key={d.id}>
                  <strong>{d.id}</strong> {d.title}: {d.decision} <span className="small">({d.rationale})</span>
                </li>
              ))}
            </ul>
          ) : (
            <Empty>No decisions.</Empty>
          )}
        </Section>
        <Section title="Blockers">
          {task.blockers?.length ? (
            <ul>
              {task.blockers.map((b) => (
                <li key={String(b.id)}>
                  {b.description} (needs: {b.needs}) — {b.reported_by} <Time iso={b.reported_at} />
                  {b.resolution && <> · resolved: {b.resolution}</>}
                </li>
              ))}
            </ul>
          ) : (
            <Empty>No blockers.</Empty>
          )}
        </Section>
        <Section title="Context">
          <h3>Files</h3>
          {ctx.files?.length ? (
            <ul className="files">
              {ctx.files.map((f) => (
                <li key={f.path}>
                  <Link to={`/functions?path=${encodeURIComponent(f.path)}`}>
                    <code>{f.path}</code>
                  </Link>{' '}
                  {f.language}
                </li>
              ))}
            </ul>
          ) : (
            <Empty>No context files.</Empty>
          )}
          <h3>Symbols</h3>
          {ctx.symbols?.length ? (
            <ul className="files">
              {ctx.symbols.map((s) => (
                <li key={`${s.file_path}:${s.line}:${s.name}`}>
                  {s.kind} <code>{s.qualified_name ?? s.name}</code> at{' '}
                  <code>
                    {s.file_path}:{s.line}
                  </code>
                </li>
              ))}
            </ul>
          ) : (
            <Empty>No context symbols.</Empty>
          )}
          {!!ctx.decisions?.length && (
            <>
              <h3>Related decisions</h3>
              <ul>
                {ctx.decisions.map((d) => (
                  <li key={d.id}>
                    {d.id}: {d.title}
                  </li>
                ))}
              </ul>
            </>
          )}
        </Section>
        <Section title="History" wide>
          {task.history?.length ? (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Action</th>
                    <th scope="col">By</th>
                    <th scope="col">Details</th>
                  </tr>
                </thead>
                <tbody>
                  {task.history.map((h, i) => (
                    <tr key={i}>
                      <td>
                        <Time iso={h.at} />
                      </td>
                      <td>{h.action}</td>
                      <td>{h.agent ?? '—'}</td>
                      <td>
                        <code className="details">{JSON.stringify(h.details)}</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : (
            <Empty>No history.</Empty>
          )}
        </Section>
      </div>
    </article>
  );
}

export default function TaskDetail({ params }: { params: Record<string, string> }) {
  const id = params.id ?? '';
  const resource = useResource<Detail>(`/tasks/${encodeURIComponent(id)}`);
  const { reload } = resource;
  useEffect(() => {
    let opened = 0;
    return openStream('/ws/tasks', {
      // A reconnection may have missed a change: read the task again.
      onOpen: () => {
        if (opened++ > 0) reload();
      },
      onMessage: (m) => {
        if ((m.data as { id?: string } | null)?.id === id || m.type === 'resync') reload();
      },
    });
  }, [id, reload]);
  return <Loaded resource={resource}>{(task) => <Body task={task} reload={reload} />}</Loaded>;
}
