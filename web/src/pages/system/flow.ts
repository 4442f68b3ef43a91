// The sync event visualizer's state, shared by the live event list
// (SyncEvents, which owns the stream, the filter and the pause) and the
// lineage graph (which draws it). Events are never drawn one by one: each
// edge gathers what passed along it and, every TICK_MS, releases at most one
// dot that stands for all of them (so at most 1000 / TICK_MS dots per edge per
// second whatever the rate), and counts what passed in the last WINDOW_MS.
//
// Which edge an event travels:
// - written (each `sync.event` of /ws/sync/events): its source table's edge
//   into the outbox (`table:*` → `sync_events`, labelled with the entity type);
// - processed (the lineage's `claims` and `applies` counts grew between two
//   reloads): outbox → worker and worker → store, by how much they grew.
//
// Filter: entity type and status apply to the write hop (a new event is
// pending); the worker hops count every entity type (the lineage counts them
// together), so they are left out when an entity type is chosen, and shown
// alone when the status is `processed`. Failed and dead-letter events are
// not moving: the lineage shows them where they are stuck.

export const TICK_MS = 250;
export const DOT_MS = 1200;
export const WINDOW_MS = 5000;

export interface Dot {
  id: number;
  // How many events this dot stands for.
  n: number;
  kind: 'written' | 'processed';
}

export interface EdgeFlow {
  dots: Dot[];
  // Events along this edge in the last WINDOW_MS.
  recent: number;
  kind: Dot['kind'];
}

export interface FlowFilter {
  status: string;
  target: string;
  entity_type: string;
}

interface FlowEdge {
  key: string;
  source: string;
  target: string;
  label: string;
}

const EMPTY: EdgeFlow = { dots: [], recent: 0, kind: 'written' };

export function edgeKey(source: string, target: string): string {
  return `${source}→${target}`;
}

class FlowStore {
  private writeEdge = new Map<string, string>(); // entity type → edge key
  private targetOf = new Map<string, string>(); // edge key → sync target of a worker hop
  private waiting = new Map<string, { n: number; kind: Dot['kind'] }>();
  private history = new Map<string, { at: number; n: number }[]>();
  private kinds = new Map<string, Dot['kind']>();
  private live = new Map<string, { dot: Dot; until: number }[]>();
  private snapshot = new Map<string, EdgeFlow>();
  private listeners = new Map<string, Set<() => void>>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private nextId = 1;
  private paused = false;
  private filter: FlowFilter = { status: '', target: '', entity_type: '' };
  // Tests may set this to draw one dot per event (to show what sampling saves).
  unsampled = false;

  setEdges(edges: FlowEdge[]): void {
    this.writeEdge.clear();
    this.targetOf.clear();
    for (const e of edges) {
      if (e.target === 'sync_events' && e.source.startsWith('table:')) this.writeEdge.set(e.label, e.key);
      if (e.source === 'sync_events' && e.target.startsWith('worker:')) this.targetOf.set(e.key, e.target.slice(7));
      if (e.source.startsWith('worker:') && e.target.startsWith('store:')) this.targetOf.set(e.key, e.source.slice(7));
    }
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
    if (paused) this.waiting.clear();
  }

  setFilter(filter: FlowFilter): void {
    this.filter = filter;
    this.waiting.clear();
  }

  // A new outbox event (from the stream).
  written(entityType: string): void {
    if (this.paused) return;
    const f = this.filter;
    if (f.status && f.status !== 'pending') return;
    if (f.entity_type && f.entity_type !== entityType) return;
    const key = this.writeEdge.get(entityType);
    if (key) this.add(key, 1, 'written');
  }

  // A worker hop moved `n` events since the last lineage reload.
  processed(key: string, n: number): void {
    if (this.paused || n <= 0) return;
    const f = this.filter;
    if (f.status && f.status !== 'processed') return;
    if (f.entity_type) return;
    const target = this.targetOf.get(key);
    if (target === undefined || (f.target && f.target !== target)) return;
    this.add(key, n, 'processed');
  }

  private add(key: string, n: number, kind: Dot['kind']): void {
    if (this.unsampled) {
      for (let i = 0; i < n; i++) this.release(key, 1, kind, performance.now());
      return;
    }
    const w = this.waiting.get(key);
    if (w) w.n += n;
    else this.waiting.set(key, { n, kind });
    this.start();
  }

  private release(key: string, n: number, kind: Dot['kind'], now: number): void {
    const dots = this.live.get(key) ?? [];
    dots.push({ dot: { id: this.nextId++, n, kind }, until: now + DOT_MS });
    this.live.set(key, dots);
    this.kinds.set(key, kind);
    const h = this.history.get(key) ?? [];
    h.push({ at: now, n });
    this.history.set(key, h);
    this.start();
    if (this.unsampled) this.publish(key, now);
  }

  private start(): void {
    if (this.timer === undefined) this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  private publish(key: string, now: number): void {
    const dots = (this.live.get(key) ?? []).filter((d) => d.until > now);
    const h = (this.history.get(key) ?? []).filter((x) => now - x.at < WINDOW_MS);
    if (dots.length) this.live.set(key, dots);
    else this.live.delete(key);
    if (h.length) this.history.set(key, h);
    else this.history.delete(key);
    const next: EdgeFlow = dots.length || h.length ? { dots: dots.map((d) => d.dot), recent: h.reduce((s, x) => s + x.n, 0), kind: this.kinds.get(key) ?? 'written' } : EMPTY;
    const prev = this.snapshot.get(key) ?? EMPTY;
    if (prev.recent === next.recent && prev.dots.length === next.dots.length && prev.dots.every((d, i) => d === next.dots[i])) return;
    this.snapshot.set(key, next);
    for (const l of this.listeners.get(key) ?? []) l();
  }

  // One dot per edge with events waiting, then every edge's picture.
  private tick(): void {
    const now = performance.now();
    for (const [key, w] of this.waiting) this.release(key, w.n, w.kind, now);
    this.waiting.clear();
    const keys = new Set([...this.live.keys(), ...this.history.keys(), ...this.snapshot.keys()]);
    for (const key of keys) this.publish(key, now);
    if (this.live.size === 0 && this.history.size === 0 && this.waiting.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  subscribe(key: string, listener: () => void): () => void {
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  get(key: string): EdgeFlow {
    return this.snapshot.get(key) ?? EMPTY;
  }
}

export const flow = new FlowStore();

declare global {
  interface Window {
    __docrunchFlow?: FlowStore;
  }
}
// Reachable from tests (see tests/e2e/dashboard/sync_scale.test.mjs).
if (typeof window !== 'undefined') window.__docrunchFlow = flow;
