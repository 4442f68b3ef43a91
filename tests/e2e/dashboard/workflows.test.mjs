// The workflow visualizer: a demo run started with the CLI and parked by a
// worker on its approval shows its steps as a graph (draft completed, the
// approval current and pending); Approve sends the signal, and once a worker
// runs again the page shows the run completed with its result, live (the
// /ws/workflows/{id} stream, no reload). Reject cancels a run, and the
// server's refusal of a second cancellation is shown. A reader sees the
// same run without any action.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDashboard, openBrowser, signIn, checkA11y, screenshot } from './browser.mjs';

let dash, browser, page, runId, otherId;

function startDemo(title) {
  const out = dash.cli(['workflows', 'start', 'demo', '--input', JSON.stringify({ title })]);
  const id = out.match(/wf-[0-9a-f]{16}/)?.[0];
  assert.ok(id, `no run id in: ${out}`);
  return id;
}

before(async () => {
  // The steps below are driven by `worker start --once` at chosen moments
  // (a signal shown "not consumed yet", a cancellation "requested"): the
  // server runs no workflows itself.
  dash = await startDashboard('docrunch-dash-workflows-', { sets: ['jobs.run_in_serve=false'] });
  runId = startDemo('Release notes');
  otherId = startDemo('Doomed draft');
  dash.cli(['worker', 'start', '--workflows', '--once']);
  browser = await openBrowser();
  page = browser.page;
  await signIn(page, dash.origin, 'lead');
});

after(async () => {
  await browser?.close();
  dash?.close();
});

const node = (name) => page.locator('.react-flow__node', { hasText: name });

test('the list shows the runs with their status, filterable', async () => {
  await page.getByRole('link', { name: 'Workflows', exact: true }).click();
  const table = page.getByRole('table', { name: 'Workflow runs' });
  await table.getByRole('row', { name: new RegExp(runId) }).waitFor();
  assert.equal(await table.locator('tbody tr').count(), 2);
  assert.equal(await table.getByRole('row', { name: new RegExp(runId) }).getByText('waiting', { exact: true }).count(), 1);
  await checkA11y(page, 'workflows list');
  await page.getByLabel('Status').selectOption('completed');
  await page.getByText('No completed runs.').waitFor();
  await page.getByLabel('Status').selectOption('waiting');
  await table.getByRole('row', { name: new RegExp(otherId) }).waitFor();
});

test('a run parked on its approval: draft completed, the approval current; Approve, a worker, completed live', async () => {
  await page.getByRole('table', { name: 'Workflow runs' }).getByRole('row', { name: new RegExp(runId) }).getByRole('link', { name: 'Open' }).click();
  await page.getByRole('heading', { name: /Workflow run/ }).waitFor();
  assert.equal(new URL(page.url()).pathname, `/workflows/${runId}`);
  await node('draft').filter({ hasText: 'completed' }).waitFor();
  assert.equal(await node('draft').filter({ hasText: 'current' }).count(), 0);
  const approval = node('approve');
  await approval.filter({ hasText: '▶ current' }).waitFor();
  await approval.filter({ hasText: 'waiting for signal' }).waitFor();
  assert.match(await approval.getAttribute('class'), /wf-current/);
  assert.match(await approval.getAttribute('aria-label'), /current step; waiting for signal approve/);
  assert.match(await node('draft').getAttribute('aria-label'), /completed; 1 attempt/);
  await page.getByRole('status').filter({ hasText: 'Waiting for signal' }).getByText('approve').waitFor();
  await page.locator('.live', { hasText: /^Live$/ }).waitFor();
  await screenshot(page, 'workflow');
  await checkA11y(page, 'workflow run (waiting)');
  await page.evaluate(() => {
    window.__sameDocument = true;
  });

  // The step details from the keyboard: the step chooser beside the graph.
  await page.getByLabel('Step', { exact: true }).focus();
  await page.getByLabel('Step', { exact: true }).selectOption({ label: '1. draft' });
  const side = page.getByRole('complementary', { name: 'Step details' });
  await side.getByText('{"draft":"Release notes"}').waitFor();
  // Approve from the keyboard.
  await page.getByRole('button', { name: 'Approve' }).focus();
  await page.keyboard.press('Enter');
  await page.getByText('Signal approve sent as lead.').waitFor();
  await page.getByRole('list', { name: 'Signals' }).getByText('not consumed yet').waitFor();

  const out = dash.cli(['worker', 'start', '--workflows', '--once']);
  console.log(`worker: ${out.trim()}`);
  await page.getByTestId('run-status').getByText('completed', { exact: true }).waitFor({ timeout: 10000 });
  await node('publish').filter({ hasText: 'completed' }).waitFor();
  const result = await page.getByTestId('run-result').textContent();
  assert.deepEqual(JSON.parse(result), { title: 'Release notes', approved_by: 'lead' });
  assert.equal(await page.locator('.wf-current').count(), 0, 'a finished run has no current step');
  assert.equal(await page.getByRole('group', { name: 'Run actions' }).count(), 0, 'a finished run offers no action');
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'the page was reloaded');
  assert.deepEqual(browser.problems, []);
});

test('Reject cancels a waiting run; the server refuses a second cancellation and the page says so', async () => {
  await page.goto(`${dash.origin}/workflows/${otherId}`);
  await node('approve').filter({ hasText: '▶ current' }).waitFor();
  await page.getByRole('button', { name: 'Reject' }).click();
  await page.getByText(/Cancellation requested/).first().waitFor();
  await page.getByText('(cancel requested)').waitFor();
  await page.getByRole('button', { name: 'Cancel run' }).click();
  const refusal = page.getByRole('alert');
  await refusal.waitFor();
  console.log(`refusal: ${(await refusal.textContent()).trim()}`);
  assert.match(await refusal.textContent(), /Error:/);
  dash.cli(['worker', 'start', '--workflows', '--once']);
  await page.getByTestId('run-status').getByText('cancelled', { exact: true }).waitFor({ timeout: 10000 });
  // The completed draft was undone.
  await node('draft').filter({ hasText: 'compensat' }).waitFor();
  assert.match(await node('draft').textContent(), /↩ compensation/);
});

test('a reader sees the run and no action', async () => {
  const reader = await openBrowser();
  try {
    await signIn(reader.page, dash.origin, 'rita');
    await reader.page.getByRole('link', { name: 'Workflows', exact: true }).click();
    await reader.page.getByRole('table', { name: 'Workflow runs' }).getByRole('row', { name: new RegExp(runId) }).waitFor();
    const fresh = startDemo('For the reader');
    dash.cli(['worker', 'start', '--workflows', '--once']);
    await reader.page.goto(`${dash.origin}/workflows/${fresh}`);
    await reader.page.locator('.react-flow__node', { hasText: 'approve' }).filter({ hasText: '▶ current' }).waitFor();
    await reader.page.getByRole('status').filter({ hasText: 'Waiting for signal' }).waitFor();
    for (const name of ['Approve', 'Reject', 'Cancel run'])
      assert.equal(await reader.page.getByRole('button', { name }).count(), 0, `a reader is offered ${name}`);
    assert.equal(await reader.page.getByRole('group', { name: 'Run actions' }).count(), 0);
    await checkA11y(reader.page, 'workflow run (reader)');
    await reader.page.emulateMedia({ colorScheme: 'dark' });
    await checkA11y(reader.page, 'workflow run (reader, dark)');
    assert.deepEqual(reader.problems, []);
  } finally {
    await reader.close();
  }
});

test('an unknown run is an error with its message, not a blank page', async () => {
  await page.goto(`${dash.origin}/workflows/wf-0123456789abcdef`);
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.textContent(), /Error:/);
  await alert.getByRole('button', { name: 'Try again' }).waitFor();
});
