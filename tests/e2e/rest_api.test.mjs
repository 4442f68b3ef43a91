// The REST API end to end, against the real `docrunch serve --http` with
// auth on (users, JWTs, agent tokens): sign-in, refresh and its reuse
// detection, sign-out, forged tokens, every route with every role, every
// error status, bad input, the task flow, and each answer checked against
// the OpenAPI document the server publishes. DOCRUNCH_E2E_BACKEND=postgres
// runs it all on PostgreSQL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import zlib from 'node:zlib';
import { makeProject, serve, call, root, JWT_SECRET, validateAnswers } from './rest_server.mjs';

const require = createRequire(path.join(root, 'third_party/package.json'));
const SwaggerParser = require('@apidevtools/swagger-parser');

let project, srv, api;
const tokens = {};    // role -> access token (users) or agent token
const refresh = {};   // role -> refresh token
let openapi;
const checked = [];   // [method, route template, status, body] of every answer seen

const PASSWORD = 'correct horse battery';

async function req(method, route, options = {}) {
  const r = await call(api, method, route, options);
  checked.push([method, route, r.status, r.json]);
  return r;
}

async function login(username, password = PASSWORD) {
  return req('POST', '/auth/login', { body: { username, password } });
}

before(async () => {
  project = makeProject('docrunch-rest-');
  for (const role of ['reader', 'agent', 'admin']) {
    project.run(['user', 'create', `${role}-user`, '--role', role, '--password-stdin'],
      `${PASSWORD}\n`);
  }
  project.run(['user', 'create', 'victim', '--role', 'reader', '--password-stdin'], `${PASSWORD}\n`);
  tokens.bot = project.run(['token', 'create', '--name', 'bot-agent', '--role', 'agent']).trim();
  project.run(['task', 'create', '--type', 'feature', '--title', 'Cache parsed invoices']);
  srv = await serve(project, ['server.http.auth.enabled=true',
    'server.http.cors_origins=["https://dash.example.com"]']);
  api = srv.api;
  for (const role of ['reader', 'agent', 'admin']) {
    const r = await login(`${role}-user`);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    tokens[role] = r.json.data.access_token;
    refresh[role] = r.json.data.refresh_token;
  }
  openapi = (await req('GET', '/openapi.json', { token: tokens.reader })).json.data;
});

after(() => {
  srv?.server.kill('SIGTERM');
  project?.cleanup();
});

test('health answers without a token, with the security headers', async () => {
  const r = await req('GET', '/health');
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.data.status, 'ok');
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(r.headers.get('x-frame-options'), 'DENY');
  assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
  assert.match(r.headers.get('content-security-policy'), /default-src 'none'/);
});

test('sign-in, refresh rotation, reuse detection, sign-out', async () => {
  const first = await login('agent-user');
  assert.equal(first.status, 200);
  const { access_token: access1, refresh_token: refresh1, token_type, expires_in } = first.json.data;
  assert.equal(token_type, 'Bearer');
  assert.equal(expires_in, 24 * 3600);
  assert.equal((await req('GET', '/auth/me', { token: access1 })).json.data.name, 'agent-user');

  const rotated = await req('POST', '/auth/refresh', { body: { refresh_token: refresh1 } });
  assert.equal(rotated.status, 200);
  const { access_token: access2, refresh_token: refresh2 } = rotated.json.data;
  assert.notEqual(refresh2, refresh1);
  assert.equal((await req('GET', '/auth/me', { token: access2 })).status, 200);

  // The used token again: reuse. The whole family is signed out.
  const reuse = await req('POST', '/auth/refresh', { body: { refresh_token: refresh1 } });
  assert.equal(reuse.status, 401);
  assert.equal(reuse.json.error.code, 'UNAUTHORIZED');
  assert.equal((await req('POST', '/auth/refresh', { body: { refresh_token: refresh2 } })).status, 401);
  assert.equal((await req('GET', '/auth/me', { token: access2 })).status, 401);
  assert.equal((await req('GET', '/auth/me', { token: access1 })).status, 401);

  const again = await login('agent-user');
  const out = await req('POST', '/auth/logout', { body: { refresh_token: again.json.data.refresh_token } });
  assert.equal(out.status, 200);
  assert.equal((await req('GET', '/auth/me', { token: again.json.data.access_token })).status, 401);
  assert.equal((await req('POST', '/auth/refresh',
    { body: { refresh_token: again.json.data.refresh_token } })).status, 401);
});

test('a stale access token sent along does not stop a refresh', async () => {
  const r = await login('reader-user');
  const expired = jwt({ alg: 'HS256', typ: 'JWT' }, { ...JSON.parse(Buffer.from(
    r.json.data.access_token.split('.')[1], 'base64url')), exp: Math.floor(Date.now() / 1000) - 3600 });
  const refreshed = await req('POST', '/auth/refresh', { token: expired,
    body: { refresh_token: r.json.data.refresh_token } });
  assert.equal(refreshed.status, 200, refreshed.text);
  // A route that needs the token still refuses it.
  assert.equal((await req('GET', '/auth/me', { token: expired })).status, 401);
});

test('a user name no user can have is refused before it reaches the database', async () => {
  const r = await req('POST', '/auth/login', { body: { username: 'reader-user\u0000x', password: PASSWORD } });
  assert.equal(r.status, 401);
  assert.equal(r.json.error.message, 'invalid username or password');
});

test('the refresh token can travel as an HttpOnly cookie', async () => {
  const r = await req('POST', '/auth/login',
    { body: { username: 'reader-user', password: PASSWORD, cookie: true } });
  assert.equal(r.status, 200);
  assert.equal(r.json.data.refresh_token, undefined);
  const cookie = r.headers.get('set-cookie');
  assert.match(cookie, /^docrunch_refresh=drr_[0-9a-f]+;/);
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  assert.match(cookie, /Secure/);
  const pair = cookie.split(';')[0];
  const rotated = await req('POST', '/auth/refresh', { headers: { cookie: pair } });
  assert.equal(rotated.status, 200);
  assert.match(rotated.headers.get('set-cookie'), /^docrunch_refresh=drr_/);
});

test('sign-in failures: one message for every cause, then 429 with Retry-After, audited', async () => {
  const wrong = await login('victim', 'not the password');
  const unknown = await login('nobody-at-all', 'whatever123');
  assert.equal(wrong.status, 401);
  assert.equal(unknown.status, 401);
  assert.equal(wrong.json.error.message, unknown.json.error.message);
  for (let i = 0; i < 4; i++) await login('victim', 'not the password');
  const limited = await login('victim', PASSWORD);  // even the right password now
  assert.equal(limited.status, 429);
  assert.equal(limited.json.error.code, 'RATE_LIMITED');
  assert.ok(Number(limited.headers.get('retry-after')) > 0);
  // The audit log is written in group commits off the request's path: wait
  // (at most 5 s) for the last row.
  let audit, outcomes = [];
  for (const until = Date.now() + 5000; Date.now() < until;) {
    audit = await req('GET', '/audit?actor=victim&action=rest.login', { token: tokens.admin });
    outcomes = audit.json.data.items.map((i) => i.outcome);
    if (outcomes.includes('RATE_LIMITED')) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(outcomes.includes('UNAUTHORIZED'), outcomes.join());
  assert.ok(outcomes.includes('RATE_LIMITED'), outcomes.join());
  assert.ok(!JSON.stringify(audit.json).includes('not the password'));
});

test('behind a proxy on this host, the per-address limit counts the forwarded client', async () => {
  const proxied = { 'x-forwarded-for': '192.0.2.1, 198.51.100.7' };
  for (let i = 0; i < 20; i++) {
    const r = await req('POST', '/auth/login', { headers: proxied,
      body: { username: `nobody-${i}`, password: 'wrong-password' } });
    assert.equal(r.status, 401);
  }
  const blocked = await req('POST', '/auth/login', { headers: proxied,
    body: { username: 'reader-user', password: PASSWORD } });
  assert.equal(blocked.status, 429);
  // Another client (here: no proxy header) still signs in.
  assert.equal((await login('reader-user')).status, 200);
});

function b64url(value) {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}
function jwt(header, payload, secret = JWT_SECRET) {
  const head = `${b64url(header)}.${b64url(payload)}`;
  const sig = crypto.createHmac('sha256', secret).update(head).digest('base64url');
  return `${head}.${sig}`;
}

test('forged tokens are refused', async () => {
  const payload = JSON.parse(Buffer.from(tokens.admin.split('.')[1], 'base64url'));
  const now = Math.floor(Date.now() / 1000);
  const cases = {
    'alg none': `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(payload)}.`,
    'HS512 header': jwt({ alg: 'HS512', typ: 'JWT' }, payload),
    'another key': jwt({ alg: 'HS256', typ: 'JWT' }, payload, 'some-other-secret-0123456789abcdef'),
    'expired': jwt({ alg: 'HS256', typ: 'JWT' }, { ...payload, iat: now - 7200, nbf: now - 7200, exp: now - 3600 }),
    'wrong audience': jwt({ alg: 'HS256', typ: 'JWT' }, { ...payload, aud: 'someone-else' }),
    'tampered payload': `${tokens.reader.split('.')[0]}.${b64url({ ...JSON.parse(
      Buffer.from(tokens.reader.split('.')[1], 'base64url')), role: 'admin' })}.${tokens.reader.split('.')[2]}`,
    'garbage': 'not-a-token',
  };
  // Control: the same forging code with the right key and claims works.
  assert.equal((await req('GET', '/auth/me', { token: jwt({ alg: 'HS256', typ: 'JWT' }, payload) })).status, 200);
  for (const [name, token] of Object.entries(cases)) {
    const r = await req('GET', '/users', { token });
    assert.equal(r.status, 401, `${name}: ${r.text}`);
    assert.equal(r.json.error.code, 'UNAUTHORIZED', name);
  }
});

// Every route of the published document, called with no token and with
// each role: the answer must match the role the route declares.
test('role x route matrix from the route table', async () => {
  const rank = { public: 0, reader: 1, agent: 2, admin: 3 };
  const callers = { none: null, reader: tokens.reader, agent: tokens.agent, admin: tokens.admin };
  const callerRank = { none: -1, reader: 1, agent: 2, admin: 3 };
  let calls = 0;
  for (const [route, methods] of Object.entries(openapi.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const needs = op.security?.length === 0 ? 'public' : op['x-docrunch-role'];
      assert.ok(needs in rank, `${method} ${route} declares no role`);
      // Placeholder ids that exist nowhere: the role check comes first.
      const concrete = route.replace(/^\/api/, '').replace(/\{[^}]+\}/g, 'zz-none');
      for (const [who, token] of Object.entries(callers)) {
        // A route that signs out needs no special care: nothing valid is sent.
        const body = method === 'get' || method === 'delete' ? undefined : {};
        const r = await call(api, method.toUpperCase(), concrete, { token, body });
        calls++;
        const allowed = needs === 'public' || callerRank[who] >= rank[needs];
        if (allowed) {
          assert.ok(r.status !== 401 && r.status !== 403,
            `${who} on ${method} ${route} (needs ${needs}): ${r.status} ${r.text}`);
        } else {
          assert.equal(r.status, who === 'none' ? 401 : 403,
            `${who} on ${method} ${route} (needs ${needs}): ${r.text}`);
        }
      }
    }
  }
  assert.ok(calls >= 4 * 30, `only ${calls} calls`);
});

test('an agent token from `docrunch token create` works on REST with its role', async () => {
  const me = await req('GET', '/auth/me', { token: tokens.bot });
  assert.deepEqual(me.json.data, { name: 'bot-agent', role: 'agent', via: 'token' });
  assert.equal((await req('GET', '/users', { token: tokens.bot })).status, 403);
});

test('the task flow: create, list with filters and cursors, claim, report, review', async () => {
  const created = await req('POST', '/tasks', { token: tokens.admin,
    body: { type: 'bug_fix', title: 'Parser drops the last line', priority: 'high' } });
  assert.equal(created.status, 201, created.text);
  const id = created.json.data.id;
  assert.equal(created.headers.get('location'), `/api/tasks/${id}`);

  const page1 = await req('GET', '/tasks?limit=1', { token: tokens.reader });
  assert.equal(page1.json.data.items.length, 1);
  assert.ok(page1.json.data.next_cursor);
  const page2 = await req('GET', `/tasks?limit=1&cursor=${page1.json.data.next_cursor}`, { token: tokens.reader });
  assert.equal(page2.json.data.items.length, 1);
  assert.notEqual(page2.json.data.items[0].id, page1.json.data.items[0].id);
  assert.equal(page2.json.data.next_cursor, null);
  const high = await req('GET', '/tasks?priority=high', { token: tokens.reader });
  assert.deepEqual(high.json.data.items.map((t) => t.id), [id]);

  const claim = await req('POST', `/tasks/${id}/claim`, { token: tokens.bot, body: {} });
  assert.equal(claim.status, 200, claim.text);
  assert.equal(claim.json.data.assigned_to, 'bot-agent');
  const again = await req('POST', `/tasks/${id}/claim`, { token: tokens.agent, body: {} });
  assert.equal(again.status, 409);
  assert.equal(again.json.error.code, 'TASK_ALREADY_CLAIMED');
  assert.equal((await req('POST', `/tasks/${id}/progress`, { token: tokens.bot,
    body: { percentage: 50, status: 'found it' } })).status, 200);
  const finding = await req('POST', `/tasks/${id}/findings`, { token: tokens.bot,
    body: { type: 'bug', description: 'split() drops empty lines', files: ['shop/billing/invoice.py'] } });
  assert.equal(finding.status, 201, finding.text);
  const done = await req('POST', `/tasks/${id}/complete`, { token: tokens.bot,
    body: { summary: 'keep the last line', changes: ['shop/billing/invoice.py'], tests_passed: true } });
  assert.equal(done.status, 200, done.text);
  const status = done.json.data.task.status;
  if (status === 'review') {
    assert.equal((await req('POST', `/tasks/${id}/approve`, { token: tokens.admin, body: { note: 'ok' } })).status, 200);
  }
  const finished = await req('PATCH', `/tasks/${id}`, { token: tokens.admin, body: { status: 'done' } });
  assert.equal(finished.status, 200, finished.text);
  assert.equal(finished.json.data.status, 'done');

  const shown = await req('GET', `/tasks/${id}`, { token: tokens.reader });
  const actions = shown.json.data.history.map((h) => h.action);
  assert.ok(actions.includes('claim') && actions.includes('complete'), actions.join());
  assert.equal(shown.json.data.findings.length, 1);
  assert.equal(shown.json.data.completions.length, 1);

  const findings = await req('GET', `/findings?task_id=${id}`, { token: tokens.reader });
  assert.equal(findings.json.data.items.length, 1);
});

test('a kept task list never hides a change, whoever made it', async () => {
  const list = async (query = '') =>
    (await req('GET', `/tasks?limit=200${query}`, { token: tokens.reader })).json.data.items;
  const first = await list();
  assert.deepEqual(await list(), first, 'the same page twice');
  // Another process (the CLI) writes: the very next read shows it.
  const out = project.run(['task', 'create', '--type', 'feature', '--title', 'Written by the CLI', '--json']);
  const created = JSON.parse(out);
  let items = await list();
  assert.equal(items.length, first.length + 1);
  assert.ok(items.some((t) => t.title === 'Written by the CLI'));
  // A write through this server: the very next read shows it too.
  const moved = await req('PATCH', `/tasks/${created.id}`, { token: tokens.admin, body: { status: 'backlog' } });
  assert.equal(moved.status, 200, moved.text);
  items = await list('&status=backlog');
  assert.deepEqual(items.map((t) => t.id), [created.id]);
  assert.equal((await list()).find((t) => t.id === created.id).status, 'backlog');
  // A client that takes gzip gets the same page gzipped.
  const raw = (encoding) => new Promise((resolve, reject) => {
    const url = new URL(`${api}/tasks?limit=200`);
    http.get({ host: url.hostname, port: url.port, path: url.pathname + url.search,
      headers: { authorization: `Bearer ${tokens.reader}`, 'accept-encoding': encoding } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
  for (let round = 0; round < 2; round++) {  // the second time from what was kept
    const plain = await raw('identity');
    const packed = await raw('gzip, br;q=0');
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(packed.headers['content-encoding'], 'gzip');
    assert.match(packed.headers.vary, /Accept-Encoding/);
    assert.ok(packed.body.length < plain.body.length / 2, `${packed.body.length} vs ${plain.body.length}`);
    assert.deepEqual(JSON.parse(zlib.gunzipSync(packed.body)), JSON.parse(plain.body));
    assert.equal((await raw('gzip;q=0')).headers['content-encoding'], undefined);
  }
  // The CLI blocks it.
  project.run(['task', 'block', created.id, '--reason', 'waiting for the design']);
  assert.equal((await list()).find((t) => t.id === created.id).status, 'blocked');
  assert.deepEqual(await list('&status=backlog'), []);
});

test('decisions, search, modules, functions with file:line, graph', async () => {
  const d = await req('POST', '/decisions', { token: tokens.agent, body: {
    title: 'Parse invoices lazily', context: 'large files', decision: 'stream them',
    rationale: 'memory' } });
  assert.equal(d.status, 201, d.text);
  const list = await req('GET', '/decisions', { token: tokens.reader });
  assert.equal(list.json.data.items.at(-1).title, 'Parse invoices lazily');
  const one = await req('GET', `/decisions/${d.json.data.id}`, { token: tokens.reader });
  assert.equal(one.status, 200, one.text);

  const found = await req('GET', '/search?q=InvoiceParser&limit=5', { token: tokens.reader });
  assert.equal(found.status, 200, found.text);
  const hit = found.json.data.results.find((r) => r.title.includes('InvoiceParser'));
  assert.ok(hit, JSON.stringify(found.json.data.results));
  assert.equal(hit.file_path, 'shop/billing/invoice.py');
  // Why it matched, per field, with the one-line signature and summary.
  const cls = found.json.data.results.find((r) => r.title === 'InvoiceParser');
  assert.deepEqual(cls.matched.name, ['invoice', 'parser', 'invoiceparser']);
  assert.equal(cls.signature, 'class InvoiceParser:');

  const modules = await req('GET', '/modules', { token: tokens.reader });
  assert.ok(modules.json.data.items.some((m) => m.name === 'shop/billing'));
  const module = await req('GET', `/modules/${encodeURIComponent('shop/billing')}`, { token: tokens.reader });
  assert.equal(module.status, 200, module.text);
  assert.ok(module.json.data.files.some((f) => f.path === 'shop/billing/invoice.py'));

  const fns = await req('GET', '/functions?name=parse', { token: tokens.reader });
  const parse = fns.json.data.items.find((f) => f.qualified_name === 'InvoiceParser.parse');
  assert.ok(parse, JSON.stringify(fns.json.data.items));
  assert.equal(parse.location, 'shop/billing/invoice.py:3');
  assert.match(parse.docstring, /Split an invoice/);
  assert.equal(parse.deprecated, false);
  // What the scan marks deprecated (here a package whose __init__.py warns
  // DeprecationWarning), functions and search say.
  fs.mkdirSync(path.join(project.dir, 'shop/legacy'), { recursive: true });
  fs.writeFileSync(path.join(project.dir, 'shop/legacy/__init__.py'),
    "import warnings\nwarnings.warn('shop.legacy is deprecated', DeprecationWarning)\n");
  fs.writeFileSync(path.join(project.dir, 'shop/legacy/zebra.py'),
    'def zebra_stripes():\n    return 1\n');
  project.run(['scan', '--quiet']);
  const zebra = await req('GET', '/functions?name=zebra_stripes', { token: tokens.reader });
  assert.deepEqual(zebra.json.data.items.map((f) => [f.location, f.deprecated]),
    [['shop/legacy/zebra.py:1', true]]);
  const striped = await req('GET', '/search?q=zebra%20stripes&limit=5', { token: tokens.reader });
  const zhit = striped.json.data.results.find((r) => r.title === 'zebra_stripes');
  assert.ok(zhit, striped.text);
  assert.equal(zhit.deprecated, true);
  assert.equal(cls.deprecated, undefined);  // said only when true

  const graph = await req('GET', '/graph?view=structure', { token: tokens.reader });
  assert.ok(graph.json.data.nodes.some((n) => n.id === 'shop/billing/invoice.py'));
});

test('tokens and users through the admin routes', async () => {
  const t = await req('POST', '/tokens', { token: tokens.admin, body: { name: 'ci-bot', role: 'reader' } });
  assert.equal(t.status, 201);
  assert.match(t.json.data.token, /^drt_/);
  const dup = await req('POST', '/tokens', { token: tokens.admin, body: { name: 'ci-bot', role: 'reader' } });
  assert.equal(dup.status, 409);
  const listed = await req('GET', '/tokens', { token: tokens.admin });
  assert.ok(!listed.text.includes(t.json.data.token));
  assert.equal((await req('GET', '/auth/me', { token: t.json.data.token })).status, 200);
  assert.equal((await req('DELETE', '/tokens/ci-bot', { token: tokens.admin })).status, 200);
  assert.equal((await req('GET', '/auth/me', { token: t.json.data.token })).status, 401);

  const u = await req('POST', '/users', { token: tokens.admin,
    body: { name: 'temp-user', role: 'reader', password: 'temporary-pass' } });
  assert.equal(u.status, 201, u.text);
  const s = await login('temp-user', 'temporary-pass');
  assert.equal(s.status, 200);
  const disabled = await req('PATCH', '/users/temp-user', { token: tokens.admin, body: { disabled: 'true' } });
  assert.equal(disabled.status, 200, disabled.text);
  assert.ok(disabled.json.data.disabled_at);
  assert.equal((await req('GET', '/auth/me', { token: s.json.data.access_token })).status, 401);
  assert.equal((await login('temp-user', 'temporary-pass')).status, 401);
  const users = await req('GET', '/users', { token: tokens.admin });
  assert.ok(!users.text.includes('argon2'));
});

test('every error status, each in the envelope', async () => {
  const admin = tokens.admin;
  let r = await req('POST', '/tasks', { token: admin, raw: '{"type": "bug_fix", ', headers: { 'content-type': 'application/json' } });
  assert.equal(r.status, 400);
  assert.equal(r.json.success, false);
  r = await req('POST', '/tasks', { token: admin, body: { type: 'bug_fix', title: 42 } });
  assert.equal(r.status, 400);
  assert.match(r.json.error.message, /body\.title: must be string/);
  r = await req('POST', '/tasks', { token: admin, body: { type: 'bug_fix', title: 'x', colour: 'red' } });
  assert.equal(r.status, 400);
  assert.match(r.json.error.message, /body\.colour: unknown field/);
  r = await req('GET', '/no-such-thing', { token: admin });
  assert.equal(r.status, 404);
  assert.equal(r.json.error.code, 'NOT_FOUND');
  r = await req('DELETE', '/tasks', { token: admin });
  assert.equal(r.status, 405);
  assert.equal(r.headers.get('allow'), 'GET, POST');
  r = await req('POST', '/tasks/task-1/approve', { token: admin, body: {} });
  assert.equal(r.status, 409);
  assert.equal(r.json.error.code, 'TASK_INVALID_TRANSITION');
  r = await req('POST', '/tasks', { token: admin, raw: 'x'.repeat(10 * 1024 * 1024), headers: { 'content-type': 'application/json' } });
  assert.equal(r.status, 413);
  assert.equal(r.json.error.code, 'PAYLOAD_TOO_LARGE');
  r = await req('POST', '/tasks', { token: admin, raw: 'type=bug_fix', headers: { 'content-type': 'text/plain' } });
  assert.equal(r.status, 415);
  r = await req('POST', '/tasks', { token: admin, body: { type: 'no-such-type', title: 'x' } });
  assert.equal(r.status, 422);
  assert.equal(r.json.error.code, 'INVALID_PARAMS');
  r = await req('GET', '/users');
  assert.equal(r.status, 401);
  assert.match(r.headers.get('www-authenticate'), /^Bearer/);
  r = await req('GET', '/users', { token: tokens.reader });
  assert.equal(r.status, 403);
  assert.equal(r.json.error.code, 'FORBIDDEN');
});

test('bad input never crashes and changes nothing', async () => {
  const admin = tokens.admin;
  const before = (await req('GET', '/tasks?limit=200', { token: admin })).json.data.items.length;
  const cases = [
    ['POST', '/tasks', { raw: '['.repeat(100000), headers: { 'content-type': 'application/json' } }, 400],
    ['POST', '/tasks', { raw: Buffer.from([0x7b, 0x22, 0x74, 0x69, 0x74, 0x6c, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
      headers: { 'content-type': 'application/json' } }, 400],
    ['GET', '/tasks?limit=100000', {}, 400],
    ['GET', '/tasks?limit=ten', {}, 400],
    ['GET', '/tasks?cursor=zzz', {}, 400],
    ['GET', '/tasks?cursor=', {}, 400],
    ['GET', '/tasks?cursor=p18446744073709551615', {}, 400],
    ['GET', '/audit?cursor=p9223372036854775807', {}, 400],
    ['GET', '/tasks?cursor=p-1', {}, 400],
    ['GET', '/tasks?bogus=1', {}, 400],
    ['GET', '/tasks/..%2F..%2Fetc%2Fpasswd', {}, 400],
    ['GET', '/tasks/task-99999', {}, 404],
    ['GET', '/decisions/..%2Fadr', {}, 400],
    ['GET', '/modules/%2E%2E%2F%2E%2E', {}, 404],
    ['GET', '/tasks/%ff%fe', {}, 400],
    ['PATCH', '/tasks/task-1', { body: { status: 'done', assigned_to: 'x' } }, 400],
  ];
  for (const [method, route, options, status] of cases) {
    const r = await req(method, route, { token: admin, ...options });
    assert.equal(r.status, status, `${method} ${route}: ${r.text.slice(0, 300)}`);
    assert.equal(r.json?.success, false, `${method} ${route}`);
  }
  for (const q of ["'; DROP TABLE tasks; --", 'foo AND (bar OR NEAR(', '"unterminated', '*', 'a:b -c ^d']) {
    const r = await req('GET', `/search?q=${encodeURIComponent(q)}`, { token: admin });
    assert.equal(r.status, 200, `${q}: ${r.text}`);
  }
  const after = (await req('GET', '/tasks?limit=200', { token: admin })).json.data.items.length;
  assert.equal(after, before);
  assert.equal((await req('GET', '/health')).status, 200);
});

test('browser safety: Host, Origin and CORS allow-list', async () => {
  // fetch() does not send a Host of our choosing; node:http does.
  const status = await new Promise((resolve, reject) => {
    const url = new URL(`${api}/health`);
    http.get({ host: url.hostname, port: url.port, path: url.pathname,
      headers: { host: 'evil.example:80' } }, (res) => { res.resume(); resolve(res.statusCode); })
      .on('error', reject);
  });
  assert.equal(status, 403);
  let r;
  r = await req('GET', '/tasks', { token: tokens.reader, headers: { origin: 'https://evil.example' } });
  assert.equal(r.status, 403);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff', 'refusals carry the headers too');
  assert.equal(r.headers.get('access-control-allow-origin'), null);
  assert.equal((await req('GET', '/no-such-route')).headers.get('x-frame-options'), 'DENY');
  r = await req('GET', '/tasks', { token: tokens.reader, headers: { origin: 'https://dash.example.com' } });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('access-control-allow-origin'), 'https://dash.example.com');
  r = await call(api, 'OPTIONS', '/tasks', { headers: { origin: 'https://dash.example.com',
    'access-control-request-method': 'POST' } });
  assert.equal(r.status, 204);
  assert.match(r.headers.get('access-control-allow-methods'), /POST/);
});

test('the OpenAPI document is valid and every answer matches its declared schema', async () => {
  await SwaggerParser.validate(structuredClone(openapi));
  const validated = validateAnswers(openapi, checked);
  assert.ok(validated > 100, `only ${validated} answers validated`);
});
