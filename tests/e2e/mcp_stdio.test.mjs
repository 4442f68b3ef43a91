// End to end: the official MCP TypeScript SDK client drives `docrunch serve
// --stdio` over real stdio against a freshly scanned fixture repository: a
// whole agent session, the reader role, token mismatch, the rate limit and
// the audit trail. With DOCRUNCH_E2E_BACKEND=postgres the same session runs
// on a fresh PostgreSQL database of the server at DOCRUNCH_TEST_POSTGRES_URL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const sdk = path.join(root, 'third_party/node_modules/@modelcontextprotocol/sdk/dist/esm');
const { Client } = await import(path.join(sdk, 'client/index.js'));
const { StdioClientTransport } = await import(path.join(sdk, 'client/stdio.js'));
const { ResourceUpdatedNotificationSchema } = await import(path.join(sdk, 'types.js'));

const bin = process.env.DOCRUNCH_BIN ?? path.join(root, 'build/docrunch');
const postgres = process.env.DOCRUNCH_E2E_BACKEND === 'postgres';
const adminUrl = process.env.DOCRUNCH_TEST_POSTGRES_URL;
let dir, database;
const clients = [];

function docrunch(args, env = {}) {
  return execFileSync(bin, args, { cwd: dir, env: { ...process.env, ...env }, encoding: 'utf8' });
}

async function connect({ token, set = [] } = {}) {
  const env = { ...process.env };
  delete env.DOCRUNCH_AGENT_TOKEN;
  if (token) env.DOCRUNCH_AGENT_TOKEN = token;
  const transport = new StdioClientTransport({
    command: bin,
    args: [...set.flatMap((s) => ['--set', s]), 'serve', '--stdio'],
    cwd: dir,
    env,
    stderr: 'pipe',
  });
  const client = new Client({ name: 'docrunch-e2e', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return client;
}

const now = () => new Date().toISOString();
const errorOf = (result) => result._meta?.['docrunch/error'] ?? {};

// Every docrunch started here (CLI and servers) inherits process.env, so
// the storage overlay reaches them all.
function usePostgres() {
  database = `mcp_e2e_${crypto.randomBytes(6).toString('hex')}`;
  execFileSync('psql', [adminUrl, '-qc', `CREATE DATABASE ${database}`]);
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  process.env.DOCRUNCH_E2E_PG_URL = url.toString();
  process.env.DOCRUNCH_STORAGE__BACKEND = 'postgres';
  process.env.DOCRUNCH_STORAGE__POSTGRES_URL_ENV = 'DOCRUNCH_E2E_PG_URL';
}

function auditRows() {
  const sql = "SELECT action || ' ' || coalesce(target, '') || ' ' || outcome FROM audit_log";
  if (postgres) {
    return execFileSync('psql', [process.env.DOCRUNCH_E2E_PG_URL, '-Atc', sql], { encoding: 'utf8' });
  }
  return execFileSync('sqlite3', ['.docrunch/docrunch.db', sql], { cwd: dir, encoding: 'utf8' });
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docrunch-mcp-e2e-'));
  if (postgres) usePostgres();
  fs.mkdirSync(path.join(dir, 'shop/billing'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'shop/billing/invoice.py'),
    'class InvoiceParser:\n    """Parses invoices."""\n    def parse(self, text):\n        return text.split()\n');
  fs.writeFileSync(path.join(dir, 'shop/billing/totals.py'),
    'from shop.billing.invoice import InvoiceParser\n\ndef total(text):\n    return len(InvoiceParser().parse(text))\n');
  fs.writeFileSync(path.join(dir, 'shop/__init__.py'), '');
  fs.writeFileSync(path.join(dir, 'shop/billing/__init__.py'), '');
  fs.mkdirSync(path.join(dir, 'shop/legacy'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'shop/legacy/__init__.py'),
    "import warnings\nwarnings.warn('shop.legacy is deprecated', DeprecationWarning)\n");
  fs.writeFileSync(path.join(dir, 'shop/legacy/zebra.py'), 'def zebra_stripes():\n    return 1\n');
  docrunch(['init', '.']);
  if (postgres) docrunch(['db', 'migrate']);
  docrunch(['scan', '--quiet']);
  docrunch(['task', 'create', '--type', 'feature', '--title', 'Cache parsed invoices',
    '--description', 'InvoiceParser re-parses the same invoice; cache it.']);
  docrunch(['task', 'create', '--type', 'feature', '--title', 'Second task']);
});

after(async () => {
  for (const c of clients) await c.close().catch(() => {});
  fs.rmSync(dir, { recursive: true, force: true });
  if (database) execFileSync('psql', [adminUrl, '-qc', `DROP DATABASE ${database} WITH (FORCE)`]);
});

test('a whole agent session over stdio', async () => {
  const client = await connect();
  assert.equal(client.getServerVersion().name, 'docrunch');
  const tools = (await client.listTools()).tools.map((t) => t.name).sort();
  for (const name of ['search_docs', 'get_component', 'get_relations', 'get_impact', 'get_task',
    'get_available_tasks', 'list_tasks', 'claim_task', 'update_progress', 'submit_completion',
    'log_finding', 'record_decision', 'report_blocker']) {
    assert.ok(tools.includes(name), `tools/list lacks ${name}`);
  }
  assert.ok(!tools.includes('review_task'), 'a local agent sees no admin tool');
  const claimTool = (await client.listTools()).tools.find((t) => t.name === 'claim_task');
  assert.equal(claimTool.annotations.readOnlyHint, false);
  assert.ok(claimTool.outputSchema);

  // The SDK validates every structuredContent against the tool's outputSchema.
  const available = await client.callTool({ name: 'get_available_tasks', arguments: {} });
  assert.equal(available.isError, false);
  assert.deepEqual(available.structuredContent.tasks.map((t) => t.id), ['task-1', 'task-2']);

  const task = await client.callTool({ name: 'get_task', arguments: { task_id: 'task-1' } });
  assert.equal(task.structuredContent.task.title, 'Cache parsed invoices');
  // The task, then its context packed into the default budget (bytes/4).
  const ctx = task.structuredContent.context;
  assert.equal(ctx.max_tokens, 2000);
  assert.ok(ctx.used_tokens <= 2000 && ctx.used_tokens === Math.ceil(Buffer.byteLength(task.content[0].text) / 4));
  assert.match(task.content[0].text, /^task-1: Cache parsed invoices\n/);
  assert.equal(ctx.items[0].path, 'shop/billing/invoice.py', JSON.stringify(ctx.items));
  assert.ok(ctx.items.some((i) => i.kind === 'class' && i.name === 'InvoiceParser' &&
    i.signature === 'class InvoiceParser:' && i.summary === 'Parses invoices.'), JSON.stringify(ctx.items));
  for (const max_tokens of [20, 60, 150]) {
    const small = await client.callTool({ name: 'get_task', arguments: { task_id: 'task-1', max_tokens } });
    assert.equal(small.isError, false, small.content[0].text);
    assert.ok(Buffer.byteLength(small.content[0].text) <= 4 * max_tokens, `${max_tokens}: ${small.content[0].text}`);
    assert.match(small.content[0].text, /^task-1: /);
  }
  for (const max_tokens of [0, -1, 1e9, 2.5, '100']) {
    const bad = await client.callTool({ name: 'get_task', arguments: { task_id: 'task-1', max_tokens } });
    assert.equal(errorOf(bad).code, 'MCP_INVALID_PARAMS', JSON.stringify(bad));
    assert.match(errorOf(bad).message, /max_tokens/);
  }

  await client.subscribeResource({ uri: 'docs://tasks/task-1' });
  await assert.rejects(client.subscribeResource({ uri: 'docs://tasks/../../x' }), /-32602/);
  const updated = new Promise((resolve) =>
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => resolve(n.params.uri)));

  const claim = await client.callTool({ name: 'claim_task',
    arguments: { task_id: 'task-1', reported_by: 'claude-1', reported_at: now() } });
  assert.equal(claim.isError, false, claim.content[0].text);
  assert.equal(claim.structuredContent.task.assigned_to, 'claude-1');
  assert.equal(await updated, 'docs://tasks/task-1');

  const progress = await client.callTool({ name: 'update_progress', arguments: {
    task_id: 'task-1', percentage: 40, status: 'adding the cache', reported_by: 'claude-1',
    reported_at: now() } });
  assert.equal(progress.structuredContent.task.progress, 40);

  const finding = await client.callTool({ name: 'log_finding', arguments: {
    task_id: 'task-1', type: 'bug', description: 'total() ignores empty lines',
    files: ['shop/billing/totals.py'], created_by: 'claude-1', created_at: now() } });
  assert.match(finding.structuredContent.finding.id, /^finding-\d+$/);

  const decision = await client.callTool({ name: 'record_decision', arguments: {
    task_id: 'task-1', title: 'LRU cache for invoices', context: 're-parsing is slow',
    decision: 'functools.lru_cache on parse', rationale: 'no new dependency',
    created_by: 'claude-1', created_at: now() } });
  assert.match(decision.structuredContent.decision.id, /^adr-\d+$/);

  const search = await client.callTool({ name: 'search_docs', arguments: { query: 'InvoiceParser' } });
  // Hits grouped by file; the class explains the match, so its method is
  // folded into it (also) and its module is dropped: one hit, not three.
  const invoice = search.structuredContent.groups.find((g) => g.path === 'shop/billing/invoice.py');
  assert.ok(invoice, JSON.stringify(search.structuredContent));
  assert.equal(invoice.hits.length, 1, JSON.stringify(invoice));
  const [cls] = invoice.hits;
  assert.deepEqual([cls.kind, cls.name, cls.line, cls.signature, cls.summary],
    ['class', 'InvoiceParser', 1, 'class InvoiceParser:', 'Parses invoices.']);
  assert.deepEqual(cls.matched.name, ['invoice', 'parser', 'invoiceparser']);
  assert.deepEqual(cls.also, ['InvoiceParser.parse:3']);
  assert.ok(search.structuredContent.merged >= 2);
  // Matched as the index matches, stemmed: "Parses invoices." says "invoice".
  assert.match(search.content[0].text, /shop\/billing\/invoice\.py \[path: invoice\]\n\d+\. class InvoiceParser :1 \[name: invoice parser invoiceparser; docstring: invoice\]\n {3}class InvoiceParser:\n {3}Parses invoices\.\n {3}also: InvoiceParser\.parse:3\n/);
  const none = await client.callTool({ name: 'search_docs', arguments: { query: 'zzzqqq' } });
  assert.deepEqual([none.structuredContent.hits, none.structuredContent.groups], [0, []]);
  const component = await client.callTool({ name: 'get_component', arguments: { name: 'InvoiceParser' } });
  assert.equal(component.structuredContent.symbols[0].file_path, 'shop/billing/invoice.py');
  assert.equal(component.structuredContent.symbols[0].deprecated, false);
  // A package whose __init__.py warns DeprecationWarning: its code is deprecated.
  const zebra = await client.callTool({ name: 'get_component', arguments: { name: 'zebra_stripes' } });
  assert.equal(zebra.structuredContent.symbols[0].deprecated, true);
  assert.match(zebra.content[0].text, /function zebra_stripes {2}shop\/legacy\/zebra\.py:1 {2}\(deprecated\)/);
  const striped = await client.callTool({ name: 'search_docs', arguments: { query: 'zebra stripes' } });
  const legacy = striped.structuredContent.groups.find((g) => g.path === 'shop/legacy/zebra.py');
  assert.ok(legacy, JSON.stringify(striped.structuredContent));
  assert.equal(legacy.hits[0].deprecated, true);
  assert.match(striped.content[0].text, /zebra_stripes :1 \(deprecated\)/);
  const relations = await client.callTool({ name: 'get_relations', arguments: { path: 'shop/billing/totals.py' } });
  assert.ok(relations.structuredContent.dependencies.some((e) => e.node.startsWith('shop/billing/invoice.py')));
  const impact = await client.callTool({ name: 'get_impact', arguments: { path_or_symbol: 'shop/billing/invoice.py' } });
  assert.ok(impact.structuredContent.files.includes('shop/billing/totals.py'));

  const done = await client.callTool({ name: 'submit_completion', arguments: {
    task_id: 'task-1', summary: 'Cached parsed invoices', changes: ['shop/billing/invoice.py'],
    tests_passed: true, reported_by: 'claude-1', reported_at: now() } });
  assert.equal(done.isError, false, done.content[0].text);
  assert.ok(['review', 'approved'].includes(done.structuredContent.task.status));

  const resources = (await client.listResources()).resources.map((r) => r.uri);
  assert.ok(resources.includes('docs://architecture') && resources.includes('docs://decisions'));
  const templates = (await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate);
  assert.ok(templates.includes('docs://modules/{name}') && templates.includes('docs://tasks/{id}'));
  const page = await client.readResource({ uri: 'docs://tasks/task-1' });
  assert.match(page.contents[0].text, /Cache parsed invoices/);
  const decisions = await client.readResource({ uri: 'docs://decisions' });
  assert.match(decisions.contents[0].text, /LRU cache for invoices/);
  const arch = await client.readResource({ uri: 'docs://architecture' });
  assert.ok(arch.contents[0].text.length > 0);
  const module = await client.readResource({ uri: 'docs://modules/shop/billing' });
  assert.match(module.contents[0].text, /invoice/);
  for (const uri of resources) {
    const r = await client.readResource({ uri });
    assert.ok(r.contents[0].text.length > 0, uri);
  }
  const functions = await client.readResource({ uri: 'docs://functions/shop/billing' });
  assert.match(functions.contents[0].text, /parse/);

  const prompts = (await client.listPrompts()).prompts.map((p) => p.name);
  assert.deepEqual(prompts.sort(), ['explain_component', 'review_completion', 'start_task']);
  const start = await client.getPrompt({ name: 'start_task', arguments: { task_id: 'task-2' } });
  assert.match(start.messages[0].content.text, /Second task/);
  assert.match(start.messages[0].content.text, /claim_task first/);
  const tiny = await client.getPrompt({ name: 'start_task', arguments: { task_id: 'task-1', max_tokens: '30' } });
  assert.ok(Buffer.byteLength(tiny.messages[0].content.text) <= 120, tiny.messages[0].content.text);
  assert.match(tiny.messages[0].content.text, /^task-1: Cache parsed invoices/);
  await assert.rejects(client.getPrompt({ name: 'start_task', arguments: { task_id: 'task-1', max_tokens: '0' } }),
    /-32602.*max_tokens/);
  const completion = await client.complete({ ref: { type: 'ref/prompt', name: 'start_task' },
    argument: { name: 'task_id', value: 'task-' } });
  assert.deepEqual(completion.completion.values.sort(), ['task-1', 'task-2']);
  const modules = await client.complete({ ref: { type: 'ref/resource', uri: 'docs://modules/{name}' },
    argument: { name: 'name', value: 'shop/b' } });
  assert.deepEqual(modules.completion.values, ['shop/billing']);
  const names = await client.complete({ ref: { type: 'ref/prompt', name: 'explain_component' },
    argument: { name: 'name', value: 'Invoice' } });
  assert.deepEqual(names.completion.values, ['InvoiceParser']);
  const explain = await client.getPrompt({ name: 'explain_component', arguments: { name: 'InvoiceParser' } });
  assert.match(explain.messages[0].content.text, /shop\/billing\/invoice\.py/);
  await client.setLoggingLevel('debug');
  assert.deepEqual(await client.ping(), {});
});

test('error paths carry a code and name the field', async () => {
  const client = await connect();
  const percent = await client.callTool({ name: 'update_progress', arguments: {
    task_id: 'task-2', percentage: 150, status: 'x', reported_by: 'claude-1', reported_at: now() } });
  assert.equal(percent.isError, true);
  assert.equal(errorOf(percent).code, 'MCP_INVALID_PARAMS');
  assert.match(errorOf(percent).message, /percentage/);
  const missing = await client.callTool({ name: 'get_task', arguments: { task_id: 'task-999' } });
  assert.equal(errorOf(missing).code, 'STORAGE_NOT_FOUND');
  const badId = await client.callTool({ name: 'get_task', arguments: {} });
  assert.match(errorOf(badId).message, /task_id: required/);
  await client.callTool({ name: 'claim_task',
    arguments: { task_id: 'task-2', reported_by: 'gemini-1', reported_at: now() } });
  const twice = await client.callTool({ name: 'claim_task',
    arguments: { task_id: 'task-2', reported_by: 'codex-1', reported_at: now() } });
  assert.equal(errorOf(twice).code, 'TASK_ALREADY_CLAIMED');
  const blocker = await client.callTool({ name: 'report_blocker', arguments: { task_id: 'task-2',
    description: 'no sample invoices', needs: 'a folder of real invoices', reported_by: 'gemini-1',
    reported_at: now() } });
  assert.equal(blocker.isError, false, blocker.content[0].text);
  assert.match(JSON.stringify(blocker.structuredContent.blocker), /a folder of real invoices/);
  await assert.rejects(client.readResource({ uri: 'docs://nothing' }), /not found/i);
  await assert.rejects(client.request({ method: 'no/such' , params: {} },
    (await import(path.join(sdk, 'types.js'))).EmptyResultSchema), /-32601|not found/i);
});

test('roles: a reader sees no write tool, an admin reviews, a token cannot report as another', async () => {
  const readerToken = docrunch(['token', 'create', '--name', 'reader-1', '--role', 'reader']).trim();
  const adminToken = docrunch(['token', 'create', '--name', 'boss', '--role', 'admin']).trim();
  const agentToken = docrunch(['token', 'create', '--name', 'agent-7', '--role', 'agent']).trim();
  assert.match(readerToken, /^drt_[0-9a-f]{64}$/);
  assert.doesNotMatch(docrunch(['token', 'list']), /drt_/);

  const reader = await connect({ token: readerToken });
  const names = (await reader.listTools()).tools.map((t) => t.name);
  assert.ok(names.includes('search_docs'));
  assert.ok(!names.includes('claim_task') && !names.includes('create_task'));
  assert.ok(!names.includes('create_snapshot') && !names.includes('list_snapshots'));
  const denied = await reader.callTool({ name: 'claim_task',
    arguments: { task_id: 'task-2', reported_by: 'reader-1', reported_at: now() } });
  assert.equal(errorOf(denied).code, 'MCP_UNAUTHORIZED');

  const agent = await connect({ token: agentToken });
  const created = await agent.callTool({ name: 'log_finding', arguments: { task_id: 'task-1',
    type: 'question', description: 'x', created_by: 'someone-else', created_at: now() } });
  assert.equal(errorOf(created).code, 'MCP_UNAUTHORIZED');
  assert.match(errorOf(created).message, /created_by.*agent-7/);

  const admin = await connect({ token: adminToken });
  const review = await admin.callTool({ name: 'review_task', arguments: {
    task_id: 'task-1', decision: 'approve', note: 'looks good', reviewed_by: 'boss' } });
  const status = review.isError ? errorOf(review).code : review.structuredContent.task.status;
  // task-1 may have been auto-approved by its review rules; both end approved.
  assert.ok(['approved', 'TASK_INVALID_TRANSITION'].includes(status), JSON.stringify(review));
  const create = await admin.callTool({ name: 'create_task', arguments: {
    type: 'bug_fix', title: 'Empty lines in totals', created_by: 'boss' } });
  assert.equal(create.structuredContent.task.id, 'task-3');
  const assigned = await admin.callTool({ name: 'assign_task', arguments: {
    task_id: 'task-3', agent: 'agent-9', assigned_by: 'boss' } });
  assert.equal(assigned.isError, false, assigned.content[0].text);
  // Snapshot tools: take one, see what changed since, refuse a malformed version.
  assert.deepEqual((await admin.callTool({ name: 'list_snapshots', arguments: {} }))
    .structuredContent.snapshots, []);
  const snapshot = await admin.callTool({ name: 'create_snapshot',
    arguments: { note: 'before the totals fix' } });
  assert.equal(snapshot.isError, false, snapshot.content[0].text);
  assert.equal(snapshot.structuredContent.snapshot.version, 1);
  assert.equal(snapshot.structuredContent.snapshot.note, 'before the totals fix');
  assert.match(snapshot.content[0].text, /Took snapshot 1 \(manual/);
  assert.ok(!JSON.stringify(snapshot.structuredContent).includes(fs.realpathSync(dir)),
    'no server path in the answer');
  await admin.callTool({ name: 'create_task', arguments: {
    type: 'docs', title: 'Explain the totals', created_by: 'boss' } });
  const since = await admin.callTool({ name: 'diff_snapshot', arguments: { version: '1' } });
  assert.equal(since.isError, false, since.content[0].text);
  assert.deepEqual(since.structuredContent.diff.tasks.map((c) => [c.change, c.id]),
    [['added', 'task-4']]);
  const malformed = await admin.callTool({ name: 'diff_snapshot', arguments: { version: 'x' } });
  assert.match(errorOf(malformed).code, /INVALID_PARAMS/);
  assert.match(errorOf(malformed).message, /version/);
  const badTo = await admin.callTool({ name: 'diff_snapshot', arguments: { version: '1', to: 'y' } });
  assert.match(errorOf(badTo).code, /INVALID_PARAMS/);
  assert.match(errorOf(badTo).message, /^to: /, 'the field at fault');
  assert.deepEqual((await admin.callTool({ name: 'list_snapshots', arguments: {} }))
    .structuredContent.snapshots.map((s) => s.version), [1]);
  const reviewPrompt = await admin.getPrompt({ name: 'review_completion', arguments: { task_id: 'task-1' } });
  assert.match(reviewPrompt.messages[0].content.text, /Cache parsed invoices/);

  const before = await agent.callTool({ name: 'list_tasks', arguments: {} });
  assert.equal(before.isError, false);
  docrunch(['token', 'revoke', 'agent-7']);
  await assert.rejects(connect({ token: agentToken }));
  // The session that was open when the token was revoked is cut off too.
  const after = await agent.callTool({ name: 'list_tasks', arguments: {} });
  assert.equal(errorOf(after).code, 'MCP_UNAUTHORIZED');
  assert.match(errorOf(after).message, /revoked/);
  // Resources and prompts too, not only tools.
  await assert.rejects(agent.readResource({ uri: 'docs://tasks/available' }), /MCP_UNAUTHORIZED/);
  await assert.rejects(agent.listPrompts(), /MCP_UNAUTHORIZED/);
});

test('the rate limit fails fast with a retry-after', async () => {
  const client = await connect({ set: ['server.mcp.rate_limit.queries_per_minute=3'] });
  const results = [];
  for (let i = 0; i < 4; i++) {
    results.push(await client.callTool({ name: 'list_tasks', arguments: {} }));
  }
  assert.deepEqual(results.slice(0, 3).map((r) => r.isError), [false, false, false]);
  assert.equal(errorOf(results[3]).code, 'MCP_RATE_LIMITED');
  assert.ok(errorOf(results[3]).retry_after_seconds > 0);
  await client.close();
});

test('the audit log has connects, calls, auth failures and rate-limit rejections', async () => {
  // Rows are written off the call's path, in group commits: the last
  // server's may land a moment after its client is gone.
  let rows = auditRows();
  for (let i = 0; i < 50 && !/mcp\.rate_limited/.test(rows); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    rows = auditRows();
  }
  assert.match(rows, /mcp\.connect {2}ok/);
  assert.match(rows, /mcp\.tool_call claim_task ok/);
  assert.match(rows, /mcp\.tool_call claim_task MCP_UNAUTHORIZED/);
  assert.match(rows, /mcp\.auth_failure/);
  assert.match(rows, /mcp\.rate_limited list_tasks MCP_RATE_LIMITED/);
  assert.doesNotMatch(rows, /drt_/);
});

test('audit.enabled: false keeps no audit rows', async () => {
  const before = auditRows();
  const client = await connect({ set: ['audit.enabled=false'] });
  const result = await client.callTool({ name: 'list_tasks', arguments: {} });
  assert.equal(result.isError, false);
  await client.close();
  assert.equal(auditRows(), before);
});
