// The sync event stream: outbox events as they are written (/ws/sync/events),
// counted per second and shown at most four times a second whatever the
// rate (the newest 50), with a pause; the events the list route finds by
// status, target and entity type; failed and dead-letter events with each
// target's error, and a retry for admins.
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError, get } from '../../api/client';
import { openStream, type StreamStatus } from '../../api/stream';
import type { Page } from '../../api/types';
import { useCanWrite } from '../../app/session';
import { Empty, ErrorBox, Loading } from '../../components/states';
import { Time } from '../../components/Time';
import { flow } from './flow';

interface SyncEvent {
  id: number;
  entity_type: string;
  entity_id: string;
  action: string;
  priority: number;
  created_at: string;
  processed_at?: string | null;
  status?: string;
  // Listed events only (not the stream's): the targets behind on it.
  targets?: TargetTrouble[];
}

interface TargetTrouble {
  target: string;
  status: string;
  attempts: number;
  last_error: string | null;
}

const SHOWN = 50;
const FLUSH_MS = 250;
const STATUSES = ['pending', 'processed', 'failed', 'dead_letter'];
const TARGETS = ['index', 'markdown', 'lightrag'];
const TYPES = ['file', 'task', 'decision', 'relationships', 'repository'];

function useLiveEvents() {
  const [events, setEvents] = useState<SyncEvent[]>([]);
  const [rate, setRate] = useState(0);
  const [paused, setPaused] = useState(false);
  const [missed, setMissed] = useState(0);
  const [live, setLive] = useState<StreamStatus>('connecting');
  const buffer = useRef<SyncEvent[]>([]);
  const arrivals = useRef<number[]>([]);
  const pausedRef = useRef(false);
  pausedRef.current = paused;

  useEffect(() => {
    const stop = openStream('/ws/sync/events', {
      onStatus: setLive,
      onMessage: (m) => {
        if (m.type !== 'sync.event') return;
        arrivals.current.push(Date.now());
        // The lineage draws it (sampled there; nothing per event here).
        flow.written((m.data as SyncEvent).entity_type);
        if (pausedRef.current) setMissed((n) => n + 1);
        else buffer.current.push(m.data as SyncEvent);
      },
    });
    // One state update per FLUSH_MS however many events arrived.
    const timer = setInterval(() => {
      const now = Date.now();
      arrivals.current = arrivals.current.filter((t) => now - t < 5000);
      setRate(arrivals.current.length / 5);
      if (buffer.current.length === 0) return;
      const fresh = buffer.current.splice(0).reverse();
      setEvents((prev) => [...fresh, ...prev].slice(0, SHOWN));
    }, FLUSH_MS);
    return () => {
      stop();
      clearInterval(timer);
    };
  }, []);

  const togglePause = useCallback(() => {
    const next = !pausedRef.current;
    flow.setPaused(next);
    setPaused(next);
    setMissed(0);
  }, []);
  return { events, rate, paused, missed, live, togglePause };
}

function Failure({ event }: { event: SyncEvent }) {
  const bad = (event.targets ?? []).filter((t) => t.last_error);
  return (
    <li>
      <span className={`badge status-${event.status}`}>{event.status}</span> #{event.id} {event.entity_type}{' '}
      <code>{event.entity_id}</code> <Time iso={event.created_at} rel />
      {bad.map((c) => (
        <div key={c.target} className="form-error small">
          {c.target} (attempt {c.attempts}): {c.last_error}
        </div>
      ))}
    </li>
  );
}

export function SyncEvents() {
  const canWrite = useCanWrite();
  const liveEvents = useLiveEvents();
  const [filter, setFilter] = useState({ status: '', target: '', entity_type: '' });
  const [listed, setListed] = useState<SyncEvent[] | null>(null);
  const [failures, setFailures] = useState<SyncEvent[] | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [message, setMessage] = useState<{ error: boolean; text: string } | null>(null);
  const [nonce, setNonce] = useState(0);
  // The filter applies to the events drawn on the lineage too.
  useEffect(() => flow.setFilter(filter), [filter]);
  useEffect(() => () => flow.setPaused(false), []);

  useEffect(() => {
    const q = new URLSearchParams({ limit: '20' });
    for (const [k, v] of Object.entries(filter)) if (v) q.set(k, v);
    setListed(null);
    get<Page<SyncEvent>>(`/sync/events?${q}`)
      .then((p) => setListed(p.items))
      .catch((e: unknown) => setError(e instanceof Error ? e : new Error(String(e))));
  }, [filter, nonce]);
  useEffect(() => {
    Promise.all(['failed', 'dead_letter'].map((s) => get<Page<SyncEvent>>(`/sync/events?status=${s}&limit=20`)))
      .then(([f, d]) => setFailures([...(f?.items ?? []), ...(d?.items ?? [])]))
      .catch((e: unknown) => setError(e instanceof Error ? e : new Error(String(e))));
  }, [nonce]);

  const retry = async (all: boolean) => {
    try {
      const r = await api<{ retried: number }>('POST', '/sync/events/retry', all ? { all: true } : {});
      setMessage({ error: false, text: `${r.retried} entr${r.retried === 1 ? 'y' : 'ies'} scheduled again.` });
      setNonce((n) => n + 1);
    } catch (e) {
      setMessage({ error: true, text: e instanceof ApiError ? e.message : String(e) });
    }
  };

  const select = (key: keyof typeof filter, label: string, options: string[]) => (
    <label>
      {label}
      <select value={filter[key]} onChange={(e) => setFilter({ ...filter, [key]: e.target.value })}>
        <option value="">Any</option>
        {options.map((o) => (
          <option key={o}>{o}</option>
        ))}
      </select>
    </label>
  );

  return (
    <div className="sync-events">
      <section className="card" aria-labelledby="sync-live">
        <h3 id="sync-live">Live events</h3>
        <p className="live" role="status">
          <span className={`dot live-${liveEvents.live}`} aria-hidden="true" />
          {liveEvents.live === 'live' ? 'Live' : liveEvents.live === 'connecting' ? 'Connecting…' : 'Offline, retrying'} ·{' '}
          {liveEvents.rate.toFixed(1)} events/s
          {liveEvents.paused && ` · paused, ${liveEvents.missed} new`}
        </p>
        <button type="button" className="button small" aria-pressed={liveEvents.paused} onClick={liveEvents.togglePause}>
          {liveEvents.paused ? 'Resume' : 'Pause'}
        </button>
        {liveEvents.events.length === 0 ? (
          <Empty>No event since this page opened.</Empty>
        ) : (
          <ul className="activity live-events" tabIndex={0} aria-label="Latest events, newest first">
            {liveEvents.events.map((e) => (
              <li key={e.id}>
                #{e.id} <Time iso={e.created_at} /> · {e.entity_type} <code>{e.entity_id}</code> {e.action}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="card" aria-labelledby="sync-list">
        <h3 id="sync-list">Outbox events</h3>
        <form className="filters" aria-label="Filter outbox events" onSubmit={(e) => e.preventDefault()}>
          {select('status', 'Status', STATUSES)}
          {select('target', 'Target', TARGETS)}
          {select('entity_type', 'Entity', TYPES)}
          <button type="button" className="button small" onClick={() => setNonce((n) => n + 1)}>
            Reload
          </button>
        </form>
        {error && <ErrorBox error={error} />}
        {!listed && !error && <Loading />}
        {listed && listed.length === 0 && <Empty>No event matches.</Empty>}
        {listed && listed.length > 0 && (
          <ul className="activity">
            {listed.map((e) => (
              <li key={e.id}>
                #{e.id} <Time iso={e.created_at} rel /> · {e.entity_type} <code>{e.entity_id}</code> {e.action} ·{' '}
                <span className={`badge status-${e.status}`}>{e.status}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="card" aria-labelledby="sync-failed">
        <h3 id="sync-failed">Failed and dead-letter events</h3>
        {!failures && <Loading />}
        {failures && failures.length === 0 && <Empty>None: every target applied every event it was given.</Empty>}
        {failures && failures.length > 0 && (
          <ul className="activity">
            {failures.map((e) => (
              <Failure key={e.id} event={e} />
            ))}
          </ul>
        )}
        {canWrite && (
          <div className="actions">
            <button type="button" className="button small" onClick={() => void retry(false)}>
              Retry failed
            </button>
            <button type="button" className="button small" onClick={() => void retry(true)}>
              Retry failed and dead letters
            </button>
          </div>
        )}
        {message && (
          <p className={message.error ? 'form-error' : 'notice notice-ok'} role={message.error ? 'alert' : 'status'}>
            {message.text}
          </p>
        )}
      </section>
    </div>
  );
}
