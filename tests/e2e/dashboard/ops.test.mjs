// The Cost and Snapshots pages in Chromium against a real `serve --http`
// (auth on). Cost: empty before any call; a provider's Test pressed in
// Settings and another call through the REST route, both real calls through
// the gateway to the LLM stand-in (Ollama's wire format) priced by
// llm.pricing, then the page's total, call count and rows equal the API's
// report, switching the grouping (kept in the URL) changes the rows, and
// each budget's bar says its percent and level (one within, one near (≥ 80%),
// one over its tiny limit). Snapshots: one taken through the page with a note (the
// button disabled while the server works), a task created by the CLI shows
// as added in the diff against now, a second snapshot compared with the
// first, newest first, an unreadable file listed with its reason, a note
// over 500 bytes refused with the server's 400 shown. A reader
// sees the refusal explained with the server's 403, not a blank page. Served
// again with the hard stop on, Cost says so. axe on both pages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDashboard, openBrowser, signIn, checkA11y, screenshot, PASSWORD, webRoot } from './browser.mjs';
import { serve } from '../rest_server.mjs';
import { startStandIn } from '../llm_standin.mjs';

let dash, browser, page, standin, token, restarted;
const PRICING = 'llm.pricing={"llama3": {"input_per_1k": 1.0, "output_per_1k": 2.0}, "mistral": {"input_per_1k": 3.0, "output_per_1k": 4.0}}';
const BUDGETS = 'cost.budgets=[{"scope": "provider", "name": "local", "period": "day", "limit_usd": 50}, {"scope": "provider", "name": "other", "period": "day", "limit_usd": 0.000001}, {"scope": "overall", "period": "day", "limit_usd": 0.05}]';

before(async () => {
  standin = await startStandIn('unused-key');
  dash = await startDashboard('docrunch-dash-ops-', {
    prepare: (project) => {
      project.run(['provider', 'add', 'local', '--type', 'ollama', '--model', 'llama3', '--base-url', standin.url]);
      project.run(['provider', 'add', 'other', '--type', 'ollama', '--model', 'mistral', '--base-url', standin.url]);
    },
    sets: [PRICING, BUDGETS],
  });
  const r = await dash.api('POST', '/auth/login', { body: { username: 'lead', password: PASSWORD } });
  assert.equal(r.status, 200, r.text);
  token = r.json.data.access_token;
  browser = await openBrowser();
  page = browser.page;
  await signIn(page, dash.origin, 'lead');
});

after(async () => {
  await browser?.close();
  restarted?.server.kill('SIGTERM');
  dash?.close();
  standin?.stop();
});

const nav = () => page.getByRole('navigation', { name: 'Main' });
const report = async (q) => {
  const r = await dash.api('GET', `/cost?${q}`, { token });
  assert.equal(r.status, 200, r.text);
  return r.json.data;
};
const usd = (v) => new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD',
  minimumFractionDigits: 2, maximumFractionDigits: 6 }).format(v);
const firstColumn = () => page.getByRole('table', { name: /^Spend by/ }).locator('tbody tr td:first-child').allInnerTexts();

test('cost: no calls yet is an empty state, with the budgets at zero', async () => {
  await nav().getByRole('link', { name: 'Cost' }).click();
  await page.getByRole('heading', { name: 'Cost', level: 1 }).waitFor();
  await page.getByText('No LLM calls this day.').waitFor();
  assert.equal(await page.getByTestId('cost-calls').innerText(), '0');
  assert.equal(await page.getByTestId('cost-total').innerText(), '$0.00');
  assert.match(await page.getByTestId('cost-hard-stop').innerText(), /^off/);
  assert.equal(await page.getByRole('progressbar').count(), 3);
  assert.equal(await page.getByRole('progressbar', { name: 'Budget provider:local:day' }).getAttribute('aria-valuenow'), '0');
});

test('cost: a provider test call from Settings is priced, grouped and counted against its budget', async () => {
  await nav().getByRole('link', { name: 'Settings' }).click();
  const local = page.getByRole('region', { name: 'LLM providers' }).locator('tr[data-provider="local"]');
  await local.getByRole('button', { name: 'Test local' }).click();
  await local.getByRole('status').getByText(/pong/).waitFor({ timeout: 15_000 });
  const other = await dash.api('POST', '/llm/providers/other/test', { token, body: { prompt: 'say pong twice' } });
  assert.equal(other.status, 200, other.text);

  await nav().getByRole('link', { name: 'Cost' }).click();
  await page.getByRole('table', { name: 'Spend by provider' }).waitFor();
  const expected = await report('period=day&by=provider');
  assert.equal(expected.calls, 2);
  assert.ok(expected.total_usd > 0, 'priced by llm.pricing');
  assert.equal(await page.getByTestId('cost-calls').innerText(), '2');
  assert.equal(await page.getByTestId('cost-total').innerText(), usd(expected.total_usd));
  const rows = await page.getByRole('table', { name: 'Spend by provider' }).locator('tbody tr').evaluateAll((trs) =>
    trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent.trim())));
  assert.deepEqual(rows, expected.rows.map((r) => [r.provider, String(r.calls), r.input_tokens.toLocaleString('en-US'),
    r.output_tokens.toLocaleString('en-US'), usd(r.cost_usd)]));
  assert.deepEqual([...rows.map((r) => r[0])].sort(), ['local', 'other']);

  // Each budget's bar: its percent, its level in words and as its class.
  for (const b of expected.budgets) {
    const item = page.locator(`li[data-budget="${b.budget}"]`);
    const shown = Math.round(b.percent * 10) / 10;
    assert.equal(await item.locator('.budget-percent').innerText(),
      b.percent > 0 && b.percent < 0.1 ? '< 0.1%' : `${shown}%`);
    const bar = item.getByRole('progressbar');
    assert.equal(await bar.getAttribute('aria-valuenow'), String(Math.min(100, shown)));
    const level = b.percent >= 100 ? 'over' : b.percent >= 80 ? 'warn' : 'ok';
    assert.match(await item.getAttribute('class'), new RegExp(`budget-${level}`));
  }
  const local$ = expected.budgets.find((b) => b.budget === 'provider:local:day');
  const other$ = expected.budgets.find((b) => b.budget === 'provider:other:day');
  assert.ok(local$.spent_usd > 0 && local$.percent < 80, JSON.stringify(local$));
  assert.ok(other$.percent >= 100, JSON.stringify(other$));
  await page.locator('li[data-budget="provider:other:day"]').getByText('✕ at or over the limit').waitFor();
  await page.locator('li[data-budget="provider:local:day"]').getByText('✓ within').waitFor();
  // Both calls ($0.045 at the stand-in's word counts) against $0.05 overall: 90%, a warning.
  const overall = expected.budgets.find((b) => b.scope === 'overall');
  assert.ok(overall.percent >= 80 && overall.percent < 100, JSON.stringify(overall));
  const warned = page.locator(`li[data-budget="${overall.budget}"]`);
  await warned.getByText('! near the limit').waitFor();
  assert.match(await warned.getAttribute('class'), /budget-warn/);
  await checkA11y(page, 'cost');
  await screenshot(page, 'dashboard-cost');
  await page.emulateMedia({ colorScheme: 'dark' });
  try {
    await checkA11y(page, 'cost (dark)');
  } finally {
    await page.emulateMedia({ colorScheme: 'light' });
  }
});

test('cost: the table sorts by a column header', async () => {
  const table = page.getByRole('table', { name: 'Spend by provider' });
  const byCost = (await report('period=day&by=provider')).rows;
  assert.deepEqual(await firstColumn(), byCost.map((r) => r.provider), 'the server\'s order: most expensive first');
  await table.getByRole('button', { name: 'Provider' }).click();
  assert.deepEqual(await firstColumn(), ['local', 'other']);
  assert.equal(await table.locator('th', { hasText: 'Provider' }).getAttribute('aria-sort'), 'ascending');
  await table.getByRole('button', { name: 'Input tokens' }).click();
  const desc = [...byCost].sort((a, b) => b.input_tokens - a.input_tokens).map((r) => r.provider);
  assert.deepEqual(await firstColumn(), desc);
  assert.equal(await table.locator('th', { hasText: 'Input tokens' }).getAttribute('aria-sort'), 'descending');
  await table.getByRole('button', { name: 'Input tokens' }).click();
  assert.deepEqual(await firstColumn(), [...desc].reverse());
});

test('cost: switching the grouping and period changes the rows and is kept in the URL', async () => {
  await page.getByLabel('Group by').selectOption('model');
  await page.getByRole('table', { name: 'Spend by model' }).waitFor();
  assert.match(page.url(), /\/cost\?period=day&by=model$/);
  const byModel = await report('period=day&by=model');
  assert.deepEqual(await firstColumn(), byModel.rows.map((r) => r.model));
  assert.deepEqual([...(await firstColumn())].sort(), ['llama3', 'mistral']);

  await page.getByLabel('Period').selectOption('month');
  await page.waitForURL(/\/cost\?period=month&by=model$/);
  await page.reload();
  await page.getByRole('table', { name: 'Spend by model' }).waitFor();
  assert.equal(await page.getByLabel('Period').inputValue(), 'month');
  assert.equal(await page.getByLabel('Group by').inputValue(), 'model');
  assert.equal(await page.getByTestId('cost-calls').innerText(), String((await report('period=month&by=model')).calls));
  await page.getByLabel('Group by').selectOption('agent');
  await page.getByRole('table', { name: 'Spend by agent' }).waitFor();
  const byAgent = await report('period=month&by=agent');
  assert.deepEqual(await firstColumn(), byAgent.rows.map((r) => r.agent || '(none)'));
});

test('snapshots: take one with a note through the page; a task created by the CLI shows in its diff', async () => {
  await nav().getByRole('link', { name: 'Snapshots' }).click();
  await page.getByRole('heading', { name: 'Snapshots', level: 1 }).waitFor();
  await page.getByText('No snapshots yet.').waitFor();
  await page.getByText('docrunch snapshot restore VERSION').waitFor();
  assert.equal(await page.getByRole('button', { name: /restore/i }).count(), 0, 'no restore button');

  // Hold the POST until the page is seen waiting, then let the server take it.
  let release;
  const held = new Promise((r) => (release = r));
  await page.route('**/api/snapshots', async (route) => {
    if (route.request().method() === 'POST') await held;
    await route.continue();
  });
  const form = page.getByRole('form', { name: 'Take a snapshot' });
  await form.getByLabel('Note (optional)').fill('before the invoice work');
  await form.getByRole('button', { name: 'Take snapshot' }).click();
  const busy = form.getByRole('button', { name: 'Taking snapshot…' });
  await busy.waitFor();
  assert.equal(await busy.isDisabled(), true, 'disabled while it runs');
  release();
  await form.getByText('Snapshot 1 taken').waitFor({ timeout: 30_000 });
  await page.unroute('**/api/snapshots');
  assert.equal(await form.getByLabel('Note (optional)').inputValue(), '');
  const row1 = page.locator('tr[data-version="1"]');
  await row1.getByText('before the invoice work').waitFor();
  assert.match(await row1.innerText(), /manual/);
  assert.match(await row1.innerText(), /snapshot-000001\.tar\.zst/);
  const listed = await dash.api('GET', '/snapshots', { token });
  assert.deepEqual(listed.json.data.snapshots.map((s) => [s.version, s.note]), [[1, 'before the invoice work']]);

  // Nothing changed yet.
  await row1.getByRole('button', { name: 'Changes since snapshot 1' }).click();
  await page.getByRole('heading', { name: 'Changes from snapshot 1 to now' }).waitFor();
  const tasks = page.getByRole('region', { name: 'Tasks' });
  await tasks.getByText('No changes.').waitFor();

  dash.cli(['task', 'create', '--type', 'feature', '--title', 'Cache parsed invoices']);
  await page.getByRole('button', { name: 'Refresh' }).click();
  const added = tasks.locator('li[data-change="added"]');
  await added.waitFor();
  assert.match(await added.innerText(), /\+ added task-1/);
  assert.equal(await added.getByRole('link', { name: 'task-1' }).getAttribute('href'), '/tasks/task-1');
  const api = await dash.api('GET', '/snapshots/1/diff', { token });
  const index = page.getByRole('region', { name: 'Search index' });
  assert.match(await index.innerText(), new RegExp(`Documents before\\s+${api.json.data.index.documents_before}`));
  assert.match(await index.innerText(), new RegExp(`Documents after\\s+${api.json.data.index.documents_after}`));
  assert.match(page.url(), /\/snapshots\?diff=1$/);
  await checkA11y(page, 'snapshots (diff)');
  await screenshot(page, 'dashboard-snapshots');
});

test('snapshots: a second one is listed first and compared with the first; unreadable files with their reason', async () => {
  const form = page.getByRole('form', { name: 'Take a snapshot' });
  await form.getByRole('button', { name: 'Take snapshot' }).click();
  await form.getByText('Snapshot 2 taken').waitFor({ timeout: 30_000 });
  await page.locator('tr[data-version="2"]').waitFor();
  const versions = await page.locator('tbody tr[data-version]').evaluateAll((trs) => trs.map((t) => t.dataset.version));
  assert.deepEqual(versions, ['2', '1'], 'newest first');

  await page.getByLabel('Compare against').selectOption('2');
  await page.getByRole('heading', { name: 'Changes from snapshot 1 to snapshot 2' }).waitFor();
  assert.match(page.url(), /\/snapshots\?diff=1&to=2$/);
  const tasks = page.getByRole('region', { name: 'Tasks' });
  await tasks.locator('li[data-change="added"]').getByText('task-1').waitFor();
  await page.locator('tr[data-version="2"]').getByRole('button', { name: 'Changes since snapshot 2' }).click();
  await page.getByRole('heading', { name: 'Changes from snapshot 2 to now' }).waitFor();
  await tasks.getByText('No changes.').waitFor();

  // An unknown version: the server's 404 with its code.
  await page.goto(`${dash.origin}/snapshots?diff=99`);
  await page.getByRole('alert').getByText(/^404 /).waitFor();

  fs.writeFileSync(path.join(dash.project.dir, '.docrunch/snapshots/snapshot-000009.tar.zst'), 'not zstd');
  await page.goto(`${dash.origin}/snapshots`);
  const unreadable = page.getByRole('region', { name: 'Unreadable files' });
  await unreadable.locator('code', { hasText: 'snapshot-000009.tar.zst' }).waitFor();
  const api = await dash.api('GET', '/snapshots', { token });
  assert.equal(api.json.data.unreadable.length, 1);
  assert.match(await unreadable.innerText(), new RegExp(api.json.data.unreadable[0].reason.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  await checkA11y(page, 'snapshots (unreadable)');
});

test('snapshots: a note over 500 bytes is refused with the server\'s 400 and kept; nothing is taken', async () => {
  await page.goto(`${dash.origin}/snapshots`);
  const form = page.getByRole('form', { name: 'Take a snapshot' });
  const note = 'é'.repeat(300);  // 300 characters within the field's limit, 600 bytes
  await form.getByLabel('Note (optional)').fill(note);
  await form.getByRole('button', { name: 'Take snapshot' }).click();
  const refusal = form.getByRole('alert');
  await refusal.waitFor();
  assert.match(await refusal.innerText(), /^400 INVALID_REQUEST: body\.note: /);
  assert.equal(await form.getByLabel('Note (optional)').inputValue(), note, 'kept to edit');
  assert.equal(await form.getByRole('button', { name: 'Take snapshot' }).isDisabled(), false);
  const listed = await dash.api('GET', '/snapshots', { token });
  assert.deepEqual(listed.json.data.snapshots.map((s) => s.version), [1, 2]);
});

test('a reader sees neither page in the navigation, and the refusal explained when opening them', async () => {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signIn(page, dash.origin, 'rita');
  assert.equal(await nav().getByRole('link', { name: 'Cost' }).count(), 0);
  assert.equal(await nav().getByRole('link', { name: 'Snapshots' }).count(), 0);
  for (const [route, title] of [['/cost', 'Cost'], ['/snapshots', 'Snapshots']]) {
    await page.goto(`${dash.origin}${route}`);
    await page.getByRole('heading', { name: title, level: 1 }).waitFor();
    await page.getByRole('note').getByText(/is for admins/).waitFor();
    assert.match(await page.getByRole('note').innerText(), /signed in as rita with the role reader/);
    const refusal = page.getByRole('alert');
    await refusal.getByText('403 FORBIDDEN:').waitFor();
    assert.equal(await page.getByRole('form', { name: 'Take a snapshot' }).count(), 0);
    await checkA11y(page, `${title} as a reader`);
  }
  assert.deepEqual(browser.problems, []);
});

test('cost: with the hard stop on, the page says so', async () => {
  await page.getByRole('button', { name: 'Sign out' }).click();
  dash.served.server.kill('SIGTERM');
  await new Promise((r) => dash.served.server.once('exit', r));
  restarted = await serve(dash.project, [`server.http.web_root=${webRoot}`, 'server.http.auth.enabled=true',
    PRICING, BUDGETS, 'cost.hard_stop=true']);
  const origin = restarted.api.replace(/\/api$/, '');
  await signIn(page, origin, 'lead');
  await page.goto(`${origin}/cost`);
  await page.getByRole('table', { name: 'Spend by provider' }).waitFor();
  assert.match(await page.getByTestId('cost-hard-stop').innerText(), /^on: a call that would take a budget past its limit is refused \(402\)/);
  assert.equal(await page.getByTestId('cost-calls').innerText(), '2', 'the same ledger');
});
