// A move on the board as the REST call that makes it: approve and reject
// from review, block with a reason, unblock from blocked, and the other
// edges of the transition table as PATCH {status}. The server enforces the
// table; its refusal comes back as an ApiError with its message.
import { api } from '../../api/client';
import type { Task, TaskStatus } from '../../api/types';

export function needsReason(from: TaskStatus, to: TaskStatus): boolean {
  return (from === 'review' && to === 'rejected') || (to === 'blocked' && from !== 'blocked');
}

export async function moveTask(task: Task, to: TaskStatus, reason = ''): Promise<Task> {
  const path = `/tasks/${encodeURIComponent(task.id)}`;
  if (task.status === 'review' && to === 'approved') return api<Task>('POST', `${path}/approve`, {});
  if (task.status === 'review' && to === 'rejected') return api<Task>('POST', `${path}/reject`, { reason });
  if (to === 'blocked' && task.status !== 'blocked') return api<Task>('POST', `${path}/block`, { reason });
  if (task.status === 'blocked' && to === task.blocked_from) return api<Task>('POST', `${path}/unblock`, {});
  return api<Task>('PATCH', path, { status: to });
}
