import { memo, useState, type DragEvent, type KeyboardEvent } from 'react';
import { Link } from '../../app/router';
import { PriorityBadge } from '../../components/Badges';
import { TASK_STATUSES, type Task, type TaskStatus } from '../../api/types';

interface Props {
  task: Task;
  canWrite: boolean;
  busy: boolean;
  onMove: (task: Task, to: TaskStatus) => void;
}

// One card. Admins drag it, or use "Move…" (keyboard): a group of buttons,
// one per other column; Escape closes it.
export const TaskCard = memo(function TaskCard({ task, canWrite, busy, onMove }: Props) {
  const [menu, setMenu] = useState(false);
  const onDragStart = (e: DragEvent) => {
    e.dataTransfer.setData('application/x-docrunch-task', task.id);
    e.dataTransfer.setData('text/plain', task.id);
    e.dataTransfer.effectAllowed = 'move';
  };
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Escape') setMenu(false);
  };
  const menuId = `move-${task.id}`;
  return (
    <li
      className={`task-card priority-edge-${task.priority}${busy ? ' busy' : ''}`}
      draggable={canWrite}
      onDragStart={canWrite ? onDragStart : undefined}
      data-task-id={task.id}
      aria-busy={busy || undefined}
    >
      <div className="task-card-head">
        <span className="task-id">{task.id}</span>
        <PriorityBadge priority={task.priority} />
      </div>
      {/* Not a drag source of its own: dragging the title drags the card. */}
      <Link to={`/tasks/${task.id}`} className="task-title" draggable={false}>
        {task.title}
      </Link>
      <div className="task-meta">
        <span>{task.type}</span>
        {task.assigned_to && <span title="assignee">@{task.assigned_to}</span>}
        {task.progress > 0 && <span>{task.progress}%</span>}
      </div>
      {canWrite && (
        <div className="task-move" onKeyDown={onKeyDown}>
          <button
            type="button"
            className="link-button"
            aria-expanded={menu}
            aria-controls={menuId}
            onClick={() => setMenu((m) => !m)}
          >
            Move…<span className="visually-hidden"> {task.id}</span>
          </button>
          {menu && (
            <div id={menuId} role="group" aria-label={`Move ${task.id} to`} className="move-menu">
              {TASK_STATUSES.filter((s) => s !== task.status).map((s) => (
                <button
                  key={s}
                  type="button"
                  className="button small"
                  onClick={() => {
                    setMenu(false);
                    onMove(task, s);
                  }}
                >
                  {s}
                </button>
              ))}
            </div>
          )}
        </div>
      )}
    </li>
  );
});
