// The data-flow views while the sync worker is stopped: changes pile up in
// the outbox, the lineage shows the workers behind with their lag and the
// event stream shows the new events live; once a worker runs again the
// backlog drains and the lineage returns to healthy, without a reload.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDashboard, openBrowser, signIn, checkA11y, screenshot, PASSWORD } from './browser.mjs';

let dash, browser, page, token;

before(async () => {
  // No worker inside serve: the outbox is applied only by `worker start`.
  dash = await startDashboard('docrunch-dash-dataflow-', { sets: ['storage.sync.enabled=false'] });
  const login = await dash.api('POST', '/auth/login', { body: { username: 'lead', password: PASSWORD } });
  token = login.json.data.access_token;
  browser = await openBrowser();
  page = browser.page;
  await signIn(page, dash.origin, 'lead');
});

after(async () => {
  await browser?.close();
  dash?.close();
});

const worker = () => page.locator('.react-flow__node', { hasText: 'sync worker: index' });

test('with the worker stopped, the lineage shows the backlog and its lag live', async () => {
  await page.getByRole('link', { name: 'Data flow' }).click();
  await worker().filter({ hasText: 'healthy' }).waitFor({ timeout: 10000 });
  await page.locator('.sync-events .live', { hasText: /^Live/ }).waitFor();
  await page.evaluate(() => {
    window.__sameDocument = true;
  });
  for (const title of ['First of the backlog', 'Second of the backlog', 'Third of the backlog']) {
    const r = await dash.api('POST', '/tasks', { token, body: { type: 'feature', title } });
    assert.equal(r.status, 201, r.text);
  }
  await worker().filter({ hasText: 'degraded' }).waitFor({ timeout: 5000 });
  await page.locator('.react-flow__edge-text', { hasText: /lag \d/ }).first().waitFor({ timeout: 5000 });
  assert.ok(await page.locator('.react-flow__edge.animated').count() >= 2, 'no edge shows work in flight');
  await page.getByLabel('Node', { exact: true }).selectOption({ label: 'sync worker: index' });
  const side = page.getByRole('complementary', { name: 'Node details' });
  await side.getByText(/pending 3/).waitFor();
  // The stream showed the three events as they were written.
  const live = page.getByRole('list', { name: 'Latest events, newest first' });
  await live.locator('li', { hasText: 'task' }).nth(2).waitFor({ timeout: 5000 });
  assert.equal(await live.locator('li').count(), 3);
  await screenshot(page, 'lineage-lag', page.getByRole('region', { name: 'Lineage' }));
  await checkA11y(page, 'data flow (backlog)');
});

test('running the worker drains the backlog and the lineage turns healthy again', async () => {
  const out = dash.cli(['--set', 'storage.sync.enabled=true', 'worker', 'start', '--queue', 'sync', '--once']);
  assert.match(out, /applied \d+/);
  await worker().filter({ hasText: 'healthy' }).waitFor({ timeout: 8000 });
  // The events the workers applied travelled their edges (counted for 5 s).
  await page.locator('.flow-recent', { hasText: /↦ \d+ processed in 5 s/ }).first().waitFor({ timeout: 3000 });
  const side = page.getByRole('complementary', { name: 'Node details' });
  await side.getByText(/ok \d+/).waitFor();
  assert.equal(await page.locator('.react-flow__edge.animated').count(), 0);
  assert.equal(await side.getByText(/pending/).count(), 0);
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'the page was reloaded');
  await page.getByRole('button', { name: 'Retry failed', exact: true }).click();
  await page.getByText('0 entries scheduled again.').waitFor();
  await page.getByRole('button', { name: 'Pause' }).click();
  await dash.api('POST', '/tasks', { token, body: { type: 'feature', title: 'While paused' } });
  await page.locator('.sync-events .live', { hasText: 'paused, 1 new' }).waitFor({ timeout: 5000 });
  assert.equal(await page.getByRole('list', { name: 'Latest events, newest first' }).locator('li').count(), 3);
  assert.deepEqual(browser.problems, []);
});

test('a burst of outbox events keeps the page drawing (events are counted, not each drawn)', async () => {
  await page.getByRole('button', { name: 'Resume' }).click();
  await page.evaluate(() => {
    window.__frames = [];
    const tick = (t) => {
      window.__frames.push(t);
      if (window.__frames.length < 100000) window.__raf = requestAnimationFrame(tick);
    };
    window.__raf = requestAnimationFrame(tick);
  });
  const started = Date.now();
  const EVENTS = 1000;
  let next = 0;
  const send = async () => {
    while (next < EVENTS) {
      next++;
      const r = await dash.api('POST', '/tasks', { token, body: { type: 'docs', title: `Burst ${next}` } });
      assert.equal(r.status, 201);
    }
  };
  await Promise.all(Array.from({ length: 8 }, send));
  const seconds = (Date.now() - started) / 1000;
  await page.locator('.sync-events .live', { hasText: /[1-9][\d.]* events\/s/ }).waitFor({ timeout: 5000 });
  const { frames, worst } = await page.evaluate(() => {
    cancelAnimationFrame(window.__raf);
    const f = window.__frames;
    let w = 0;
    for (let i = 1; i < f.length; i++) w = Math.max(w, f[i] - f[i - 1]);
    return { frames: f.length, worst: w };
  });
  const shown = await page.getByRole('list', { name: 'Latest events, newest first' }).locator('li').count();
  console.log(`sync events: ${EVENTS} events in ${seconds.toFixed(1)} s (${Math.round(EVENTS / seconds)}/s); ` +
    `${frames} frames drawn, longest frame gap ${Math.round(worst)} ms; ${shown} events on the page`);
  assert.equal(shown, 50, 'the live list keeps only the newest 50');
  // Headless Chromium on a shared CI machine: a generous bound on the worst gap.
  assert.ok(worst < 500, `the page stalled ${worst} ms`);
  assert.deepEqual(browser.problems, []);
});
