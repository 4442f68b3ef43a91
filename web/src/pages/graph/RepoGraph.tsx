// The repository graph: folders → files → symbols. It opens at the top
// folders (each aggregating everything below it) with the imports between
// them; opening a folder shows its sub-folders and files, selecting a file
// lists its symbols and imports. The search focuses any folder or file.
// Laid out by ELK in a worker; never more than MAX_NODES nodes at once.
import { useEffect, useMemo, useState } from 'react';
import { MarkerType, type Edge, type Node } from '@xyflow/react';
import { GraphCanvas } from '../../components/GraphCanvas';
import { get } from '../../api/client';
import type { Page } from '../../api/types';
import { Link, navigate, useLocation } from '../../app/router';
import { Empty, ErrorBox, Loading } from '../../components/states';
import { layout } from '../system/layout';
import { basename, buildTree, folderView, type FolderView, type GraphAnswer, type RepoTree } from './model';

interface Fn {
  name: string;
  qualified_name: string;
  kind: string;
  line: number;
}

const W = 190;
const H = 58;

async function toFlow(view: FolderView, showImports: boolean, selected: string | null) {
  const edges = showImports ? view.edges : [];
  const graph = await layout({
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.spacing.nodeNode': '24',
      'elk.layered.spacing.nodeNodeBetweenLayers': '60',
    },
    children: view.nodes.map((n) => ({ id: n.id, width: W, height: H })),
    edges: edges.map((e, i) => ({ id: `e${i}`, sources: [e.source], targets: [e.target] })),
  });
  const pos = new Map((graph.children ?? []).map((c) => [c.id, { x: c.x ?? 0, y: c.y ?? 0 }]));
  const nodes: Node[] = view.nodes.map((n) => ({
    id: n.id,
    position: pos.get(n.id) ?? { x: 0, y: 0 },
    data: {
      label: (
        <div className="lineage-node-label">
          <strong>
            {n.kind === 'directory' ? '▸ ' : ''}
            {basename(n.id)}
            {n.kind === 'directory' ? '/' : ''}
          </strong>
          <span className="small">
            {n.kind === 'directory' ? `${n.files} files · ` : ''}
            outside: {n.importsOut} out · {n.importsIn} in
          </span>
        </div>
      ),
    },
    className: `repo-node repo-${n.kind}${n.id === selected ? ' selected-node' : ''}`,
    style: { width: W },
    ariaLabel: `${n.kind === 'directory' ? 'folder' : 'file'} ${n.id}`,
  }));
  const flowEdges: Edge[] = edges.map((e, i) => ({
    id: `e${i}`,
    source: e.source,
    target: e.target,
    label: String(e.count),
    markerEnd: { type: MarkerType.ArrowClosed },
  }));
  return { nodes, edges: flowEdges };
}

function FileDetails({ tree, id, onFocus }: { tree: RepoTree; id: string; onFocus: (id: string) => void }) {
  const [symbols, setSymbols] = useState<Fn[] | null>(null);
  const [error, setError] = useState<Error | null>(null);
  useEffect(() => {
    setSymbols(null);
    setError(null);
    get<Page<Fn>>(`/functions?path=${encodeURIComponent(id)}&limit=100`)
      .then((p) => setSymbols(p.items))
      .catch((e: unknown) => setError(e instanceof Error ? e : new Error(String(e))));
  }, [id]);
  const out = tree.imports.filter((e) => e.source === id).map((e) => e.target);
  const inn = tree.imports.filter((e) => e.target === id).map((e) => e.source);
  const list = (ids: string[]) =>
    ids.length === 0 ? (
      <p className="small">none</p>
    ) : (
      <ul className="files">
        {ids.slice(0, 50).map((t) => (
          <li key={t}>
            <button type="button" className="link-button" onClick={() => onFocus(t)}>
              {t}
            </button>
          </li>
        ))}
      </ul>
    );
  return (
    <>
      <h3>Symbols</h3>
      {error && <ErrorBox error={error} />}
      {!symbols && !error && <Loading />}
      {symbols && symbols.length === 0 && <Empty>No symbols.</Empty>}
      {symbols && symbols.length > 0 && (
        <ul className="files">
          {symbols.map((s) => (
            <li key={`${s.qualified_name}:${s.line}`}>
              <span className="badge">{s.kind}</span>{' '}
              <Link to={`/functions?path=${encodeURIComponent(id)}&name=${encodeURIComponent(s.name)}`}>
                {s.qualified_name || s.name}
              </Link>{' '}
              <span className="small">:{s.line}</span>
            </li>
          ))}
        </ul>
      )}
      <h3>Imports ({out.length})</h3>
      {list(out)}
      <h3>Imported by ({inn.length})</h3>
      {list(inn)}
    </>
  );
}

export default function RepoGraph() {
  const { search } = useLocation();
  const folder = search.get('folder') ?? '';
  const selected = search.get('select');
  const [tree, setTree] = useState<RepoTree | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [showImports, setShowImports] = useState(true);
  const [flow, setFlow] = useState<{ nodes: Node[]; edges: Edge[] } | null>(null);
  const [query, setQuery] = useState('');
  const [nonce, setNonce] = useState(0);

  useEffect(() => {
    const ac = new AbortController();
    Promise.all([
      get<GraphAnswer>('/graph?view=structure', ac.signal),
      get<GraphAnswer>('/graph?view=dependencies', ac.signal),
    ])
      .then(([s, d]) => setTree(buildTree(s, d)))
      .catch((e: unknown) => !ac.signal.aborted && setError(e instanceof Error ? e : new Error(String(e))));
    return () => ac.abort();
  }, [nonce]);

  const view = useMemo(() => (tree ? folderView(tree, folder) : null), [tree, folder]);
  useEffect(() => {
    if (!view) return;
    let live = true;
    setFlow(null);
    toFlow(view, showImports, selected).then(
      (f) => live && setFlow(f),
      (e: unknown) => live && setError(e instanceof Error ? e : new Error(String(e))),
    );
    return () => {
      live = false;
    };
  }, [view, showImports, selected]);

  const go = (nextFolder: string, select: string | null = null) => {
    const q = new URLSearchParams();
    if (nextFolder) q.set('folder', nextFolder);
    if (select) q.set('select', select);
    navigate(`/graph${q.size ? `?${q}` : ''}`);
  };
  const open = (id: string) => {
    if (!tree) return;
    if (tree.kind.get(id) === 'directory') go(id);
    else go(tree.parent.get(id) ?? '', id);
  };
  const matches = useMemo(() => {
    const q = query.trim().toLowerCase();
    if (!tree || q.length < 2) return [];
    return [...tree.kind.keys()].filter((id) => id.toLowerCase().includes(q)).slice(0, 12);
  }, [tree, query]);

  const crumbs = folder ? folder.split('/') : [];
  return (
    <section>
      <h1>Repository graph</h1>
      <div className="graph-toolbar">
        <nav aria-label="Folder path" className="crumbs">
          <button type="button" className="link-button" onClick={() => go('')}>
            repository
          </button>
          {crumbs.map((c, i) => (
            <span key={i}>
              {' / '}
              <button
                type="button"
                className="link-button"
                aria-current={i === crumbs.length - 1 ? 'location' : undefined}
                onClick={() => go(crumbs.slice(0, i + 1).join('/'))}
              >
                {c}
              </button>
            </span>
          ))}
        </nav>
        <label className="inline-filter">
          <input type="checkbox" checked={showImports} onChange={(e) => setShowImports(e.target.checked)} /> Import
          edges
        </label>
        <div className="graph-search">
          <label htmlFor="graph-search">Find a folder or file</label>
          <input id="graph-search" type="search" value={query} onChange={(e) => setQuery(e.target.value)} />
          {matches.length > 0 && (
            <ul className="matches" aria-label="Matches">
              {matches.map((m) => (
                <li key={m}>
                  <button
                    type="button"
                    className="link-button"
                    onClick={() => {
                      setQuery('');
                      open(m);
                    }}
                  >
                    {m}
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
      {error && <ErrorBox error={error} onRetry={() => setNonce((n) => n + 1)} />}
      {!tree && !error && <Loading label="Loading the repository graph…" />}
      {view && view.nodes.length === 0 && <Empty>Nothing scanned here yet: run docrunch scan.</Empty>}
      {view && view.nodes.length > 0 && (
        <div className="lineage">
          <GraphCanvas label="Repository graph" flow={flow} onSelect={open} />
          <aside className="card lineage-side" aria-label="Folder contents">
            {selected && tree?.kind.get(selected) === 'file' ? (
              <>
                <h2 className="h3">{selected}</h2>
                <button type="button" className="link-button" onClick={() => go(folder)}>
                  ← back to {folder || 'the repository'}
                </button>
                <FileDetails tree={tree} id={selected} onFocus={open} />
              </>
            ) : (
              <>
                <h2 className="h3">{folder || 'Repository'}</h2>
                <p className="small">
                  {view.nodes.length} entries{view.hidden > 0 && `, the ${view.hidden} smallest not drawn`} ·{' '}
                  {view.edges.reduce((n, e) => n + e.count, 0)} imports between them
                </p>
                <ul className="files">
                  {view.nodes.map((n) => (
                    <li key={n.id}>
                      <button type="button" className="link-button" onClick={() => open(n.id)}>
                        {basename(n.id)}
                        {n.kind === 'directory' ? '/' : ''}
                      </button>{' '}
                      <span className="small">{n.kind === 'directory' ? `${n.files} files` : 'file'}</span>
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
