// The REST data-flow views end to end, against the real `docrunch serve
// --http` with auth on: health of each backend, the lineage graph, outbox
// events, the diff, where an entity lives, the schema, query traces and
// their statistics (and the `queries` live stream), bad input, and every
// answer checked against the OpenAPI document the server publishes.
// DOCRUNCH_E2E_BACKEND=postgres runs it all on PostgreSQL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { makeProject, serve, call, postgres, validateAnswers } from './rest_server.mjs';

const PASSWORD = 'correct horse battery';
let project, srv, api, openapi;
const tokens = {};
const checked = [];  // [method, route, status, body] of every answer

async function req(method, route, options = {}) {
  const r = await call(api, method, route, options);
  checked.push([method, route, r.status, r.json]);
  return r;
}
const get = (route, token = tokens.reader) => req('GET', route, { token });

// Waits until `probe` returns something truthy (the sync worker and the
// trace writer run beside the request).
async function eventually(probe, what, ms = 10000) {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  project = makeProject('docrunch-dataflow-');
  for (const role of ['reader', 'admin']) {
    project.run(['user', 'create', `${role}-user`, '--role', role, '--password-stdin'],
      `${PASSWORD}\n`);
  }
  project.run(['task', 'create', '--type', 'feature', '--title', 'Cache parsed invoices']);
  // The workflow test drives the runs with `worker start --once`.
  srv = await serve(project, ['server.http.auth.enabled=true', 'jobs.run_in_serve=false']);
  api = srv.api;
  for (const role of ['reader', 'admin']) {
    const r = await call(api, 'POST', '/auth/login',
      { body: { username: `${role}-user`, password: PASSWORD } });
    assert.equal(r.status, 200, r.text);
    tokens[role] = r.json.data.access_token;
  }
  openapi = (await get('/openapi.json')).json.data;
});

after(() => {
  srv?.server.kill('SIGTERM');
  project?.cleanup();
});

test('health of every backend; Redis not configured; an unknown backend is 404', async () => {
  const all = await get('/system/health');
  assert.equal(all.status, 200, all.text);
  const names = all.json.data.backends.map((b) => b.name);
  assert.deepEqual(names, [postgres ? 'postgres' : 'sqlite', 'redis', 'lightrag', 'temporal',
    'markdown', 'cli_proxy', 'kms']);
  const db = all.json.data.backends[0];
  assert.equal(db.status, 'healthy');
  assert.ok(db.records >= 3, JSON.stringify(db));  // the repository, files, the task
  assert.equal(typeof db.latency_ms, 'number');

  const redis = await get('/system/health/redis');
  assert.equal(redis.status, 200);
  assert.equal(redis.json.data.status, 'not_configured');
  const temporal = await get('/system/health/temporal');
  assert.equal(temporal.json.data.status, 'not_configured');
  assert.match(temporal.json.data.detail, /Temporal/);
  const markdown = await get('/system/health/markdown');
  assert.equal(markdown.json.data.status, 'healthy', markdown.text);
  assert.ok(markdown.json.data.records > 0);
  const kms = await get('/system/health/kms');
  assert.equal(kms.json.data.status, 'not_configured', 'no secret is sealed here');
  const database = await get('/system/health/database');
  assert.equal(database.json.data.name, postgres ? 'postgres' : 'sqlite');

  const unknown = await get('/system/health/mongodb');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json.error.code, 'STORAGE_NOT_FOUND');
});

test('a task created through the API shows in the lineage, the outbox and its locations', async () => {
  const created = await req('POST', '/tasks', { token: tokens.admin,
    body: { type: 'bug_fix', title: 'Parser drops the last line' } });
  assert.equal(created.status, 201, created.text);
  const id = created.json.data.id;

  const lineage = await get('/system/lineage');
  assert.equal(lineage.status, 200, lineage.text);
  const node = (nid) => lineage.json.data.nodes.find((n) => n.id === nid);
  assert.ok(node('table:tasks').counts.rows >= 2, JSON.stringify(node('table:tasks')));
  assert.ok(node('table:files').counts.rows >= 3);
  assert.ok(node('sync_events').counts.total >= 4);
  assert.ok(node('worker:index') && node('worker:markdown'));
  assert.ok(node('store:index').counts.documents > 0);
  const edge = lineage.json.data.edges.find((e) => e.source === 'table:tasks' && e.target === 'sync_events');
  assert.ok(edge.count >= 2, JSON.stringify(edge));

  const events = await get(`/sync/events?entity_type=task&entity_id=${id}`);
  assert.equal(events.status, 200, events.text);
  assert.ok(events.json.data.items.length >= 1);
  assert.equal(events.json.data.items[0].entity_id, id);
  const page = await get('/sync/events?limit=1');
  assert.equal(page.json.data.items.length, 1);
  assert.ok(page.json.data.next_cursor);
  const next = await get(`/sync/events?limit=1&cursor=${page.json.data.next_cursor}`);
  assert.ok(next.json.data.items[0].id < page.json.data.items[0].id);  // newest first

  // The embedded worker applies the event to both targets.
  const where = await eventually(async () => {
    const r = await get(`/entities/${id}/locations`);
    assert.equal(r.status, 200, r.text);
    return r.json.data.targets.every((t) => t.current) ? r.json.data : null;
  }, `${id} synced to every target`);
  assert.equal(where.source.table, 'tasks');
  assert.equal(where.source.exists, true);
  assert.deepEqual(where.targets.map((t) => t.target), ['index', 'markdown']);
  for (const t of where.targets) {
    assert.equal(t.status, 'ok');
    assert.equal(t.last_synced_hash, where.source.content_hash);
  }
  const file = await get(`/entities/${encodeURIComponent('shop/billing/invoice.py')}/locations`);
  assert.equal(file.status, 200, file.text);
  assert.equal(file.json.data.entity.type, 'file');
  assert.equal(file.json.data.source.table, 'files');
  assert.ok(file.json.data.targets.every((t) => t.current), file.text);
  const typed = await get(`/entities/${id}/locations?type=task`);
  assert.equal(typed.status, 200);
  assert.equal((await get(`/entities/${id}/locations?type=file`)).status, 404);
});

test('the diff, its stats, and retry and resolve as admin only', async () => {
  const diff = await get('/sync/diff');
  assert.equal(diff.status, 200, diff.text);
  assert.ok(Array.isArray(diff.json.data.items));
  const stats = await get('/sync/diff/stats');
  assert.equal(stats.status, 200);
  assert.equal(stats.json.data.total, diff.json.data.items.length);
  assert.equal((await req('POST', '/sync/diff/resolve', { token: tokens.reader, body: {} })).status, 403);
  const resolved = await req('POST', '/sync/diff/resolve', { token: tokens.admin, body: {} });
  assert.equal(resolved.status, 200, resolved.text);
  for (const k of ['retried', 'requeued', 'need_rebuild']) assert.equal(typeof resolved.json.data[k], 'number');
  assert.equal((await req('POST', '/sync/events/retry', { token: tokens.reader, body: {} })).status, 403);
  const retried = await req('POST', '/sync/events/retry', { token: tokens.admin, body: { all: true } });
  assert.equal(retried.status, 200, retried.text);
  assert.equal(retried.json.data.retried, 0);  // nothing failed here
});

test('the schema lists the tables of the source of truth with columns and rows', async () => {
  const r = await get('/schema');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.data.backend, postgres ? 'postgres' : 'sqlite');
  const tasks = r.json.data.tables.find((t) => t.name === 'tasks');
  assert.ok(tasks, r.text.slice(0, 300));
  assert.ok(tasks.rows >= 1);
  const columns = Object.fromEntries(tasks.columns.map((c) => [c.name, c]));
  for (const c of ['id', 'title', 'status', 'assigned_to', 'created_at']) assert.ok(columns[c], c);
  assert.equal(columns.title.nullable, false);
  assert.equal(columns.assigned_to.nullable, true);
  assert.ok(r.json.data.tables.some((t) => t.name === 'query_traces'));
  assert.ok(!r.json.data.tables.some((t) => t.name.startsWith('sqlite_')));
});

test('the lineage stream also tells of commits that leave no outbox event', async (t) => {
  if (typeof WebSocket !== 'function') return t.skip('needs Node\'s WebSocket (--experimental-websocket)');
  const ticket = (await req('POST', '/auth/ws-ticket', { token: tokens.reader, body: {} })).json.data.ticket;
  const seen = [];
  const ws = new WebSocket(`${api.replace(/^http/, 'ws').replace(/\/api$/, '')}/ws/system/lineage?ticket=${ticket}`);
  ws.onmessage = (m) => seen.push(JSON.parse(m.data));
  try {
    await eventually(() => seen.some((m) => m.type === 'hello'), 'the stream to open');
    // Let the server's once-a-second check see the database as it is.
    await new Promise((r) => setTimeout(r, 1200));
    const before = seen.length;
    // A new user is a commit without an outbox event (users are not synced).
    const made = await req('POST', '/users', { token: tokens.admin,
      body: { name: `lineage-${Date.now()}`, role: 'reader', password: 'a long enough password' } });
    assert.equal(made.status, 201, made.text);
    const told = await eventually(() => seen.slice(before).find((m) => m.type === 'lineage.changed'),
      'lineage.changed after the commit');
    assert.equal(told.data.reason, 'committed');
  } finally {
    ws.close();
  }
});

test('a search leaves a trace: by id, in the stats, and on the queries stream', async () => {
  const ticket = (await req('POST', '/auth/ws-ticket', { token: tokens.reader, body: {} })).json.data.ticket;
  const seen = [];
  let ws = null;
  if (typeof WebSocket === 'function') {
    ws = new WebSocket(`${api.replace(/^http/, 'ws').replace(/\/api$/, '')}/ws/queries?ticket=${ticket}`);
    ws.onmessage = (m) => seen.push(JSON.parse(m.data));
    await eventually(() => seen.some((m) => m.type === 'hello'), 'the stream to open');
  }
  const before = (await get('/queries/stats')).json.data.count;
  const found = await get('/search?q=InvoiceParser&limit=3');
  assert.equal(found.status, 200, found.text);
  const id = found.json.data.trace_id;
  assert.match(id, /^qt-[0-9a-f]{16}$/);
  const trace = await eventually(async () => {
    const r = await get(`/queries/trace/${id}`);
    return r.status === 200 ? r.json.data : null;
  }, 'the trace to be written');
  assert.equal(trace.query, 'InvoiceParser');
  assert.equal(trace.limit, 3);
  assert.equal(trace.caller, 'rest:reader-user');
  assert.ok(['index', 'fulltext'].includes(trace.engine));
  assert.deepEqual(trace.result_ids, found.json.data.results.map((r) => r.id));
  assert.equal(typeof trace.timings.total, 'number');
  const stats = await get('/queries/stats');
  assert.equal(stats.json.data.count, before + 1);
  assert.ok(stats.json.data.top_queries.some((q) => q.query === 'InvoiceParser'));
  assert.ok(stats.json.data.latency_ms.p95 >= stats.json.data.latency_ms.p50);
  const future = await get('/queries/stats?since=2199-01-01T00:00:00Z');
  assert.equal(future.json.data.count, 0);
  if (ws) {
    const message = await eventually(() => seen.find((m) => m.type === 'query.trace'), 'query.trace');
    assert.equal(message.data.id, id);
    ws.close();
  }
});

test('a workflow run through REST: start, watch on its stream, approve, complete', async (t) => {
  assert.equal((await req('POST', '/workflows', { token: tokens.reader, body: { workflow: 'demo' } })).status, 403);
  const started = await req('POST', '/workflows', { token: tokens.admin,
    body: { workflow: 'demo', input: { title: 'release notes' } } });
  assert.equal(started.status, 201, started.text);
  const id = started.json.data.id;
  assert.match(id, /^wf-[0-9a-f]{16}$/);
  assert.equal(started.headers.get('location'), `/api/workflows/${id}`);
  assert.equal((await get(`/workflows/${id}`)).json.data.status, 'pending');

  const seen = [];
  let ws = null;
  if (typeof WebSocket === 'function') {
    const ticket = (await req('POST', '/auth/ws-ticket', { token: tokens.reader, body: {} })).json.data.ticket;
    ws = new WebSocket(`${api.replace(/^http/, 'ws').replace(/\/api$/, '')}/ws/workflows/${id}?ticket=${ticket}`);
    ws.onmessage = (m) => seen.push(JSON.parse(m.data));
    await eventually(() => seen.some((m) => m.type === 'hello'), 'the stream to open');
  } else {
    t.diagnostic('no WebSocket in this Node: the stream part is not checked');
  }
  try {
    // A worker runs it up to its wait for an approval.
    project.run(['worker', 'start', '--workflows', '--once']);
    const waiting = (await get(`/workflows/${id}`)).json.data;
    assert.equal(waiting.status, 'waiting', JSON.stringify(waiting));
    assert.ok(waiting.steps.length >= 1);
    const listed = await get('/workflows?status=waiting');
    assert.ok(listed.json.data.items.some((r) => r.id === id));
    assert.equal((await req('POST', `/workflows/${id}/signal`, { token: tokens.reader,
      body: { name: 'approve' } })).status, 403);
    const approved = await req('POST', `/workflows/${id}/signal`, { token: tokens.admin,
      body: { name: 'approve', data: { by: 'ann' } } });
    assert.equal(approved.status, 200, approved.text);
    project.run(['worker', 'start', '--workflows', '--once']);
    const done = (await get(`/workflows/${id}`)).json.data;
    assert.equal(done.status, 'completed', JSON.stringify(done));
    assert.equal(done.result.approved_by, 'ann');
    if (ws) {
      const changes = await eventually(() => {
        const c = seen.filter((m) => m.type === 'workflow.changed').map((m) => m.data.change);
        return c.includes('completed') ? c : null;
      }, 'workflow.changed up to completed');
      assert.ok(changes.some((c) => c.startsWith('step:')), changes.join(', '));
    }
    // A finished run takes no more signals or cancellation; unknown and bad ids.
    assert.equal((await req('POST', `/workflows/${id}/signal`, { token: tokens.admin,
      body: { name: 'approve' } })).status, 409);
    assert.equal((await req('POST', `/workflows/${id}/cancel`, { token: tokens.admin, body: {} })).status, 409);
    assert.equal((await get('/workflows/wf-0123456789abcdef')).status, 404);
    assert.equal((await get('/workflows/not-a-run')).status, 400);
    assert.equal((await req('POST', '/workflows', { token: tokens.admin,
      body: { workflow: 'no-such-workflow' } })).status, 422);
    assert.equal((await req('POST', '/workflows', { token: tokens.admin,
      body: { workflow: 'demo', input: 'not an object' } })).status, 400);
    // Cancelling a run before any worker took it: cancelled at once.
    const other = (await req('POST', '/workflows', { token: tokens.admin, body: { workflow: 'demo' } })).json.data.id;
    assert.equal((await req('POST', `/workflows/${other}/cancel`, { token: tokens.admin, body: {} })).status, 200);
    assert.equal((await get(`/workflows/${other}`)).json.data.status, 'cancelled');
  } finally {
    ws?.close();
  }
});

test('an embedded server runs workflows itself: scan --async and a run waiting for approval', async () => {
  // jobs.backend inprocess (the default) and jobs.run_in_serve true: no worker process.
  const own = makeProject('docrunch-inprocess-');
  const server = await serve(own);
  try {
    const show = async (id) => (await call(server.api, 'GET', `/workflows/${id}`, { token: server.token })).json?.data;
    const until = (id, status) => eventually(async () => {
      const run = await show(id);
      return run?.status === status ? run : null;
    }, `${id} ${status}`, 30000);
    fs.writeFileSync(path.join(own.dir, 'shop/billing/tax.py'), 'def add_vat(amount):\n    return amount * 1.2\n');
    const scan = own.run(['scan', '--async']).trim();
    assert.match(scan, /^wf-[0-9a-f]{16}$/);
    const scanned = await until(scan, 'completed');
    assert.ok(scanned.steps.some((s) => s.name === 'store' && s.status === 'completed'), JSON.stringify(scanned.steps));
    const found = own.run(['query', 'add_vat', '--format', 'json']);
    assert.match(found, /tax\.py/);

    const demo = own.run(['workflows', 'start', 'demo', '--input', JSON.stringify({ title: 'notes' })]).trim();
    await until(demo, 'waiting');
    const approved = await call(server.api, 'POST', `/workflows/${demo}/signal`,
      { token: server.token, body: { name: 'approve', data: { by: 'ann' } } });
    assert.equal(approved.status, 200, approved.text);
    const done = await until(demo, 'completed');
    assert.equal(done.result.approved_by, 'ann');
  } finally {
    server.server.kill('SIGTERM');
    own.cleanup();
  }
});

test('bad input: 400 or 404 in the envelope, never 500', async () => {
  const cases = [
    ['/sync/events?colour=red', 400],
    ['/sync/events?status=exploded', 400],
    ['/sync/events?target=elsewhere', 400],
    ['/sync/events?limit=100000', 400],
    ['/sync/events?cursor=zzz', 400],
    ['/sync/diff?limit=0', 400],
    ['/sync/diff?cursor=p-1', 400],
    ['/queries/stats?since=yesterday', 400],
    ['/queries/stats?since=2999-01-01T00:00:00Z', 400],
    ['/queries/trace/..%2F..%2Fetc%2Fpasswd', 400],
    ['/queries/trace/qt-0123456789abcdef', 404],
    ['/entities/..%2F..%2Fetc%2Fpasswd/locations', 404],
    ['/entities/adr-999/locations', 404],
    ['/entities/task-1/locations?type=users', 400],
    [`/entities/${'x'.repeat(1200)}/locations`, 400],
    ['/entities/%ff%fe/locations', 400],
    ['/system/health/..%2F..', 404],
    ['/schema?table=tasks', 400],
  ];
  for (const [route, status] of cases) {
    const r = await get(route);
    assert.equal(r.status, status, `${route}: ${r.text.slice(0, 300)}`);
    assert.equal(r.json?.success, false, route);
  }
  assert.equal((await get('/system/lineage', null)).status, 401);
});

test('every answer matches the schema the OpenAPI document declares', async () => {
  const validated = validateAnswers(openapi, checked, { strict: true });
  assert.ok(validated > 40, `only ${validated} answers validated`);
});
