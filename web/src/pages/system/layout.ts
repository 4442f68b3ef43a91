// ELK layout in a Web Worker, started on first use.
import type { ElkNode } from 'elkjs/lib/elk.bundled.js';

let worker: Worker | null = null;
let nextId = 1;
const pending = new Map<number, { resolve: (g: ElkNode) => void; reject: (e: Error) => void }>();

function elkWorker(): Worker {
  if (!worker) {
    worker = new Worker(new URL('./elk.worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (e: MessageEvent<{ id: number; graph?: ElkNode; error?: string }>) => {
      const p = pending.get(e.data.id);
      if (!p) return;
      pending.delete(e.data.id);
      if (e.data.graph) p.resolve(e.data.graph);
      else p.reject(new Error(e.data.error ?? 'layout failed'));
    };
  }
  return worker;
}

export function layout(graph: ElkNode): Promise<ElkNode> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    elkWorker().postMessage({ id, graph });
  });
}
