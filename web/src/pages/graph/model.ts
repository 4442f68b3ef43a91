// The repository graph as a folder tree with import edges, and the view of
// one folder: its children (sub-folders aggregated over everything below
// them, and its files), the imports between them, and each child's imports
// to and from the rest of the repository. Never more than MAX_NODES nodes.

export interface GraphAnswer {
  view: string;
  nodes: { id: string; label: string; type: string }[];
  edges: { source: string; target: string; type: string }[];
}

export interface RepoTree {
  kind: Map<string, 'directory' | 'file'>;
  parent: Map<string, string>; // '' for a top-level entry
  children: Map<string, string[]>; // '' is the root
  files: Map<string, number>; // files below a folder (a file counts 1)
  imports: { source: string; target: string }[];
}

export const MAX_NODES = 120;

export function buildTree(structure: GraphAnswer, dependencies: GraphAnswer): RepoTree {
  const kind = new Map<string, 'directory' | 'file'>();
  for (const n of [...structure.nodes, ...dependencies.nodes]) {
    if (!kind.has(n.id)) kind.set(n.id, n.type === 'directory' ? 'directory' : 'file');
  }
  const parent = new Map<string, string>();
  for (const e of structure.edges) if (e.type === 'contains') parent.set(e.target, e.source);
  const children = new Map<string, string[]>();
  for (const id of kind.keys()) {
    const p = parent.get(id) ?? '';
    if (!parent.has(id)) parent.set(id, '');
    const list = children.get(p);
    if (list) list.push(id);
    else children.set(p, [id]);
  }
  for (const list of children.values()) {
    list.sort((a, b) => (kind.get(a) === kind.get(b) ? a.localeCompare(b) : kind.get(a) === 'directory' ? -1 : 1));
  }
  const files = new Map<string, number>();
  for (const [id, k] of kind) {
    if (k !== 'file') continue;
    for (let p: string | undefined = id; p !== undefined && p !== ''; p = parent.get(p)) {
      files.set(p, (files.get(p) ?? 0) + 1);
    }
  }
  const imports = dependencies.edges.filter((e) => e.type === 'imports' && e.source !== e.target);
  return { kind, parent, children, files, imports };
}

export interface FolderView {
  nodes: { id: string; kind: 'directory' | 'file'; files: number; importsOut: number; importsIn: number }[];
  edges: { source: string; target: string; count: number }[];
  hidden: number; // children left out past MAX_NODES
}

// The child of `folder` that holds `id` (itself when it is one), or null
// when `id` is not below `folder`.
function ownerIn(tree: RepoTree, folder: string, id: string): string | null {
  let cur = id;
  for (;;) {
    const p = tree.parent.get(cur);
    if (p === undefined) return null;
    if (p === folder) return cur;
    if (p === '') return null;
    cur = p;
  }
}

export function folderView(tree: RepoTree, folder: string): FolderView {
  const all = tree.children.get(folder) ?? [];
  // The biggest children first when there are too many to draw.
  const shown =
    all.length > MAX_NODES
      ? [...all].sort((a, b) => (tree.files.get(b) ?? 0) - (tree.files.get(a) ?? 0)).slice(0, MAX_NODES)
      : all;
  const visible = new Set(shown);
  const out = new Map<string, number>();
  const inn = new Map<string, number>();
  const pairs = new Map<string, number>();
  const owners = new Map<string, string | null>();
  const owner = (id: string) => {
    let o = owners.get(id);
    if (o === undefined) {
      o = ownerIn(tree, folder, id);
      owners.set(id, o);
    }
    return o;
  };
  for (const e of tree.imports) {
    const a = owner(e.source);
    const b = owner(e.target);
    if (a && b) {
      if (a !== b && visible.has(a) && visible.has(b)) {
        const key = `${a}\n${b}`;
        pairs.set(key, (pairs.get(key) ?? 0) + 1);
      }
    } else if (a) out.set(a, (out.get(a) ?? 0) + 1);
    else if (b) inn.set(b, (inn.get(b) ?? 0) + 1);
  }
  return {
    nodes: shown.map((id) => ({
      id,
      kind: tree.kind.get(id) ?? 'file',
      files: tree.files.get(id) ?? 0,
      importsOut: out.get(id) ?? 0,
      importsIn: inn.get(id) ?? 0,
    })),
    edges: [...pairs].map(([key, count]) => {
      const [source, target] = key.split('\n') as [string, string];
      return { source, target, count };
    }),
    hidden: all.length - shown.length,
  };
}

export function basename(id: string): string {
  return id.slice(id.lastIndexOf('/') + 1) || id;
}
