// One module: its generated page (Markdown rendered, links between pages kept
// inside the dashboard) and its files.
import type { Page } from '../api/types';
import { Link } from '../app/router';
import { Markdown } from '../components/Markdown';
import { Empty, Loaded } from '../components/states';
import { useResource } from '../components/useResource';

interface ModuleAnswer {
  files: { path: string; language: string; size: number }[];
  markdown: string | null;
  [key: string]: unknown;
}

// A generated page's file name is its module's name with "/" as "." (plus
// a suffix when two would clash); `names` are the modules to find it among.
function mapLink(name: string, names: string[]) {
  const bySlug = new Map(names.map((n) => [n.replace(/\//g, '.'), n]));
  const moduleLink = (slug: string) => {
    const target = bySlug.get(slug);
    return target ? `/modules/${encodeURIComponent(target)}` : '/modules';
  };
  return (href: string): string | null => {
    if (/^https?:/.test(href)) return href;
    const fn = /(?:^|\/)functions\/([^/]+)\.md$/.exec(href);
    if (fn) {
      const target = bySlug.get(decodeURIComponent(fn[1]!));
      return `/functions?module=${encodeURIComponent(target ?? name)}`;
    }
    const mod = /(?:^|\/)modules\/([^/]+)\.md$/.exec(href);
    if (mod) return moduleLink(decodeURIComponent(mod[1]!));
    if (/index\.md$/.test(href)) return '/modules';
    return null;
  };
}

export default function ModuleDetail({ params }: { params: Record<string, string> }) {
  const name = params.name ?? '';
  const resource = useResource<ModuleAnswer>(`/modules/${encodeURIComponent(name)}`);
  const modules = useResource<Page<{ name: string }>>('/modules?limit=200');
  const names = modules.data?.items.map((m) => m.name) ?? [];
  return (
    <section>
      <p>
        <Link to="/modules">← All modules</Link>
      </p>
      <h1>Module {name}</h1>
      <Loaded resource={resource}>
        {(m) => (
          <div className="detail-grid wide">
            <section className="card" aria-labelledby="mod-page">
              <h2 id="mod-page">Generated page</h2>
              {m.markdown ? <Markdown source={m.markdown} mapLink={mapLink(name, names)} /> : <Empty>No page generated yet.</Empty>}
            </section>
            <section className="card" aria-labelledby="mod-files">
              <h2 id="mod-files">Files ({m.files.length})</h2>
              <ul className="files">
                {m.files.map((f) => (
                  <li key={f.path}>
                    <Link to={`/functions?path=${encodeURIComponent(f.path)}`}>
                      <code>{f.path}</code>
                    </Link>{' '}
                    <span className="small">
                      {f.language}, {f.size.toLocaleString()} bytes
                    </span>
                  </li>
                ))}
              </ul>
            </section>
          </div>
        )}
      </Loaded>
    </section>
  );
}
