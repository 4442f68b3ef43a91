// Every page an admin has, in Chromium, each checked by axe and
// photographed: overview, a task whose agent reports over MCP arrive live,
// modules with their generated page, the audit log, settings (tokens and
// users made through the page), and the data-flow view (health cards, the
// lineage graph laid out by ELK in a worker).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { root } from '../rest_server.mjs';
import { startDashboard, openBrowser, signIn, checkA11y, screenshot } from './browser.mjs';

const sdk = path.join(root, 'third_party/node_modules/@modelcontextprotocol/sdk/dist/esm');
const { Client } = await import(path.join(sdk, 'client/index.js'));
const { StreamableHTTPClientTransport } = await import(path.join(sdk, 'client/streamableHttp.js'));

let dash, browser, page;

before(async () => {
  dash = await startDashboard('docrunch-dash-pages-');
  dash.cli(['task', 'create', '--type', 'feature', '--title', 'Cache parsed invoices', '--priority', 'high',
    '--description', 'Parsing the same invoice twice is slow.']);
  dash.cli(['task', 'create', '--type', 'docs', '--title', 'Document the invoice format', '--depends-on', 'task-1']);
  browser = await openBrowser();
  page = browser.page;
  await signIn(page, dash.origin, 'lead');
});

after(async () => {
  await browser?.close();
  dash?.close();
});

test('the overview counts tasks and shows each backend\'s health', async () => {
  await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
  await page.locator('.counts').waitFor();
  assert.match(await page.locator('.big-number').innerText(), /^2 tasks · 2 modules/);
  const sqlite = page.locator('.health-card', { hasText: 'SQLite' });
  await sqlite.waitFor();
  assert.match(await sqlite.innerText(), /healthy/);
  assert.match(await page.locator('.health-card', { hasText: 'Redis' }).innerText(), /not configured/);
  await page.getByRole('heading', { name: 'Recent activity' }).waitFor();
  await page.locator('.activity li', { hasText: 'rest.login' }).first().waitFor();
  await checkA11y(page, 'overview');
  await screenshot(page, 'overview');
});

test('an agent\'s MCP reports appear on the task page without a reload', async () => {
  await page.goto(`${dash.origin}/tasks/task-1`);
  await page.getByRole('heading', { name: 'Cache parsed invoices', level: 1 }).waitFor();
  await page.getByText('Not claimed.').waitFor();
  await page.getByLabel('Assign to agent').fill('claude-1');
  await page.getByRole('button', { name: 'Assign', exact: true }).click();
  await page.getByText('assigned to @claude-1').waitFor();
  await page.getByRole('link', { name: 'task-2' }).waitFor(); // dependents
  await page.evaluate(() => {
    window.__sameDocument = true;
  });
  const client = new Client({ name: 'docrunch-dashboard-e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(dash.served.mcp)));
  const now = () => new Date().toISOString();
  try {
    const claim = await client.callTool({ name: 'claim_task',
      arguments: { task_id: 'task-1', reported_by: 'claude-1', reported_at: now() } });
    assert.equal(claim.isError, false, claim.content?.[0]?.text);
    await client.callTool({ name: 'log_finding', arguments: { task_id: 'task-1', type: 'bug',
      description: 'parse() re-reads the file on every call', files: ['shop/billing/invoice.py'],
      created_by: 'claude-1', created_at: now() } });
    const decision = await client.callTool({ name: 'record_decision', arguments: { task_id: 'task-1',
      title: 'Cache by content hash', context: 're-parsing is slow', decision: 'an LRU keyed by the hash',
      rationale: 'no new dependency', created_by: 'claude-1', created_at: now() } });
    assert.equal(decision.isError, false, decision.content?.[0]?.text);
    const done = await client.callTool({ name: 'submit_completion', arguments: { task_id: 'task-1',
      summary: 'Parsed invoices are cached per content hash.', changes: ['shop/billing/invoice.py'],
      tests_passed: true, reported_by: 'claude-1', reported_at: now() } });
    assert.equal(done.isError, false, done.content?.[0]?.text);
  } finally {
    await client.close();
  }
  await page.getByText('parse() re-reads the file on every call').waitFor({ timeout: 5000 });
  await page.getByText('Parsed invoices are cached per content hash.').waitFor({ timeout: 5000 });
  await page.locator('.meta-line .badge', { hasText: /^review$/ }).waitFor();
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'the page was reloaded');
  await checkA11y(page, 'task detail');
  await screenshot(page, 'task-detail');

  // The review actions of an admin, on the same page.
  await page.getByLabel('Note, reason or resolution').fill('Looks right');
  await page.getByRole('button', { name: 'Approve' }).click();
  await page.locator('.meta-line .badge', { hasText: /^approved$/ }).waitFor({ timeout: 5000 });
});

test('the knowledge graph ties the decision and the finding to their task and file', async () => {
  await page.getByRole('link', { name: 'Knowledge' }).click();
  const node = (text) => page.locator('.react-flow__node', { hasText: text });
  await node('adr-001: Cache by content hash').waitFor({ timeout: 10000 });
  await node('finding-1 (bug)').waitFor();
  await node('task-1: Cache parsed invoices').waitFor();
  await node('shop/billing/invoice.py').waitFor();
  assert.equal(await page.locator('.react-flow__edge').count(), 3); // decided in, found in, touches
  await page.getByLabel('files').uncheck();
  await page.waitForFunction(() => document.querySelectorAll('.react-flow__node').length === 3);
  await page.getByLabel('files').check();
  const side = page.getByRole('complementary', { name: 'Knowledge details' });
  await side.getByRole('button', { name: 'finding-1 (bug)' }).click();
  await side.getByText('parse() re-reads the file on every call').waitFor();
  await checkA11y(page, 'knowledge graph');
  await screenshot(page, 'knowledge');
});

test('modules list and a module page render the generated Markdown with working links', async () => {
  await page.getByRole('link', { name: 'Modules' }).click();
  await page.getByRole('link', { name: 'shop/billing' }).click();
  await page.getByRole('heading', { name: 'Module shop/billing', level: 1 }).waitFor();
  await page.locator('.markdown h2').first().waitFor();
  assert.match(await page.locator('.markdown').innerText(), /invoice\.py/);
  await page.getByRole('link', { name: 'shop/billing/invoice.py' }).waitFor();
  await checkA11y(page, 'module');
  await screenshot(page, 'module');
  await page.getByRole('link', { name: 'shop/billing/invoice.py' }).click();
  await page.getByText('Parses invoices.').waitFor();
});

test('the audit log lists sign-ins and filters by actor', async () => {
  await page.getByRole('link', { name: 'Audit log' }).click();
  await page.locator('tbody tr').first().waitFor();
  await page.getByLabel('Actor').fill('lead');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('tbody tr td:nth-child(2)')];
    return rows.length > 0 && rows.every((td) => td.textContent === 'lead');
  });
  await checkA11y(page, 'audit');
  await screenshot(page, 'audit');
});

test('settings create and revoke an agent token and create a user', async () => {
  await page.getByRole('link', { name: 'Settings' }).click();
  const tokens = page.getByRole('region', { name: 'Agent tokens' });
  await tokens.getByText('No agent tokens.').waitFor();
  await tokens.getByLabel('Name').fill('ci-agent');
  await tokens.getByRole('button', { name: 'Create token' }).click();
  await tokens.getByText('Token ci-agent created').waitFor();
  assert.match(await tokens.locator('.copy-id code').innerText(), /\S{20,}/);
  assert.match(dash.cli(['token', 'list']), /ci-agent/);

  const users = page.getByRole('region', { name: 'Users' });
  await users.getByLabel('Name').fill('olga');
  await users.getByLabel('Password').fill('olga has a long password');
  await users.getByRole('button', { name: 'Create user' }).click();
  await users.getByRole('cell', { name: 'olga', exact: true }).waitFor();
  await page.getByRole('region', { name: 'LLM providers' }).getByText('No providers yet.').waitFor();
  await page.getByRole('region', { name: 'CLI models' }).locator('[data-cli="gemini"]').waitFor();
  await checkA11y(page, 'settings');
  await screenshot(page, 'settings');

  await tokens.getByRole('button', { name: 'Revoke ci-agent' }).click();
  await tokens.locator('li[data-token="ci-agent"]', { hasText: 'revoked' }).waitFor();
  assert.equal(await tokens.getByRole('button', { name: 'Revoke ci-agent' }).count(), 0);
  assert.match(dash.cli(['token', 'list']), /revoked/);
});

test('the dark theme follows the system, and every page stays accessible in it', async () => {
  await page.emulateMedia({ colorScheme: 'dark' });
  try {
    const background = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    assert.equal(background, 'rgb(18, 21, 27)');
    for (const route of ['/', '/tasks', '/tasks/task-1', '/search?q=invoice', '/modules/shop%2Fbilling',
      '/functions', '/graph', '/knowledge', '/audit', '/settings']) {
      await page.goto(`${dash.origin}${route}`);
      await page.locator('main h1').waitFor();
      await page.locator('.state-loading').first().waitFor({ state: 'detached' });
      await checkA11y(page, `${route} (dark)`);
    }
  } finally {
    await page.emulateMedia({ colorScheme: 'light' });
  }
});

test('the data-flow view shows storage health and the lineage graph', async () => {
  await page.getByRole('link', { name: 'Data flow' }).click();
  await page.locator('.health-card', { hasText: 'Markdown' }).waitFor();
  await page.locator('.react-flow__node').first().waitFor({ timeout: 10000 });
  assert.ok(await page.locator('.react-flow__node').count() >= 10);
  await page.getByText('outbox (sync_events)', { exact: true }).first().waitFor();
  await page.getByLabel('Node', { exact: true }).selectOption({ label: 'sync worker: index' });
  await page.getByRole('heading', { name: 'sync worker: index' }).waitFor();
  await page.locator('.lineage-side .activity li').first().waitFor({ timeout: 5000 });
  await checkA11y(page, 'data flow');
  await screenshot(page, 'lineage', page.getByRole('region', { name: 'Lineage' }));
  assert.deepEqual(browser.problems, []);
});
