// The knowledge graph: the decisions and findings agents recorded, the tasks
// they belong to (with the dependencies between those tasks) and the files
// the findings touch. Tasks with neither are left out, so the graph stays
// about what was learned; at most MAX_KNOWLEDGE_NODES nodes, newest first.
import { useEffect, useMemo, useState } from 'react';
import { MarkerType, Position, type Edge, type Node } from '@xyflow/react';
import { GraphCanvas } from '../../components/GraphCanvas';
import { getAll } from '../../api/client';
import type { Decision, Finding, Task } from '../../api/types';
import { Link } from '../../app/router';
import { Empty, ErrorBox, Loading } from '../../components/states';
import { layout } from '../system/layout';

const MAX_KNOWLEDGE_NODES = 150;
const KINDS = ['task', 'decision', 'finding', 'file'] as const;
type Kind = (typeof KINDS)[number];

interface KNode {
  id: string;
  kind: Kind;
  label: string;
  detail: string;
  link: string | null;
}
interface KEdge {
  source: string;
  target: string;
  label: string;
}

export function knowledge(tasks: Task[], decisions: Decision[], findings: Finding[]) {
  const nodes = new Map<string, KNode>();
  const edges: KEdge[] = [];
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const addTask = (id: string) => {
    const t = byId.get(id);
    if (!nodes.has(id)) {
      nodes.set(id, { id, kind: 'task', label: `${id}: ${t?.title ?? ''}`, detail: t ? t.status : '', link: `/tasks/${id}` });
    }
  };
  for (const d of decisions.slice(0, MAX_KNOWLEDGE_NODES / 3)) {
    nodes.set(d.id, { id: d.id, kind: 'decision', label: `${d.id}: ${d.title}`, detail: d.decision, link: null });
    if (d.task_id) {
      addTask(d.task_id);
      edges.push({ source: d.id, target: d.task_id, label: 'decided in' });
    }
  }
  for (const f of findings.slice(0, MAX_KNOWLEDGE_NODES / 3)) {
    nodes.set(f.id, { id: f.id, kind: 'finding', label: `${f.id} (${f.type})`, detail: f.description, link: null });
    if (f.task_id) {
      addTask(f.task_id);
      edges.push({ source: f.id, target: f.task_id, label: 'found in' });
    }
    for (const file of f.files) {
      const id = `file:${file}`;
      if (!nodes.has(id)) {
        nodes.set(id, { id, kind: 'file', label: file, detail: 'file', link: `/functions?path=${encodeURIComponent(file)}` });
      }
      edges.push({ source: f.id, target: id, label: 'touches' });
    }
  }
  // Dependencies between the tasks already in the graph.
  for (const t of tasks) {
    if (!nodes.has(t.id)) continue;
    for (const dep of t.depends_on) if (nodes.has(dep)) edges.push({ source: t.id, target: dep, label: 'depends on' });
  }
  return { nodes: [...nodes.values()].slice(0, MAX_KNOWLEDGE_NODES), edges };
}

export default function KnowledgeGraph() {
  const [data, setData] = useState<{ tasks: Task[]; decisions: Decision[]; findings: Finding[] } | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [shown, setShown] = useState<Record<Kind, boolean>>({ task: true, decision: true, finding: true, file: true });
  const [flow, setFlow] = useState<{ nodes: Node[]; edges: Edge[] } | null>(null);
  const [selected, setSelected] = useState<string | null>(null);

  useEffect(() => {
    const ac = new AbortController();
    Promise.all([
      getAll<Task>('/tasks', ac.signal),
      getAll<Decision>('/decisions', ac.signal),
      getAll<Finding>('/findings', ac.signal),
    ])
      .then(([tasks, decisions, findings]) => setData({ tasks, decisions, findings }))
      .catch((e: unknown) => !ac.signal.aborted && setError(e instanceof Error ? e : new Error(String(e))));
    return () => ac.abort();
  }, []);

  const graph = useMemo(() => {
    if (!data) return null;
    const g = knowledge(data.tasks, data.decisions, data.findings);
    const nodes = g.nodes.filter((n) => shown[n.kind]);
    const ids = new Set(nodes.map((n) => n.id));
    return { nodes, edges: g.edges.filter((e) => ids.has(e.source) && ids.has(e.target)) };
  }, [data, shown]);

  useEffect(() => {
    if (!graph) return;
    let live = true;
    layout({
      id: 'root',
      layoutOptions: {
        'elk.algorithm': 'layered',
        'elk.direction': 'RIGHT',
        'elk.spacing.nodeNode': '30',
        'elk.layered.spacing.nodeNodeBetweenLayers': '90',
      },
      // Two lines of label: a title may wrap once.
      children: graph.nodes.map((n) => ({ id: n.id, width: 220, height: 72 })),
      edges: graph.edges.map((e, i) => ({ id: `k${i}`, sources: [e.source], targets: [e.target] })),
    }).then(
      (laid) => {
        if (!live) return;
        const pos = new Map((laid.children ?? []).map((c) => [c.id, { x: c.x ?? 0, y: c.y ?? 0 }]));
        setFlow({
          nodes: graph.nodes.map((n) => ({
            id: n.id,
            position: pos.get(n.id) ?? { x: 0, y: 0 },
            data: {
              label: (
                <div className="lineage-node-label">
                  <span className="small">{n.kind}</span>
                  <strong>{n.label}</strong>
                </div>
              ),
            },
            sourcePosition: Position.Right,
            targetPosition: Position.Left,
            className: `repo-node knowledge-${n.kind}`,
            style: { width: 220 },
            ariaLabel: `${n.kind} ${n.label}`,
          })),
          edges: graph.edges.map((e, i) => ({
            id: `k${i}`,
            source: e.source,
            target: e.target,
            label: e.label,
            markerEnd: { type: MarkerType.ArrowClosed },
          })),
        });
      },
      (e: unknown) => live && setError(e instanceof Error ? e : new Error(String(e))),
    );
    return () => {
      live = false;
    };
  }, [graph]);

  const node = graph?.nodes.find((n) => n.id === selected) ?? null;
  return (
    <section>
      <h1>Knowledge graph</h1>
      <p className="small">
        Decisions and findings agents recorded, the tasks they belong to and the files they touch.{' '}
        <Link to="/graph">The repository graph</Link> shows the code itself.
      </p>
      <fieldset className="filters kinds">
        <legend>Show</legend>
        {KINDS.map((k) => (
          <label key={k}>
            <input type="checkbox" checked={shown[k]} onChange={(e) => setShown({ ...shown, [k]: e.target.checked })} /> {k}s
          </label>
        ))}
      </fieldset>
      {error && <ErrorBox error={error} />}
      {!graph && !error && <Loading label="Loading what agents recorded…" />}
      {graph && graph.nodes.length === 0 && (
        <Empty>No decisions or findings yet: agents record them with record_decision and log_finding.</Empty>
      )}
      {graph && graph.nodes.length > 0 && (
        <div className="lineage">
          <GraphCanvas label="Knowledge graph" flow={flow} onSelect={setSelected} />
          <aside className="card lineage-side" aria-label="Knowledge details">
            {node ? (
              <>
                <h2 className="h3">{node.label}</h2>
                <p>
                  <span className="badge">{node.kind}</span> {node.detail}
                </p>
                {node.link && <Link to={node.link}>Open</Link>}
                <button type="button" className="link-button" onClick={() => setSelected(null)}>
                  ← all entries
                </button>
              </>
            ) : (
              <>
                <h2 className="h3">Entries ({graph.nodes.length})</h2>
                <ul className="files">
                  {graph.nodes.map((n) => (
                    <li key={n.id}>
                      <button type="button" className="link-button" onClick={() => setSelected(n.id)}>
                        {n.label}
                      </button>{' '}
                      <span className="small">{n.kind}</span>
                    </li>
                  ))}
                </ul>
              </>
            )}
          </aside>
        </div>
      )}
    </section>
  );
}
