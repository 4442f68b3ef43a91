// One card per backend of /api/system/health: status (as a word and a mark,
// not colour alone), latency, record count, last error.
import { HealthBadge } from '../../components/Badges';
import { Loaded } from '../../components/states';
import { Time } from '../../components/Time';
import { useResource } from '../../components/useResource';

export interface Backend {
  name: string;
  status: string;
  latency_ms: number | null;
  records: number | null;
  last_error: string | null;
  detail: string | null;
  checked_at: string;
}

export interface Health {
  status: string;
  backends: Backend[];
}

const LABELS: Record<string, string> = {
  sqlite: 'SQLite',
  postgres: 'PostgreSQL',
  redis: 'Redis',
  lightrag: 'LightRAG',
  temporal: 'Temporal',
  markdown: 'Markdown',
  cli_proxy: 'CLI proxy',
};

export function HealthCards({ headingLevel = 2 }: { headingLevel?: 2 | 3 }) {
  const resource = useResource<Health>('/system/health');
  const H = `h${headingLevel}` as 'h2';
  return (
    <Loaded resource={resource}>
      {(h) => (
        <>
          <p>
            Overall: <HealthBadge status={h.status} />{' '}
            <button type="button" className="button small" onClick={resource.reload}>
              Check again
            </button>
          </p>
          <ul className="health-cards">
            {h.backends.map((b) => (
              <li key={b.name} className={`card health-card health-edge-${b.status}`}>
                <H>{LABELS[b.name] ?? b.name}</H>
                <HealthBadge status={b.status} />
                <dl>
                  <dt>Latency</dt>
                  <dd>{b.latency_ms === null ? '—' : `${b.latency_ms.toFixed(1)} ms`}</dd>
                  <dt>Records</dt>
                  <dd>{b.records === null ? '—' : b.records.toLocaleString()}</dd>
                  <dt>Checked</dt>
                  <dd>
                    <Time iso={b.checked_at} />
                  </dd>
                </dl>
                {b.detail && <p className="small detail-text">{b.detail}</p>}
                {b.last_error && (
                  <p className="form-error">
                    <strong>Last error:</strong> {b.last_error}
                  </p>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
    </Loaded>
  );
}
