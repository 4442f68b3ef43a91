// One workflow run: its steps left to right as React Flow nodes (status,
// attempts, compensation and error in words; the current step marked
// "current", never by colour alone), the signal it waits for, and for admins
// Approve / Reject / Cancel. Reloaded whenever /ws/workflows/{id} says the
// run moved.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { MarkerType, Position, type Edge, type Node } from '@xyflow/react';
import { api, get } from '../../api/client';
import { openStream, type StreamStatus } from '../../api/stream';
import { Link } from '../../app/router';
import { useSession } from '../../app/session';
import { StatusBadge } from '../../components/Badges';
import { CopyId } from '../../components/CopyId';
import { GraphCanvas } from '../../components/GraphCanvas';
import { Empty, ErrorBox, Loading } from '../../components/states';
import { Time, formatTime } from '../../components/Time';
import {
  currentStep,
  deadlineOf,
  isActive,
  isCompensation,
  pendingSignal,
  stepMark,
  type WorkflowDetail,
  type WorkflowStep,
} from './model';

const WIDTH = 220;
const GAP = 60;

function stepSummary(s: WorkflowStep, current: boolean): string {
  const parts = [`${s.seq}. ${s.name}`, s.kind, s.status.replace(/_/g, ' ')];
  if (current) parts.push('current step');
  if (s.kind === 'signal' && s.status === 'running') parts.push(`waiting for signal ${s.name}`);
  parts.push(`${s.attempts} attempt${s.attempts === 1 ? '' : 's'}`);
  if (s.error) parts.push(`error: ${s.error}`);
  return parts.join('; ');
}

function toFlow(run: WorkflowDetail): { nodes: Node[]; edges: Edge[] } {
  const current = currentStep(run);
  const nodes: Node[] = run.steps.map((s, i) => {
    const isCurrent = current?.seq === s.seq;
    const waiting = s.status === 'running' && s.kind !== 'step';
    return {
      id: String(s.seq),
      position: { x: i * (WIDTH + GAP), y: 0 },
      data: {
        label: (
          <div className="lineage-node-label wf-step">
            {isCurrent && <span className="wf-current-mark">▶ current</span>}
            <strong>{s.name}</strong>
            <span className="small">
              {s.kind} · <span aria-hidden="true">{stepMark(s.status)} </span>
              {waiting ? (s.kind === 'signal' ? 'waiting for signal' : 'sleeping') : s.status.replace(/_/g, ' ')}
            </span>
            {isCompensation(s.status) && <span className="small wf-comp">↩ compensation</span>}
            <span className="small">
              {s.attempts} attempt{s.attempts === 1 ? '' : 's'}
              {s.attempts > 1 ? ' (retried)' : ''}
            </span>
            {s.error && <span className="small form-error wf-error">{s.error}</span>}
          </div>
        ),
      },
      sourcePosition: Position.Right,
      targetPosition: Position.Left,
      className: `lineage-node wf-node wf-status-${s.status}${isCurrent ? ' wf-current' : ''}`,
      style: { width: WIDTH },
      ariaLabel: stepSummary(s, isCurrent),
    } satisfies Node;
  });
  const edges: Edge[] = run.steps.slice(1).map((s, i) => ({
    id: `e${s.seq}`,
    source: String(run.steps[i]!.seq),
    target: String(s.seq),
    animated: current?.seq === s.seq,
    markerEnd: { type: MarkerType.ArrowClosed },
  }));
  return { nodes, edges };
}

function Json({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <span>—</span>;
  return <code className="details">{JSON.stringify(value)}</code>;
}

function Actions({ run, onDone }: { run: WorkflowDetail; onDone: () => void }) {
  const { user } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  if (user?.role !== 'admin' || !isActive(run.status)) return null;
  const waiting = pendingSignal(run);
  // A wait may take alternatives ("approve|reject"): Approve sends approve
  // (or the only one), Reject sends reject when the run takes it and
  // otherwise cancels the run.
  const alternatives = waiting ? waiting.name.split('|') : [];
  const approveName = alternatives.includes('approve') ? 'approve' : (alternatives[0] ?? '');
  const rejectName = alternatives.includes('reject') ? 'reject' : null;

  const act = (what: string, path: string, body: unknown, done: string) => {
    setBusy(true);
    setError(null);
    setNotice(null);
    api('POST', `/workflows/${encodeURIComponent(run.id)}/${path}`, body)
      .then(() => {
        setNotice(done);
        onDone();
      })
      .catch((e: unknown) => setError(e instanceof Error ? e : new Error(`${what}: ${String(e)}`)))
      .finally(() => setBusy(false));
  };
  const cancel = (label: string) =>
    act(label, 'cancel', {}, 'Cancellation requested: the run stops at its next step boundary and its completed steps are compensated.');

  return (
    <div className="card wf-actions" role="group" aria-label="Run actions">
      {waiting && (
        <>
          <button
            type="button"
            className="button"
            disabled={busy}
            onClick={() =>
              act('Approve', 'signal', { name: approveName, data: { by: user.name } }, `Signal ${approveName} sent as ${user.name}.`)
            }
          >
            Approve
          </button>
          <button
            type="button"
            className="button"
            disabled={busy}
            title={rejectName ? 'Sends the signal reject' : 'Cancels the run: its completed steps are compensated'}
            onClick={() =>
              rejectName
                ? act('Reject', 'signal', { name: rejectName, data: { by: user.name } }, `Signal ${rejectName} sent as ${user.name}.`)
                : cancel('Reject')
            }
          >
            Reject
          </button>
        </>
      )}
      <button type="button" className="button" disabled={busy} onClick={() => cancel('Cancel')}>
        Cancel run
      </button>
      {waiting && (
        <p className="small">
          Approve sends the signal <code>{approveName}</code> (with <code>{`{"by": "${user.name}"}`}</code>);{' '}
          {rejectName ? (
            <>
              Reject sends <code>{rejectName}</code>, and the workflow undoes its work.
            </>
          ) : (
            <>Reject cancels the run, which compensates its completed steps.</>
          )}
        </p>
      )}
      <div aria-live="polite">{notice && <p className="small">{notice}</p>}</div>
      {error && <ErrorBox error={error} />}
    </div>
  );
}

export default function WorkflowRunPage({ id }: { id: string }) {
  const [run, setRun] = useState<WorkflowDetail | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [live, setLive] = useState<StreamStatus>('connecting');
  const [selected, setSelected] = useState<string | null>(null);
  const seq = useRef(0);

  const load = useCallback(() => {
    const mine = ++seq.current;
    get<WorkflowDetail>(`/workflows/${encodeURIComponent(id)}`)
      .then((r) => {
        if (mine !== seq.current) return;
        setRun(r);
        setError(null);
      })
      .catch((e: unknown) => {
        if (mine === seq.current) setError(e instanceof Error ? e : new Error(String(e)));
      });
  }, [id]);

  useEffect(() => {
    setRun(null);
    load();
    let opened = 0;
    const stop = openStream(`/ws/workflows/${encodeURIComponent(id)}`, {
      onOpen: () => {
        if (opened++ > 0) load();
      },
      onMessage: (m) => {
        if (m.type === 'workflow.changed' || m.type === 'resync') load();
      },
      onStatus: setLive,
    });
    return stop;
  }, [id, load]);

  const flow = useMemo(() => (run ? toFlow(run) : null), [run]);
  if (error && !run) return <ErrorBox error={error} onRetry={load} />;
  if (!run || !flow) return <Loading label="Loading the run…" />;
  const current = currentStep(run);
  const waiting = pendingSignal(run);
  const unconsumed = run.signals.filter((s) => !s.consumed_at);
  const step = run.steps.find((s) => String(s.seq) === selected) ?? null;

  return (
    <section className="wf-run">
      <p className="small">
        <Link to="/workflows">← All runs</Link>
      </p>
      <h1>
        Workflow run <CopyId id={run.id} />
      </h1>
      <dl className="wf-facts">
        <div>
          <dt>Workflow</dt>
          <dd>{run.workflow}</dd>
        </div>
        <div>
          <dt>Status</dt>
          <dd>
            <span data-testid="run-status">
              <StatusBadge status={run.status} />
            </span>
            {run.cancel_requested ? <span className="small"> (cancel requested)</span> : null}
          </dd>
        </div>
        <div>
          <dt>Current step</dt>
          <dd>{current ? `${current.seq}. ${current.name} (${current.kind})` : '—'}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>
            <Time iso={run.created_at} />
          </dd>
        </div>
        <div>
          <dt>Updated</dt>
          <dd>
            <Time iso={run.updated_at} />
          </dd>
        </div>
        <div>
          <dt>Finished</dt>
          <dd>
            <Time iso={run.finished_at} />
          </dd>
        </div>
        {run.wake_at && isActive(run.status) && (
          <div>
            <dt>Wakes</dt>
            <dd>
              <Time iso={run.wake_at} />
            </dd>
          </div>
        )}
        <div>
          <dt>Live</dt>
          <dd className="live">{live === 'live' ? 'Live' : live === 'connecting' ? 'Connecting…' : 'Offline, reconnecting…'}</dd>
        </div>
      </dl>
      {error && <ErrorBox error={error} onRetry={load} />}
      {waiting && (
        <div className="card wf-pending" role="status">
          <strong>Waiting for signal</strong> <code>{waiting.name}</code>
          {deadlineOf(waiting) && <> until {formatTime(deadlineOf(waiting))}</>}
        </div>
      )}
      <Actions run={run} onDone={load} />
      <h2>Steps</h2>
      {run.steps.length === 0 ? (
        <Empty>No steps yet{run.status === 'pending' ? ': the run waits for a worker.' : '.'}</Empty>
      ) : (
        <div className="lineage">
          <GraphCanvas label="Workflow steps" flow={flow} onSelect={setSelected} />
          <aside className="card lineage-side" aria-label="Step details">
            <label htmlFor="wf-step">Step</label>
            <select id="wf-step" value={selected ?? ''} onChange={(e) => setSelected(e.target.value || null)}>
              <option value="">Choose a step…</option>
              {run.steps.map((s) => (
                <option key={s.seq} value={String(s.seq)}>
                  {s.seq}. {s.name}
                </option>
              ))}
            </select>
            {step ? (
              <>
                <h3>
                  {step.seq}. {step.name}
                </h3>
                <p>
                  <StatusBadge status={step.status} /> {step.kind} · {step.attempts} attempt{step.attempts === 1 ? '' : 's'}
                </p>
                <p className="small">
                  Started <Time iso={step.started_at} />, finished <Time iso={step.finished_at} />
                </p>
                {step.error && <p className="form-error">{step.error}</p>}
                <p className="small">
                  Result: <Json value={step.result} />
                </p>
              </>
            ) : (
              <p className="small">Select a step (click it, or choose it above) to see its times and result.</p>
            )}
          </aside>
        </div>
      )}
      <h2>Signals</h2>
      {run.signals.length === 0 ? (
        <Empty>No signals received.</Empty>
      ) : (
        <ul className="activity" aria-label="Signals">
          {run.signals.map((s) => (
            <li key={s.id}>
              <code>{s.name}</code> <Json value={s.data} /> · received <Time iso={s.created_at} /> ·{' '}
              {s.consumed_at ? (
                <>
                  consumed <Time iso={s.consumed_at} />
                </>
              ) : (
                'not consumed yet'
              )}
            </li>
          ))}
        </ul>
      )}
      {unconsumed.length > 0 && <p className="small">{unconsumed.length} signal(s) wait for the next worker run.</p>}
      <h2>Input, result and error</h2>
      <dl className="wf-facts">
        <div>
          <dt>Input</dt>
          <dd>
            <Json value={run.input} />
          </dd>
        </div>
        <div>
          <dt>Result</dt>
          <dd data-testid="run-result">
            <Json value={run.result} />
          </dd>
        </div>
        <div>
          <dt>Error</dt>
          <dd className={run.error ? 'form-error' : undefined}>{run.error ?? '—'}</dd>
        </div>
      </dl>
    </section>
  );
}
