// Search as you type over /api/search (200 ms after the last key), with the
// scope filter; each result links to where it lives in the dashboard.
import { useEffect, useState } from 'react';
import { get } from '../api/client';
import { Link, navigate, useLocation } from '../app/router';
import { Empty, ErrorBox, Loading } from '../components/states';

interface Result {
  id: string;
  type: string;
  title: string;
  content: string;
  file_path: string | null;
  line_number: number | null;
  score: number;
  engine: string;
}

interface Answer {
  query: string;
  results: Result[];
  trace_id?: string;
}

const SCOPES = [
  ['all', 'Everything'],
  ['docs', 'Code and docs'],
  ['reports', 'Tasks and reports'],
] as const;

export function resultLink(r: Result): string | null {
  const [kind, rest] = [r.id.slice(0, r.id.indexOf(':')), r.id.slice(r.id.indexOf(':') + 1)];
  if (kind === 'task') return `/tasks/${rest}`;
  if (kind === 'module') return `/modules/${encodeURIComponent(rest)}`;
  if (r.file_path) {
    const name = r.title.split('.').pop() ?? '';
    const q = new URLSearchParams({ path: r.file_path });
    if (r.type !== 'file' && name) q.set('name', name);
    return `/functions?${q}`;
  }
  return null;
}

export default function Search() {
  const { search } = useLocation();
  const [q, setQ] = useState(search.get('q') ?? '');
  const [scope, setScope] = useState(search.get('scope') ?? 'all');
  const [answer, setAnswer] = useState<Answer | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [loading, setLoading] = useState(false);

  useEffect(() => {
    const text = q.trim();
    const params = new URLSearchParams();
    if (text) params.set('q', text);
    if (scope !== 'all') params.set('scope', scope);
    navigate(`/search${params.size ? `?${params}` : ''}`, { replace: true });
    if (!text) {
      setAnswer(null);
      setError(null);
      return;
    }
    const ac = new AbortController();
    const timer = setTimeout(() => {
      setLoading(true);
      get<Answer>(`/search?q=${encodeURIComponent(text)}&scope=${scope}&limit=30`, ac.signal)
        .then((a) => {
          setAnswer(a);
          setError(null);
        })
        .catch((e: unknown) => {
          if (!ac.signal.aborted) setError(e instanceof Error ? e : new Error(String(e)));
        })
        .finally(() => {
          if (!ac.signal.aborted) setLoading(false);
        });
    }, 200);
    return () => {
      clearTimeout(timer);
      ac.abort();
    };
  }, [q, scope]);

  return (
    <section>
      <h1>Search</h1>
      <form className="search-form" role="search" onSubmit={(e) => e.preventDefault()}>
        <label htmlFor="q" className="visually-hidden">
          Search the knowledge base
        </label>
        <input
          id="q"
          type="search"
          autoFocus
          placeholder="Search code, docs, tasks…"
          value={q}
          onChange={(e) => setQ(e.target.value)}
        />
        <label htmlFor="scope">Scope</label>
        <select id="scope" value={scope} onChange={(e) => setScope(e.target.value)}>
          {SCOPES.map(([v, label]) => (
            <option key={v} value={v}>
              {label}
            </option>
          ))}
        </select>
      </form>
      <div aria-live="polite">
        {loading && <Loading label="Searching…" />}
        {error && <ErrorBox error={error} />}
        {!q.trim() && <Empty>Type to search the code, the generated docs, the tasks and the reports.</Empty>}
        {answer && q.trim() && !loading && (
          <p className="small">
            {answer.results.length} result{answer.results.length === 1 ? '' : 's'} for “{answer.query}”
          </p>
        )}
        {answer && q.trim() && answer.results.length === 0 && !loading && <Empty>Nothing matches.</Empty>}
      </div>
      {answer && q.trim() && answer.results.length > 0 && (
        <ol className="results">
          {answer.results.map((r) => {
            const to = resultLink(r);
            return (
              <li key={r.id} className="card result">
                <div className="result-head">
                  <span className="badge">{r.type}</span>{' '}
                  {to ? <Link to={to}>{r.title}</Link> : <span>{r.title}</span>}
                </div>
                {r.file_path && (
                  <p className="location">
                    <code>
                      {r.file_path}
                      {r.line_number ? `:${r.line_number}` : ''}
                    </code>
                  </p>
                )}
                {r.content && <pre className="snippet">{r.content}</pre>}
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
