// Data flow: storage health cards and the lineage graph (React Flow, loaded
// only when this page opens).
import { lazy, Suspense } from 'react';
import { Loading } from '../../components/states';
import { HealthCards } from './HealthCards';
import { SyncEvents } from './SyncEvents';

const Lineage = lazy(() => import('./Lineage'));

export default function System() {
  return (
    <section>
      <h1>Data flow</h1>
      <section aria-labelledby="sys-health">
        <h2 id="sys-health">Storage health</h2>
        <HealthCards headingLevel={3} />
      </section>
      <section aria-labelledby="sys-lineage">
        <h2 id="sys-lineage">Lineage</h2>
        <p className="small">
          Source tables → outbox (<code>sync_events</code>) → sync workers → derived stores → MCP → agents, live
          over <code>/ws/system/lineage</code>.
        </p>
        <Suspense fallback={<Loading label="Loading the lineage view…" />}>
          <Lineage />
        </Suspense>
      </section>
      <section aria-labelledby="sys-events">
        <h2 id="sys-events">Sync events</h2>
        <SyncEvents />
      </section>
    </section>
  );
}
