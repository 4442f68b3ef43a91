// The operations routes end to end (PRODUCT §11, §14, §16): `docrunch serve
// --http` with auth on. /snapshots lists, takes and compares snapshots (the
// archives `docrunch snapshot` reads too); /cost shows the LLM spend and
// the budgets exactly as `docrunch cost --json` does, after a real call to
// a provider stand-in (Ollama's wire format, priced by llm.pricing). Admin
// only; bad input gets 400 naming the field, unknown snapshots 404; every
// answer matches the OpenAPI document. DOCRUNCH_E2E_BACKEND=postgres runs it
// all on PostgreSQL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { makeProject, serve, call, validateAnswers } from './rest_server.mjs';
import { startStandIn } from './llm_standin.mjs';

const PASSWORD = 'correct horse battery';
let project, srv, api, standin, openapi;
const tokens = {};
const answers = [];

async function req(method, route, options = {}) {
  const r = await call(api, method, route, options);
  answers.push([method, route, r.status, r.json]);
  return r;
}
const admin = (method, route, options = {}) => req(method, route, { token: tokens.admin, ...options });

before(async () => {
  project = makeProject('docrunch-rest-ops-');
  for (const role of ['reader', 'agent', 'admin']) {
    project.run(['user', 'create', `${role}-user`, '--role', role, '--password-stdin'], `${PASSWORD}\n`);
  }
  standin = await startStandIn('unused-key');
  project.run(['provider', 'add', 'local', '--type', 'ollama', '--model', 'llama3', '--base-url', standin.url]);
  srv = await serve(project, ['server.http.auth.enabled=true',
    'llm.pricing={"llama3": {"input_per_1k": 1.0, "output_per_1k": 2.0}}',
    'cost.budgets=[{"scope": "provider", "name": "local", "period": "day", "limit_usd": 50}]']);
  api = srv.api;
  for (const role of ['reader', 'agent', 'admin']) {
    const r = await call(api, 'POST', '/auth/login', { body: { username: `${role}-user`, password: PASSWORD } });
    assert.equal(r.status, 200, r.text);
    tokens[role] = r.json.data.access_token;
  }
  openapi = (await req('GET', '/openapi.json', { token: tokens.reader })).json.data;
});

after(() => {
  srv?.server.kill('SIGTERM');
  standin?.stop();
  project?.cleanup();
});

test('the operations routes are in the OpenAPI document, for admins only', async () => {
  for (const [method, route] of [['get', '/api/snapshots'], ['post', '/api/snapshots'],
    ['get', '/api/snapshots/{version}/diff'], ['get', '/api/cost']]) {
    const op = openapi.paths[route]?.[method];
    assert.ok(op, `${method} ${route} is documented`);
    assert.equal(op['x-docrunch-role'], 'admin', route);
  }
  for (const role of ['reader', 'agent']) {
    assert.equal((await req('GET', '/snapshots', { token: tokens[role] })).status, 403, role);
    assert.equal((await req('GET', '/cost', { token: tokens[role] })).status, 403, role);
  }
  assert.equal((await req('POST', '/snapshots', { body: {} })).status, 401);
});

test('snapshots: take one, change something, see the change, take another', async () => {
  const empty = await admin('GET', '/snapshots');
  assert.equal(empty.status, 200, empty.text);
  assert.deepEqual(empty.json.data, { snapshots: [], unreadable: [] });

  const first = await admin('POST', '/snapshots', { body: { note: 'before the invoice work' } });
  assert.equal(first.status, 201, first.text);
  assert.equal(first.json.data.version, 1);
  assert.equal(first.json.data.trigger, 'manual');
  assert.equal(first.json.data.note, 'before the invoice work');
  assert.equal(first.json.data.file, 'snapshot-000001.tar.zst', 'the name, not the server path');
  assert.ok(first.json.data.size > 0);
  assert.equal(first.headers.get('location'), '/api/snapshots/1/diff');
  assert.ok(fs.existsSync(path.join(project.dir, '.docrunch/snapshots/snapshot-000001.tar.zst')));

  const unchanged = await admin('GET', '/snapshots/1/diff');
  assert.equal(unchanged.status, 200, unchanged.text);
  assert.deepEqual(unchanged.json.data.tasks, []);
  assert.equal(unchanged.json.data.to, 'now');

  project.run(['task', 'create', '--type', 'feature', '--title', 'Cache parsed invoices']);
  const changed = await admin('GET', '/snapshots/1/diff');
  assert.deepEqual(changed.json.data.tasks.map((c) => [c.change, c.id]), [['added', 'task-1']]);

  const second = await admin('POST', '/snapshots', { body: {} });
  assert.equal(second.status, 201, second.text);
  assert.equal(second.json.data.version, 2);
  const between = await admin('GET', '/snapshots/1/diff?to=2');
  assert.equal(between.status, 200, between.text);
  assert.equal(between.json.data.to, '2');
  assert.deepEqual(between.json.data.tasks.map((c) => c.id), ['task-1']);

  // The CLI reads the same archives.
  const cli = JSON.parse(project.run(['snapshot', 'list', '--json']));
  assert.deepEqual(cli.map((s) => s.version), [1, 2]);
  const listed = await admin('GET', '/snapshots');
  assert.deepEqual(listed.json.data.snapshots.map((s) => [s.version, s.note]),
    [[1, 'before the invoice work'], [2, '']]);
});

test('snapshots: bad input is 400 naming the field, an unknown version 404', async () => {
  const notAVersion = await admin('GET', '/snapshots/abc/diff');
  assert.equal(notAVersion.status, 400, notAVersion.text);
  assert.match(notAVersion.json.error.message, /version/);
  const unknown = await admin('GET', '/snapshots/99/diff');
  assert.equal(unknown.status, 404, unknown.text);
  assert.ok(!unknown.json.error.message.includes(project.dir), unknown.json.error.message);
  const long = await admin('POST', '/snapshots', { body: { note: 'x'.repeat(600) } });
  assert.equal(long.status, 400, long.text);
  assert.match(long.json.error.message, /note/);
  const extra = await admin('POST', '/snapshots', { body: { colour: 'blue' } });
  assert.equal(extra.status, 400, extra.text);
  assert.match(extra.json.error.message, /colour/);
  // A damaged file in the folder is listed as unreadable, not an error.
  fs.writeFileSync(path.join(project.dir, '.docrunch/snapshots/snapshot-000009.tar.zst'), 'not zstd');
  const listed = await admin('GET', '/snapshots');
  assert.equal(listed.status, 200, listed.text);
  assert.deepEqual(listed.json.data.snapshots.map((s) => s.version), [1, 2], 'nothing was taken');
  assert.deepEqual(listed.json.data.unreadable.map((u) => u.file), ['snapshot-000009.tar.zst']);
  const { reason } = listed.json.data.unreadable[0];
  assert.match(reason, /^snapshot-000009\.tar\.zst/, 'the file by its name');
  assert.ok(!reason.includes(project.dir), reason);
  fs.rmSync(path.join(project.dir, '.docrunch/snapshots/snapshot-000009.tar.zst'));
});

test('cost: a call through the gateway shows in the spend and its budget, as the CLI says', async () => {
  const before = await admin('GET', '/cost');
  assert.equal(before.status, 200, before.text);
  assert.equal(before.json.data.calls, 0);
  assert.equal(before.json.data.period, 'day');
  assert.equal(before.json.data.by, 'provider');

  const tested = await admin('POST', '/llm/providers/local/test', { body: { prompt: 'say pong' } });
  assert.equal(tested.status, 200, tested.text);

  const spend = await admin('GET', '/cost?period=day&by=provider');
  assert.equal(spend.status, 200, spend.text);
  assert.equal(spend.json.data.calls, 1);
  assert.equal(spend.json.data.rows[0].provider, 'local');
  assert.ok(spend.json.data.rows[0].cost_usd > 0, 'priced by llm.pricing');
  const budget = spend.json.data.budgets.find((b) => b.budget === 'provider:local:day');
  assert.ok(budget, JSON.stringify(spend.json.data.budgets));
  assert.equal(budget.spent_usd, spend.json.data.total_usd);
  const cli = JSON.parse(project.run(['--set',
    'llm.pricing={"llama3": {"input_per_1k": 1.0, "output_per_1k": 2.0}}', '--set',
    'cost.budgets=[{"scope": "provider", "name": "local", "period": "day", "limit_usd": 50}]',
    'cost', '--period', 'day', '--by', 'provider', '--json']));
  assert.deepEqual(spend.json.data, cli, 'the same report as `docrunch cost --json`');

  const byModel = await admin('GET', '/cost?period=month&by=model');
  assert.deepEqual(byModel.json.data.rows.map((r) => [r.model, r.calls]), [['llama3', 1]]);
});

test('cost: a bad period or grouping is 400 naming the parameter', async () => {
  const period = await admin('GET', '/cost?period=year');
  assert.equal(period.status, 400, period.text);
  assert.match(period.json.error.message, /period/);
  const by = await admin('GET', '/cost?by=colour');
  assert.equal(by.status, 400, by.text);
  assert.match(by.json.error.message, /by/);
});

test('every answer matches the OpenAPI document', () => {
  const n = validateAnswers(openapi, answers, { strict: true });
  assert.ok(n >= 18, `only ${n} answers checked`);
});
