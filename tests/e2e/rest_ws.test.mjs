// The WebSocket streams across processes: two `serve --http` sharing one
// database and one Redis; a task moved through process A reaches a
// WebSocket client of process B within a second. The outbox poll is set to
// 30 s, so only the Redis wake-up can make it that fast. Tickets are single
// use.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeProject, serve, call } from './rest_server.mjs';

const PASSWORD = 'correct horse battery';
const TARGET = `target-${process.pid}-${Date.now()}`;
let project, a, b, tokenA, tokenB;
const sockets = [];

async function signIn(api) {
  const r = await call(api, 'POST', '/auth/login', { body: { username: 'lead', password: PASSWORD } });
  assert.equal(r.status, 200, r.text);
  return r.json.data.access_token;
}

async function ticket(api, token) {
  const r = await call(api, 'POST', '/auth/ws-ticket', { token, body: {} });
  assert.equal(r.status, 200, r.text);
  return r.json.data.ticket;
}

// Opens a socket; resolves once the server's hello arrived, with the
// messages received after it collected in `messages`.
function open(api, route, t) {
  const url = `${api.replace(/^http/, 'ws').replace(/\/api$/, '')}${route}?ticket=${t}`;
  const ws = new WebSocket(url);
  sockets.push(ws);
  ws.messages = [];
  return new Promise((resolve, reject) => {
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.type === 'hello') resolve(ws);
      else ws.messages.push({ ...m, received: Date.now() });
    };
    ws.onerror = () => reject(new Error(`WebSocket ${route} refused`));
  });
}

function waitFor(ws, predicate, ms) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const check = () => {
      const m = ws.messages.find(predicate);
      if (m) return resolve(m);
      if (Date.now() - started > ms) return reject(new Error(`no matching message in ${ms} ms`));
      setTimeout(check, 5);
    };
    check();
  });
}

before(async () => {
  project = makeProject('docrunch-ws-');
  project.run(['user', 'create', 'lead', '--role', 'admin', '--password-stdin'], `${PASSWORD}\n`);
  // Redis outlives the test's database: a name of this run only.
  project.run(['user', 'create', TARGET, '--role', 'reader', '--password-stdin'], `${PASSWORD}\n`);
  const sets = ['server.http.auth.enabled=true', `jobs.redis_url=${process.env.DOCRUNCH_TEST_REDIS_URL}`,
    'storage.sync.poll_interval_seconds=30', 'server.http.ws_heartbeat=300ms'];
  a = await serve(project, sets);
  b = await serve(project, sets);
  tokenA = await signIn(a.api);
  tokenB = await signIn(b.api);
});

after(() => {
  for (const ws of sockets) ws.close();
  a?.server.kill('SIGTERM');
  b?.server.kill('SIGTERM');
  project?.cleanup();
});

test('a task moved through process A reaches a WebSocket client of process B within 1 s', async () => {
  const created = await call(a.api, 'POST', '/tasks', { token: tokenA,
    body: { type: 'feature', title: 'Stream me' } });
  assert.equal(created.status, 201, created.text);
  const id = created.json.data.id;
  const ws = await open(b.api, '/ws/tasks', await ticket(b.api, tokenB));
  const events = await open(b.api, '/ws/sync/events', await ticket(b.api, tokenB));
  const latencies = [];
  for (const [i, agent] of ['agent-1', 'agent-2', 'agent-3'].entries()) {
    const sent = Date.now();
    const moved = await call(a.api, 'PATCH', `/tasks/${id}`, { token: tokenA,
      body: { assigned_to: agent } });
    assert.equal(moved.status, 200, moved.text);
    const m = await waitFor(ws, (m) => m.type === 'task.changed' && m.data.id === id &&
      m.data.assigned_to === agent, 1000);
    assert.equal(m.data.status, 'assigned');
    assert.ok(m.at, 'messages carry their time');
    latencies.push(m.received - sent);
    if (i === 0) {
      const e = await waitFor(events, (e) => e.type === 'sync.event' && e.data.entity_id === id, 1000);
      assert.equal(e.data.entity_type, 'task');
    }
  }
  console.log(`cross-process latency ms: ${latencies.join(', ')}`);
});

test('with Redis a ticket from process A opens a stream on process B, once', async () => {
  const t = await ticket(a.api, tokenA);
  await open(b.api, '/ws/tasks', t);
  await assert.rejects(open(a.api, '/ws/tasks', t));
});

test('a quiet stream sends heartbeats and stays open', async () => {
  const ws = await open(b.api, '/ws/system/lineage', await ticket(b.api, tokenB));
  await new Promise((r) => setTimeout(r, 1600));
  const beats = ws.messages.filter((m) => m.type === 'heartbeat');
  assert.ok(beats.length >= 3, `only ${beats.length} heartbeats in 1.6 s`);
  assert.equal(ws.readyState, WebSocket.OPEN);
  // And it still carries events after the quiet spell.
  const created = await call(a.api, 'POST', '/tasks', { token: tokenA,
    body: { type: 'feature', title: 'After the quiet' } });
  assert.equal(created.status, 201);
  await waitFor(ws, (m) => m.type === 'lineage.changed', 1000);
});

test('with Redis sign-in failures count across processes', async () => {
  // From an address of this run too (as a proxy on this host names it), so
  // failures left in Redis by earlier runs count against nobody here.
  const headers = { 'x-forwarded-for': `198.51.100.${process.pid % 250}` };
  const fail = (srv) => call(srv.api, 'POST', '/auth/login',
    { headers, body: { username: TARGET, password: 'not the password' } });
  for (const srv of [a, b, a, b, a]) assert.equal((await fail(srv)).status, 401);
  // Five failures in all, spread over both: the sixth try is refused on either.
  const r = await call(b.api, 'POST', '/auth/login', { body: { username: TARGET, password: PASSWORD } });
  assert.equal(r.status, 429, r.text);
  assert.ok(Number(r.headers.get('retry-after')) > 0);
});

test('tickets are single use, and a stream needs one', async () => {
  const t = await ticket(b.api, tokenB);
  await open(b.api, '/ws/tasks', t);
  await assert.rejects(open(b.api, '/ws/tasks', t));
  await assert.rejects(open(b.api, '/ws/tasks', 'not-a-ticket'));
  const plain = await call(b.api.replace(/\/api$/, ''), 'GET', '/ws/tasks');
  assert.equal(plain.status, 401);
  const noTicketRoute = await call(b.api, 'POST', '/auth/ws-ticket', { body: {} });
  assert.equal(noTicketRoute.status, 401);
});
