// The lineage graph of /api/system/lineage in React Flow, laid out by ELK in
// a worker, reloaded (at most once a second) when /ws/system/lineage says the
// outbox moved. Each node says its health in words as well as colour;
// selecting a node lists its counts and, for the outbox and the workers,
// their latest events.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { MarkerType, Position, type Edge, type Node } from '@xyflow/react';
import { GraphCanvas } from '../../components/GraphCanvas';
import { get } from '../../api/client';
import { openStream } from '../../api/stream';
import type { Page } from '../../api/types';
import { Empty, ErrorBox, Loading } from '../../components/states';
import { Time } from '../../components/Time';
import { layout } from './layout';
import { edgeKey, flow as eventFlow } from './flow';
import { edgeTypes, type FlowEdgeType, type Stuck } from './FlowEdge';

interface LineageNode {
  id: string;
  kind: string;
  label: string;
  counts: Record<string, number>;
}
interface LineageEdge {
  source: string;
  target: string;
  label: string;
  count: number;
}
interface Lineage {
  nodes: LineageNode[];
  edges: LineageEdge[];
}
interface SyncEvent {
  id: number;
  entity_type: string;
  entity_id: string;
  action: string;
  status: string;
  created_at: string;
  error?: string | null;
  [key: string]: unknown;
}

export function nodeHealth(n: LineageNode): 'healthy' | 'degraded' | 'down' {
  const c = n.counts;
  if ((c.failed ?? 0) > 0 || (c.dead_letter ?? 0) > 0) return 'down';
  if ((c.pending ?? 0) > 0 || (c.behind ?? 0) > 0 || (c.retrying ?? 0) > 0) return 'degraded';
  return 'healthy';
}

function countsText(c: Record<string, number>): string {
  return Object.entries(c)
    .filter(([k, v]) => v !== 0 || k === 'total' || k === 'rows')
    .map(([k, v]) => `${k.replace(/_/g, ' ')} ${k === 'lag_seconds' ? `${v.toFixed(1)} s` : v.toLocaleString()}`)
    .join(' · ');
}

const WIDTH = 200;
const HEIGHT = 64;

interface TargetTrouble {
  target: string;
  status: string;
  last_error: string | null;
}

// Each worker's failed and dead-letter events with the latest error (from the
// list route's `targets`), shown on its edge into its store.
async function stuckOf(l: Lineage): Promise<Map<string, Stuck>> {
  const stuck = new Map<string, Stuck>();
  const workers = l.nodes.filter((n) => n.kind === 'worker' && ((n.counts.failed ?? 0) > 0 || (n.counts.dead_letter ?? 0) > 0));
  if (workers.length === 0) return stuck;
  const errors = new Map<string, string>();
  for (const status of ['failed', 'dead_letter']) {
    const page = await get<Page<SyncEvent & { targets?: TargetTrouble[] }>>(`/sync/events?status=${status}&limit=20`);
    for (const e of page.items)
      for (const t of e.targets ?? []) if (t.last_error && !errors.has(t.target)) errors.set(t.target, t.last_error);
  }
  for (const w of workers) {
    const target = w.id.slice('worker:'.length);
    stuck.set(w.id, { failed: w.counts.failed ?? 0, dead: w.counts.dead_letter ?? 0, error: errors.get(target) ?? null });
  }
  return stuck;
}

async function toFlow(l: Lineage, stuck: Map<string, Stuck>): Promise<{ nodes: Node[]; edges: Edge[] }> {
  const graph = await layout({
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.layered.spacing.nodeNodeBetweenLayers': '70',
      'elk.spacing.nodeNode': '18',
    },
    children: l.nodes.map((n) => ({ id: n.id, width: WIDTH, height: HEIGHT })),
    edges: l.edges.map((e, i) => ({ id: `e${i}`, sources: [e.source], targets: [e.target] })),
  });
  const pos = new Map((graph.children ?? []).map((c) => [c.id, { x: c.x ?? 0, y: c.y ?? 0 }]));
  const lag = new Map(l.nodes.map((n) => [n.id, n.counts.lag_seconds]));
  const waiting = new Set(
    l.nodes.filter((n) => n.kind === 'worker' && ((n.counts.pending ?? 0) > 0 || (n.counts.retrying ?? 0) > 0)).map((n) => n.id),
  );
  return {
    nodes: l.nodes.map((n) => {
      const health = nodeHealth(n);
      return {
        id: n.id,
        position: pos.get(n.id) ?? { x: 0, y: 0 },
        data: {
          label: (
            <div className="lineage-node-label">
              <strong>{n.label}</strong>
              <span className="small">
                {health === 'healthy' ? '✓' : health === 'degraded' ? '!' : '✕'} {health}
              </span>
            </div>
          ),
        },
        // Laid out left to right: edges leave on the right, arrive on the left.
        sourcePosition: Position.Right,
        targetPosition: Position.Left,
        className: `lineage-node kind-${n.kind} health-edge-${health}`,
        style: { width: WIDTH },
        ariaLabel: `${n.label}: ${health}; ${countsText(n.counts)}`,
      } satisfies Node;
    }),
    edges: l.edges.map((e, i) => {
      const sourceLag = lag.get(e.source);
      return {
        id: `e${i}`,
        type: 'flow',
        data: {
          key: edgeKey(e.source, e.target),
          stuck: e.target.startsWith('store:') ? stuck.get(e.source) : undefined,
        },
        source: e.source,
        target: e.target,
        // Work in flight along this edge: the dashes move (and the label says how much).
        animated: waiting.has(e.source) || waiting.has(e.target),
        label: `${e.label} ${e.count.toLocaleString()}${sourceLag ? ` · lag ${sourceLag.toFixed(1)} s` : ''}`,
        markerEnd: { type: MarkerType.ArrowClosed },
        className: sourceLag ? 'lagging' : undefined,
      } satisfies FlowEdgeType;
    }),
  };
}

function NodeEvents({ node }: { node: LineageNode }) {
  const [events, setEvents] = useState<SyncEvent[] | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const target = node.id.startsWith('worker:') ? node.id.slice('worker:'.length) : null;
  const wants = target !== null || node.id === 'sync_events';
  // Reloaded whenever the node's counts change (the lineage was reloaded).
  const version = JSON.stringify(node.counts);
  useEffect(() => {
    if (!wants) return;
    get<Page<SyncEvent>>(`/sync/events?limit=10${target ? `&target=${encodeURIComponent(target)}` : ''}`)
      .then((p) => setEvents(p.items))
      .catch((e: unknown) => setError(e instanceof Error ? e : new Error(String(e))));
  }, [node.id, target, wants, version]);
  if (!wants) return null;
  if (error) return <ErrorBox error={error} />;
  if (!events) return <Loading label="Loading events…" />;
  if (events.length === 0) return <Empty>No events.</Empty>;
  return (
    <ul className="activity">
      {events.map((e) => (
        <li key={e.id}>
          <Time iso={e.created_at} rel /> · {e.entity_type} <code>{e.entity_id}</code> {e.action} ·{' '}
          <span className={`badge status-${e.status}`}>{e.status}</span>
          {e.error && <span className="form-error"> {String(e.error)}</span>}
        </li>
      ))}
    </ul>
  );
}

export default function LineageView() {
  const [lineage, setLineage] = useState<Lineage | null>(null);
  const [flow, setFlow] = useState<{ nodes: Node[]; edges: Edge[] } | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const last = useRef(0);
  const counts = useRef<Map<string, number> | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const load = useCallback(() => {
    last.current = Date.now();
    get<Lineage>('/system/lineage')
      .then(async (l) => {
        // What the worker hops moved since the last reload travels along them.
        eventFlow.setEdges(l.edges.map((e) => ({ ...e, key: edgeKey(e.source, e.target) })));
        const now = new Map(l.edges.map((e) => [edgeKey(e.source, e.target), e.count]));
        const before = counts.current;
        counts.current = now;
        if (before)
          for (const e of l.edges)
            if (e.source === 'sync_events' || e.source.startsWith('worker:')) {
              const k = edgeKey(e.source, e.target);
              eventFlow.processed(k, e.count - (before.get(k) ?? e.count));
            }
        const stuck = await stuckOf(l).catch(() => new Map<string, Stuck>());
        setLineage(l);
        setFlow(await toFlow(l, stuck));
        setError(null);
      })
      .catch((e: unknown) => setError(e instanceof Error ? e : new Error(String(e))));
  }, []);

  useEffect(() => {
    load();
    let opened = 0;
    const stop = openStream('/ws/system/lineage', {
      onOpen: () => {
        if (opened++ > 0) load();
      },
      onMessage: (m) => {
        if (m.type !== 'lineage.changed' && m.type !== 'resync') return;
        clearTimeout(timer.current);
        timer.current = setTimeout(load, Math.max(0, 1000 - (Date.now() - last.current)));
      },
    });
    return () => {
      stop();
      clearTimeout(timer.current);
    };
  }, [load]);

  const node = useMemo(() => lineage?.nodes.find((n) => n.id === selected) ?? null, [lineage, selected]);
  if (error && !flow) return <ErrorBox error={error} onRetry={load} />;
  if (!flow || !lineage) return <Loading label="Laying out the lineage…" />;
  return (
    <div className="lineage">
      <GraphCanvas label="Lineage graph" flow={flow} onSelect={setSelected} edgeTypes={edgeTypes} />
      <aside className="card lineage-side" aria-label="Node details">
        <label htmlFor="lineage-node">Node</label>
        <select id="lineage-node" value={selected ?? ''} onChange={(e) => setSelected(e.target.value || null)}>
          <option value="">Choose a node…</option>
          {lineage.nodes.map((n) => (
            <option key={n.id} value={n.id}>
              {n.label}
            </option>
          ))}
        </select>
        {node ? (
          <>
            <h3>{node.label}</h3>
            <p>
              <span className={`badge health-${nodeHealth(node)}`}>{nodeHealth(node)}</span> {node.kind}
            </p>
            <p className="small">{countsText(node.counts) || 'no counts'}</p>
            <NodeEvents node={node} />
          </>
        ) : (
          <p className="small">
            Select a node (click it, or choose it above) to see its counts and latest events.
          </p>
        )}
      </aside>
    </div>
  );
}
