// The Kanban: a column per status, filters by assignee, type and priority,
// live over /ws/tasks; admins move cards by dragging or with "Move…", and
// the server's refusal of a move is shown as it said it.
import { useCallback, useMemo, useState } from 'react';
import { ApiError } from '../../api/client';
import { PRIORITIES, TASK_STATUSES, type Task, type TaskStatus } from '../../api/types';
import { useCanWrite } from '../../app/session';
import { ErrorBox, Loading } from '../../components/states';
import { Column } from './Column';
import { moveTask, needsReason } from './moveTask';
import { ReasonDialog } from './ReasonDialog';
import { useTaskBoard } from './useTaskBoard';

interface Notice {
  kind: 'error' | 'ok';
  text: string;
}

const PRIORITY_RANK: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3 };
const taskNumber = (id: string) => Number(id.replace(/^task-/, '')) || 0;
const byPriorityThenId = (a: Task, b: Task) =>
  (PRIORITY_RANK[a.priority] ?? 9) - (PRIORITY_RANK[b.priority] ?? 9) || taskNumber(a.id) - taskNumber(b.id);

export default function Kanban() {
  const board = useTaskBoard();
  const canWrite = useCanWrite();
  const [assignee, setAssignee] = useState('');
  const [type, setType] = useState('');
  const [priority, setPriority] = useState('');
  const [text, setText] = useState('');
  const [notice, setNotice] = useState<Notice | null>(null);
  const [busy, setBusy] = useState<ReadonlySet<string>>(() => new Set());
  const [asking, setAsking] = useState<{ task: Task; to: TaskStatus } | null>(null);

  const all = useMemo(() => [...board.tasks.values()], [board.tasks]);
  const assignees = useMemo(
    () => [...new Set(all.map((t) => t.assigned_to).filter((a): a is string => !!a))].sort(),
    [all],
  );
  const types = useMemo(() => [...new Set(all.map((t) => t.type))].sort(), [all]);

  const columns = useMemo(() => {
    const needle = text.trim().toLowerCase();
    const cols = new Map<TaskStatus, Task[]>(TASK_STATUSES.map((s) => [s, []]));
    for (const t of all) {
      if (assignee && (assignee === '-' ? t.assigned_to : t.assigned_to !== assignee)) continue;
      if (type && t.type !== type) continue;
      if (priority && t.priority !== priority) continue;
      if (needle && !`${t.id} ${t.title}`.toLowerCase().includes(needle)) continue;
      cols.get(t.status)?.push(t);
    }
    for (const list of cols.values()) list.sort(byPriorityThenId);
    return cols;
  }, [all, assignee, type, priority, text]);

  const run = useCallback(
    async (task: Task, to: TaskStatus, reason?: string) => {
      setBusy((b) => new Set(b).add(task.id));
      try {
        const moved = await moveTask(task, to, reason);
        board.upsert(moved);
        setNotice({ kind: 'ok', text: `${task.id} moved to ${moved.status}.` });
      } catch (e) {
        const message = e instanceof ApiError ? e.message : String(e);
        setNotice({ kind: 'error', text: `${task.id} could not move to ${to}: ${message}` });
      } finally {
        setBusy((b) => {
          const next = new Set(b);
          next.delete(task.id);
          return next;
        });
      }
    },
    [board],
  );

  const onMove = useCallback(
    (task: Task, to: TaskStatus) => {
      if (task.status === to) return;
      if (needsReason(task.status, to)) setAsking({ task, to });
      else void run(task, to);
    },
    [run],
  );
  const onDropId = useCallback(
    (id: string, to: TaskStatus) => {
      const task = board.tasks.get(id);
      if (task) onMove(task, to);
    },
    [board.tasks, onMove],
  );

  const filtered = assignee || type || priority || text;
  return (
    <section className="kanban-page">
      <div className="page-head">
        <h1>Kanban</h1>
        <p className="live" role="status">
          <span className={`dot live-${board.live}`} aria-hidden="true" />
          {board.live === 'live' ? 'Live' : board.live === 'connecting' ? 'Connecting…' : 'Offline, retrying'}
          {' · '}
          {all.length} {all.length === 1 ? 'task' : 'tasks'}
        </p>
      </div>
      <form className="filters" aria-label="Filter tasks" onSubmit={(e) => e.preventDefault()}>
        <label>
          Assignee
          <select value={assignee} onChange={(e) => setAssignee(e.target.value)}>
            <option value="">Anyone</option>
            <option value="-">Unassigned</option>
            {assignees.map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        </label>
        <label>
          Type
          <select value={type} onChange={(e) => setType(e.target.value)}>
            <option value="">Any type</option>
            {types.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <label>
          Priority
          <select value={priority} onChange={(e) => setPriority(e.target.value)}>
            <option value="">Any priority</option>
            {PRIORITIES.map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        </label>
        <label>
          Title or id
          <input type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder="Filter…" />
        </label>
        {filtered && (
          <button
            type="button"
            className="button small"
            onClick={() => {
              setAssignee('');
              setType('');
              setPriority('');
              setText('');
            }}
          >
            Clear filters
          </button>
        )}
      </form>
      <div aria-live="polite" className="notice-area">
        {notice && (
          <p className={`notice notice-${notice.kind}`} role={notice.kind === 'error' ? 'alert' : undefined}>
            {notice.text}
            <button type="button" className="icon-button" onClick={() => setNotice(null)} aria-label="Dismiss">
              ✕
            </button>
          </p>
        )}
      </div>
      {board.error && <ErrorBox error={board.error} onRetry={board.reload} />}
      {board.loading && all.length === 0 ? (
        <Loading label="Loading tasks…" />
      ) : (
        <div className="board">
          {TASK_STATUSES.map((s) => (
            <Column
              key={s}
              status={s}
              tasks={columns.get(s) ?? []}
              canWrite={canWrite}
              busy={busy}
              onMove={onMove}
              onDropId={onDropId}
            />
          ))}
        </div>
      )}
      {!board.loading && all.length === 0 && !board.error && (
        <p className="state state-empty">
          No tasks yet. Create one with <code>docrunch task create --type feature --title "…"</code>.
        </p>
      )}
      {asking && (
        <ReasonDialog
          title={`${asking.to === 'rejected' ? 'Reject' : 'Block'} ${asking.task.id}`}
          onCancel={() => setAsking(null)}
          onSubmit={(reason) => {
            const { task, to } = asking;
            setAsking(null);
            void run(task, to, reason);
          }}
        />
      )}
    </section>
  );
}
