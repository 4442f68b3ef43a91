import { memo, useState, type DragEvent } from 'react';
import type { Task, TaskStatus } from '../../api/types';
import { TaskCard } from './TaskCard';

const PAGE = 50;

interface Props {
  status: TaskStatus;
  tasks: Task[];
  canWrite: boolean;
  busy: ReadonlySet<string>;
  onMove: (task: Task, to: TaskStatus) => void;
  onDropId: (id: string, to: TaskStatus) => void;
}

// One column: its first 50 cards, more on demand, so 2,000 tasks never put
// 2,000 cards in the DOM at once.
export const Column = memo(function Column({ status, tasks, canWrite, busy, onMove, onDropId }: Props) {
  const [shown, setShown] = useState(PAGE);
  const [over, setOver] = useState(false);
  const headingId = `col-${status}`;
  const onDragOver = (e: DragEvent) => {
    if (!canWrite) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'move';
    setOver(true);
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    const id = e.dataTransfer.getData('application/x-docrunch-task') || e.dataTransfer.getData('text/plain');
    if (id) onDropId(id, status);
  };
  return (
    <section
      className={`column${over ? ' drop-target' : ''}`}
      aria-labelledby={headingId}
      data-status={status}
      onDragOver={onDragOver}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
    >
      <h2 id={headingId}>
        {status} <span className="count">{tasks.length}</span>
      </h2>
      {tasks.length === 0 ? (
        <p className="column-empty">No tasks</p>
      ) : (
        <ul className="cards">
          {tasks.slice(0, shown).map((t) => (
            <TaskCard key={t.id} task={t} canWrite={canWrite} busy={busy.has(t.id)} onMove={onMove} />
          ))}
        </ul>
      )}
      {tasks.length > shown && (
        <button type="button" className="button small more" onClick={() => setShown((n) => n + PAGE)}>
          Show {Math.min(PAGE, tasks.length - shown)} more of {tasks.length - shown}
        </button>
      )}
    </section>
  );
});
