// Modules with their files and languages.
import { useEffect, useState } from 'react';
import { getAll } from '../api/client';
import { Link } from '../app/router';
import { Empty, ErrorBox, Loading } from '../components/states';

interface Module {
  name: string;
  files: number;
  languages: Record<string, number>;
}

export default function Modules() {
  const [modules, setModules] = useState<Module[] | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [filter, setFilter] = useState('');
  const [nonce, setNonce] = useState(0);
  useEffect(() => {
    const ac = new AbortController();
    getAll<Module>('/modules', ac.signal)
      .then(setModules)
      .catch((e: unknown) => !ac.signal.aborted && setError(e instanceof Error ? e : new Error(String(e))));
    return () => ac.abort();
  }, [nonce]);
  const shown = (modules ?? []).filter((m) => m.name.toLowerCase().includes(filter.toLowerCase()));
  return (
    <section>
      <h1>Modules</h1>
      <label className="inline-filter">
        Filter modules <input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} />
      </label>
      {error && <ErrorBox error={error} onRetry={() => setNonce((n) => n + 1)} />}
      {!modules && !error && <Loading />}
      {modules && shown.length === 0 && <Empty>{modules.length ? 'No module matches.' : 'No modules yet: run docrunch scan.'}</Empty>}
      {shown.length > 0 && (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Module</th>
                <th scope="col">Files</th>
                <th scope="col">Languages</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((m) => (
                <tr key={m.name}>
                  <td>
                    <Link to={`/modules/${encodeURIComponent(m.name)}`}>{m.name}</Link>
                  </td>
                  <td>{m.files}</td>
                  <td>
                    {Object.entries(m.languages)
                      .map(([l, n]) => `${l} ${n}`)
                      .join(', ')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
