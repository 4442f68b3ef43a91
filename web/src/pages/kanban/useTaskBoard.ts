// Every task of the board, kept current: loaded page by page (200 a page),
// then patched by /ws/tasks (task.changed, task.deleted); `resync` and every
// reconnection reload, since messages sent while disconnected are lost.
import { useCallback, useEffect, useRef, useState } from 'react';
import { getAll } from '../../api/client';
import { openStream, type StreamStatus } from '../../api/stream';
import type { Task } from '../../api/types';

export interface TaskBoard {
  tasks: Map<string, Task>;
  loading: boolean;
  error: Error | null;
  live: StreamStatus;
  upsert: (task: Task) => void;
  reload: () => void;
}

const newer = (a: Task, b: Task | undefined) => !b || (a.updated_at ?? '') >= (b.updated_at ?? '');

export function useTaskBoard(): TaskBoard {
  const [tasks, setTasks] = useState<Map<string, Task>>(() => new Map());
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<Error | null>(null);
  const [live, setLive] = useState<StreamStatus>('connecting');
  const generation = useRef(0);

  const upsert = useCallback((task: Task) => {
    setTasks((prev) => {
      if (!newer(task, prev.get(task.id))) return prev;
      const next = new Map(prev);
      next.set(task.id, task);
      return next;
    });
  }, []);

  const reload = useCallback(() => {
    const gen = ++generation.current;
    setLoading(true);
    const loaded = new Map<string, Task>();
    getAll<Task>('/tasks', undefined, (page) => {
      for (const t of page) loaded.set(t.id, t);
    })
      .then(() => {
        if (gen !== generation.current) return;
        // A stream update newer than the loaded copy wins.
        setTasks((prev) => {
          for (const [id, t] of loaded) {
            const mine = prev.get(id);
            if (mine && !newer(t, mine)) loaded.set(id, mine);
          }
          return loaded;
        });
        setError(null);
      })
      .catch((e: unknown) => {
        if (gen === generation.current) setError(e instanceof Error ? e : new Error(String(e)));
      })
      .finally(() => {
        if (gen === generation.current) setLoading(false);
      });
  }, []);

  useEffect(() => {
    reload();
    let opened = 0;
    return openStream('/ws/tasks', {
      onStatus: setLive,
      onOpen: () => {
        if (opened++ > 0) reload();
      },
      onMessage: (m) => {
        if (m.type === 'task.changed') upsert(m.data as Task);
        else if (m.type === 'task.deleted') {
          const id = (m.data as { id?: string }).id;
          if (id) {
            setTasks((prev) => {
              if (!prev.has(id)) return prev;
              const next = new Map(prev);
              next.delete(id);
              return next;
            });
          }
        } else if (m.type === 'resync') reload();
      },
    });
  }, [reload, upsert]);

  return { tasks, loading, error, live, upsert, reload };
}
