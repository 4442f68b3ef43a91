// The project's snapshots (admin; /api/snapshots, docs/operations.md):
// newest first, a form to take one now with an optional note, the files in
// the snapshots folder that are not readable snapshots with the reason, and
// what changed since a chosen snapshot, to now or to another version
// (/snapshots?diff=N&to=M keeps the choice across a reload). There is no
// restore button: a restore replaces the database under the server, so it is
// the CLI's, run while no server runs.
import { useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import { Link, navigate, useLocation } from '../../app/router';
import { Empty, Loading } from '../../components/states';
import { Time } from '../../components/Time';
import { useResource } from '../../components/useResource';
import { AdminOnly, ApiErrorBox, formatBytes, formatInt, useIsAdmin } from './common';

interface Snapshot {
  version: number;
  trigger: string;
  note: string;
  created_at: string;
  schema_version: number;
  backend: string;
  file: string;
  size: number;
  docs_pages?: number;
  includes?: string[];
  docrunch_version?: string;
}

interface Listing {
  snapshots: Snapshot[];
  unreadable: { file: string; reason: string }[];
}

interface Change {
  change: 'added' | 'removed' | 'changed';
  id: string;
  detail?: string;
}

interface Diff {
  from: string;
  to: string;
  tasks: Change[];
  decisions: Change[];
  docs: Change[];
  index: { documents_before: number; documents_after: number; added: number; removed: number; changed: number };
}

const MARK = { added: '+ added', removed: '− removed', changed: '~ changed' };
const NOTE_MAX = 500;

function ChangeList({ title, changes, link }: { title: string; changes: Change[]; link?: (id: string) => string }) {
  return (
    <section className="diff-part" aria-label={title}>
      <h3>
        {title} <span className="count">({changes.length})</span>
      </h3>
      {changes.length === 0 ? (
        <p className="hint">No changes.</p>
      ) : (
        <ul className="changes">
          {changes.map((c) => (
            <li key={`${c.change}-${c.id}`} data-change={c.change}>
              <span className={`badge change-${c.change}`}>{MARK[c.change]}</span>{' '}
              {link && c.change !== 'removed' ? <Link to={link(c.id)}>{c.id}</Link> : <code>{c.id}</code>}
              {c.detail && <span className="change-detail"> {c.detail}</span>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function DiffView({ from, to, versions }: { from: number; to: string; versions: number[] }) {
  const q = to === 'now' ? '' : `?to=${encodeURIComponent(to)}`;
  const diff = useResource<Diff>(`/snapshots/${from}/diff${q}`);
  const choose = (next: string) =>
    navigate(`/snapshots?diff=${from}${next === 'now' ? '' : `&to=${encodeURIComponent(next)}`}`, { replace: true });
  const target = to === 'now' ? 'now' : `snapshot ${to}`;
  return (
    <section className="card diff" aria-labelledby="diff-title">
      <h2 id="diff-title">
        Changes from snapshot {from} to {target}
      </h2>
      <form className="filters" aria-label="Compare" onSubmit={(e) => e.preventDefault()}>
        <label>
          Compare against
          <select value={to} onChange={(e) => choose(e.target.value)}>
            <option value="now">now (the live project)</option>
            {versions
              .filter((v) => v !== from)
              .map((v) => (
                <option key={v} value={String(v)}>
                  snapshot {v}
                </option>
              ))}
          </select>
        </label>
        <button type="button" className="button small" onClick={diff.reload}>
          Refresh
        </button>
        <button type="button" className="button small" onClick={() => navigate('/snapshots', { replace: true })}>
          Close
        </button>
      </form>
      {diff.error && <ApiErrorBox error={diff.error} onRetry={diff.reload} />}
      {!diff.error && (!diff.data || diff.loading) && <Loading label="Comparing…" />}
      {!diff.error && diff.data && !diff.loading && (
        <>
          <ChangeList title="Tasks" changes={diff.data.tasks} link={(id) => `/tasks/${encodeURIComponent(id)}`} />
          <ChangeList title="Decisions" changes={diff.data.decisions} />
          <ChangeList title="Docs" changes={diff.data.docs} />
          <section className="diff-part" aria-label="Search index">
            <h3>Search index</h3>
            <dl className="cost-summary">
              <div>
                <dt>Documents before</dt>
                <dd>{formatInt(diff.data.index.documents_before)}</dd>
              </div>
              <div>
                <dt>Documents after</dt>
                <dd>{formatInt(diff.data.index.documents_after)}</dd>
              </div>
              <div>
                <dt>Added</dt>
                <dd>{formatInt(diff.data.index.added)}</dd>
              </div>
              <div>
                <dt>Removed</dt>
                <dd>{formatInt(diff.data.index.removed)}</dd>
              </div>
              <div>
                <dt>Changed</dt>
                <dd>{formatInt(diff.data.index.changed)}</dd>
              </div>
            </dl>
          </section>
        </>
      )}
    </section>
  );
}

function TakeSnapshot({ onTaken }: { onTaken: (s: Snapshot) => void }) {
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [taken, setTaken] = useState<Snapshot | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    setTaken(null);
    try {
      const body = note.trim() ? { note: note.trim() } : {};
      const s = await api<Snapshot>('POST', '/snapshots', body);
      setTaken(s);
      setNote('');
      onTaken(s);
    } catch (err) {
      setError(err instanceof Error ? err : new Error(String(err)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="inline-form" aria-label="Take a snapshot" onSubmit={(e) => void submit(e)}>
      <label>
        Note (optional)
        <input
          value={note}
          maxLength={NOTE_MAX}
          size={40}
          placeholder="before the invoice work"
          disabled={busy}
          onChange={(e) => setNote(e.target.value)}
        />
      </label>
      <button type="submit" className="button primary" disabled={busy}>
        {busy ? 'Taking snapshot…' : 'Take snapshot'}
      </button>
      <div className="notice-area" aria-live="polite">
        {taken && (
          <p className="notice notice-ok" role="status">
            Snapshot {taken.version} taken ({taken.file}, {formatBytes(taken.size)}).
          </p>
        )}
      </div>
      {error && <ApiErrorBox error={error} />}
    </form>
  );
}

export default function Snapshots() {
  const admin = useIsAdmin();
  const { search } = useLocation();
  const listing = useResource<Listing>(admin ? '/snapshots' : null);
  if (!admin) return <AdminOnly title="Snapshots" what="Taking and comparing snapshots" route="/snapshots" />;

  const diffFrom = Number(search.get('diff') ?? '');
  const to = search.get('to') ?? 'now';
  const data = listing.data;
  const newestFirst = data ? [...data.snapshots].sort((a, b) => b.version - a.version) : [];
  const versions = newestFirst.map((s) => s.version);
  const showDiff = Number.isInteger(diffFrom) && diffFrom > 0;

  return (
    <section>
      <h1>Snapshots</h1>
      <p className="hint">
        A snapshot archives the database, the generated docs and the search index (
        <code>.docrunch/snapshots/</code>). Compare one with now to see what agents changed since. To go back to
        one, stop every <code>docrunch serve</code> and <code>docrunch worker</code> on the project, then run{' '}
        <code>docrunch snapshot restore VERSION</code> on the server's machine (<code>--only</code> for a part). A
        restore replaces the database under the server, so the dashboard has no restore button and the command
        refuses to run while a server does.
      </p>
      <TakeSnapshot onTaken={listing.reload} />
      {listing.error && <ApiErrorBox error={listing.error} onRetry={listing.reload} />}
      {!data && !listing.error && <Loading />}
      {data && (
        <>
          {showDiff && <DiffView from={diffFrom} to={to} versions={versions} />}
          <h2>Taken</h2>
          {newestFirst.length === 0 ? (
            <Empty>No snapshots yet.</Empty>
          ) : (
            <div className="table-wrap">
              <table aria-label="Snapshots, newest first">
                <thead>
                  <tr>
                    <th scope="col">Version</th>
                    <th scope="col">Taken</th>
                    <th scope="col">Trigger</th>
                    <th scope="col">Note</th>
                    <th scope="col">Schema</th>
                    <th scope="col">Backend</th>
                    <th scope="col">File</th>
                    <th scope="col" className="num">
                      Size
                    </th>
                    <th scope="col" className="num">
                      Docs pages
                    </th>
                    <th scope="col">Includes</th>
                    <th scope="col">Changes</th>
                  </tr>
                </thead>
                <tbody>
                  {newestFirst.map((s) => (
                    <tr key={s.version} data-version={s.version} aria-current={showDiff && diffFrom === s.version ? 'true' : undefined}>
                      <td>{s.version}</td>
                      <td>
                        <Time iso={s.created_at} />
                      </td>
                      <td>
                        <span className="badge">{s.trigger}</span>
                      </td>
                      <td>{s.note || <span className="hint">—</span>}</td>
                      <td>{s.schema_version}</td>
                      <td>{s.backend}</td>
                      <td>
                        <code>{s.file}</code>
                      </td>
                      <td className="num">{formatBytes(s.size)}</td>
                      <td className="num">{s.docs_pages ?? '—'}</td>
                      <td>{s.includes?.join(', ') || '—'}</td>
                      <td>
                        <button
                          type="button"
                          className="button small"
                          aria-label={`Changes since snapshot ${s.version}`}
                          onClick={() => navigate(`/snapshots?diff=${s.version}`)}
                        >
                          Changes since
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {data.unreadable.length > 0 && (
            <section aria-labelledby="unreadable-title">
              <h2 id="unreadable-title">Unreadable files</h2>
              <p className="hint">Files in the snapshots folder that are not readable snapshots; nothing uses them.</p>
              <ul className="unreadable">
                {data.unreadable.map((u) => (
                  <li key={u.file}>
                    <code>{u.file}</code>: <span className="state-error-text">{u.reason}</span>
                  </li>
                ))}
              </ul>
            </section>
          )}
        </>
      )}
    </section>
  );
}
