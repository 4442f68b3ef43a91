// The LLM spend (admin; GET /api/cost, docs/cost.md): the current day, week
// or month grouped by agent, task, provider or model (both kept in the URL
// query, so a reload or a shared link shows the same), the total and the
// call count, each budget's spend as a bar (warning from 80%, over from
// 100%, in words as well as colour) and whether the hard stop is on.
import { useState } from 'react';
import { navigate, useLocation } from '../../app/router';
import { Empty, Loading } from '../../components/states';
import { Time } from '../../components/Time';
import { useResource } from '../../components/useResource';
import { AdminOnly, ApiErrorBox, formatInt, formatUsd, useIsAdmin } from './common';

const PERIODS = ['day', 'week', 'month'] as const;
const GROUPS = ['agent', 'task', 'provider', 'model'] as const;
type Period = (typeof PERIODS)[number];
type Group = (typeof GROUPS)[number];

interface Row {
  agent?: string;
  task?: string;
  provider?: string;
  model?: string;
  calls: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
}

export interface Budget {
  budget: string;
  scope: string;
  name?: string;
  period: Period;
  period_start?: string;
  limit_usd: number;
  spent_usd: number;
  percent: number;
}

interface Report {
  period: Period;
  from: string;
  to: string;
  by: Group;
  calls: number;
  total_usd: number;
  rows: Row[];
  budgets: Budget[];
  hard_stop: boolean;
}

const GROUP_LABEL: Record<Group, string> = { agent: 'Agent', task: 'Task', provider: 'Provider', model: 'Model' };

function pick<T extends string>(value: string | null, allowed: readonly T[], fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}

// A budget's level: ok below 80%, warn from 80%, over from 100%.
export function budgetLevel(percent: number): 'ok' | 'warn' | 'over' {
  if (percent >= 100) return 'over';
  if (percent >= 80) return 'warn';
  return 'ok';
}

// One decimal; a spend too small to show as 0.1% says so rather than 0%.
export function formatPercent(percent: number): string {
  if (percent > 0 && percent < 0.1) return '< 0.1%';
  return `${Math.round(percent * 10) / 10}%`;
}

const LEVEL_WORD = { ok: '✓ within', warn: '! near the limit', over: '✕ at or over the limit' };

function BudgetBar({ b }: { b: Budget }) {
  const level = budgetLevel(b.percent);
  const shown = Math.round(b.percent * 10) / 10;
  const words = formatPercent(b.percent);
  const label = b.name ? `${b.scope} ${b.name}, per ${b.period}` : `${b.scope}, per ${b.period}`;
  return (
    <li className={`budget budget-${level}`} data-budget={b.budget}>
      <div className="budget-head">
        <strong>{label}</strong>
        <span>
          {formatUsd(b.spent_usd)} of {formatUsd(b.limit_usd)} · <span className="budget-percent">{words}</span>{' '}
          <span className={`badge level-${level}`}>{LEVEL_WORD[level]}</span>
        </span>
      </div>
      <div
        className="bar"
        role="progressbar"
        aria-label={`Budget ${b.budget}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.min(100, Math.max(0, shown))}
        aria-valuetext={`${words} of ${formatUsd(b.limit_usd)} spent`}
      >
        <span className="bar-fill" style={{ width: `${Math.min(100, Math.max(0, b.percent))}%` }} />
      </div>
      {b.period_start && (
        <p className="hint">
          since <Time iso={b.period_start} /> · <code>{b.budget}</code>
        </p>
      )}
    </li>
  );
}

type SortKey = 'group' | 'calls' | 'input_tokens' | 'output_tokens' | 'cost_usd';
const COLUMNS: { key: SortKey; label: string }[] = [
  { key: 'group', label: '' },
  { key: 'calls', label: 'Calls' },
  { key: 'input_tokens', label: 'Input tokens' },
  { key: 'output_tokens', label: 'Output tokens' },
  { key: 'cost_usd', label: 'Cost' },
];

function CostReport({ period, by }: { period: Period; by: Group }) {
  const report = useResource<Report>(`/cost?period=${period}&by=${by}`);
  // null: the server's order (most expensive first).
  const [sort, setSort] = useState<{ key: SortKey; dir: 1 | -1 } | null>(null);
  const toggle = (key: SortKey) =>
    setSort((s) => (s?.key === key ? { key, dir: s.dir === 1 ? -1 : 1 } : { key, dir: key === 'group' ? 1 : -1 }));
  const sorted = (rows: Row[], group: Group) => {
    if (!sort) return rows;
    const value = (r: Row) => (sort.key === 'group' ? (r[group] ?? '') : r[sort.key]);
    return [...rows].sort((a, b) => {
      const x = value(a);
      const y = value(b);
      return (x < y ? -1 : x > y ? 1 : 0) * sort.dir;
    });
  };
  const data = report.data;
  if (report.error) return <ApiErrorBox error={report.error} onRetry={report.reload} />;
  if (!data) return <Loading />;
  return (
    <>
      {report.loading && <Loading label="Updating…" />}
      <dl className="cost-summary" aria-label="Summary">
        <div>
          <dt>Total</dt>
          <dd data-testid="cost-total">{formatUsd(data.total_usd)}</dd>
        </div>
        <div>
          <dt>Calls</dt>
          <dd data-testid="cost-calls">{formatInt(data.calls)}</dd>
        </div>
        <div>
          <dt>Period</dt>
          <dd>
            <Time iso={data.from} /> – <Time iso={data.to} />
          </dd>
        </div>
        <div>
          <dt>Hard stop</dt>
          <dd data-testid="cost-hard-stop">
            {data.hard_stop
              ? 'on: a call that would take a budget past its limit is refused (402)'
              : 'off: budgets only alert'}
          </dd>
        </div>
      </dl>

      <h2>By {by}</h2>
      {data.rows.length === 0 ? (
        <Empty>No LLM calls this {data.period}.</Empty>
      ) : (
        <div className="table-wrap">
          <table aria-label={`Spend by ${by}`}>
            <thead>
              <tr>
                {COLUMNS.map((c) => (
                  <th
                    key={c.key}
                    scope="col"
                    className={c.key === 'group' ? undefined : 'num'}
                    aria-sort={sort?.key === c.key ? (sort.dir === 1 ? 'ascending' : 'descending') : undefined}
                  >
                    <button type="button" className="sort" onClick={() => toggle(c.key)}>
                      {c.key === 'group' ? GROUP_LABEL[data.by] : c.label}
                      <span aria-hidden="true">{sort?.key === c.key ? (sort.dir === 1 ? ' ▲' : ' ▼') : ''}</span>
                    </button>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {sorted(data.rows, data.by).map((r, i) => {
                const key = r[data.by] ?? '';
                return (
                  <tr key={`${key}-${i}`}>
                    <td>{key ? <code>{key}</code> : <span className="hint">(none)</span>}</td>
                    <td className="num">{formatInt(r.calls)}</td>
                    <td className="num">{formatInt(r.input_tokens)}</td>
                    <td className="num">{formatInt(r.output_tokens)}</td>
                    <td className="num">{formatUsd(r.cost_usd)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}

      <h2>Budgets</h2>
      {data.budgets.length === 0 ? (
        <Empty>
          No budgets are configured (<code>cost.budgets</code>, <code>llm.budgets</code>).
        </Empty>
      ) : (
        <ul className="budgets">
          {data.budgets.map((b) => (
            <BudgetBar key={b.budget} b={b} />
          ))}
        </ul>
      )}
    </>
  );
}

export default function Cost() {
  const admin = useIsAdmin();
  const { search } = useLocation();
  const period = pick(search.get('period'), PERIODS, 'day');
  const by = pick(search.get('by'), GROUPS, 'provider');
  if (!admin) return <AdminOnly title="Cost" what="The LLM spend" route="/cost" />;

  const set = (next: { period?: Period; by?: Group }) => {
    const q = new URLSearchParams({ period: next.period ?? period, by: next.by ?? by });
    navigate(`/cost?${q}`, { replace: true });
  };
  return (
    <section>
      <h1>Cost</h1>
      <p className="hint">
        The LLM calls of the current UTC {period}, priced by <code>llm.pricing</code>; the same report as{' '}
        <code>docrunch cost --json</code>.
      </p>
      <form className="filters" aria-label="Cost report" onSubmit={(e) => e.preventDefault()}>
        <label>
          Period
          <select value={period} onChange={(e) => set({ period: e.target.value as Period })}>
            {PERIODS.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <label>
          Group by
          <select value={by} onChange={(e) => set({ by: e.target.value as Group })}>
            {GROUPS.map((g) => (
              <option key={g} value={g}>
                {g}
              </option>
            ))}
          </select>
        </label>
      </form>
      {/* A new grouping starts in the server's order. */}
      <CostReport key={by} period={period} by={by} />
    </section>
  );
}
