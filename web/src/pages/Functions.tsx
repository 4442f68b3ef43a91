// Function docs: /api/functions filtered by module, path, name or kind,
// a page at a time, each with its signature, docstring and path:line.
import { useEffect, useState } from 'react';
import { get } from '../api/client';
import type { Page } from '../api/types';
import { navigate, useLocation } from '../app/router';
import { Empty, ErrorBox, Loading } from '../components/states';

interface Fn {
  name: string;
  qualified_name: string;
  kind: string;
  signature: string;
  docstring: string;
  file_path: string;
  line: number;
  end_line: number;
  location: string;
}

const FIELDS = ['module', 'path', 'name', 'kind'] as const;

export default function Functions() {
  const { search } = useLocation();
  const query = FIELDS.filter((f) => search.get(f))
    .map((f) => `${f}=${encodeURIComponent(search.get(f)!)}`)
    .join('&');
  const [items, setItems] = useState<Fn[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [loading, setLoading] = useState(true);
  const [form, setForm] = useState<Record<string, string>>(() =>
    Object.fromEntries(FIELDS.map((f) => [f, search.get(f) ?? ''])),
  );

  const load = (after: string | null) => {
    setLoading(true);
    const params = `${query ? `${query}&` : ''}limit=50${after ? `&cursor=${encodeURIComponent(after)}` : ''}`;
    get<Page<Fn>>(`/functions?${params}`)
      .then((p) => {
        setItems((prev) => (after ? [...prev, ...p.items] : p.items));
        setCursor(p.next_cursor);
        setError(null);
      })
      .catch((e: unknown) => setError(e instanceof Error ? e : new Error(String(e))))
      .finally(() => setLoading(false));
  };
  // The first page again whenever the filters in the address change.
  useEffect(() => load(null), [query]);

  const apply = () => {
    const p = new URLSearchParams();
    for (const f of FIELDS) if (form[f]?.trim()) p.set(f, form[f]!.trim());
    navigate(`/functions${p.size ? `?${p}` : ''}`);
  };

  return (
    <section>
      <h1>Functions</h1>
      <form
        className="filters"
        aria-label="Filter functions"
        onSubmit={(e) => {
          e.preventDefault();
          apply();
        }}
      >
        {FIELDS.map((f) => (
          <label key={f}>
            {f === 'path' ? 'File path' : f[0]!.toUpperCase() + f.slice(1)}
            <input value={form[f] ?? ''} onChange={(e) => setForm({ ...form, [f]: e.target.value })} />
          </label>
        ))}
        <button type="submit" className="button">
          Apply
        </button>
      </form>
      {error && <ErrorBox error={error} onRetry={() => load(null)} />}
      {!loading && !error && items.length === 0 && <Empty>No functions match.</Empty>}
      <ul className="functions">
        {items.map((f) => (
          <li key={`${f.location}:${f.qualified_name}`} className="card fn" id={`L${f.line}`}>
            <h2>
              <span className="badge">{f.kind}</span> {f.qualified_name || f.name}
            </h2>
            <pre className="snippet">{f.signature}</pre>
            {f.docstring ? <p className="prewrap">{f.docstring}</p> : <p className="small">No docstring.</p>}
            <p className="location">
              <code>
                {f.file_path}:{f.line}
                {f.end_line && f.end_line !== f.line ? `-${f.end_line}` : ''}
              </code>
            </p>
          </li>
        ))}
      </ul>
      {loading && <Loading />}
      {cursor && !loading && (
        <button type="button" className="button" onClick={() => load(cursor)}>
          Load more
        </button>
      )}
    </section>
  );
}
