// GET /metrics and the request id (PRODUCT §17), against the real binary:
// the scrape is valid Prometheus text (checked by `promtool check metrics`,
// Debian's prometheus package), counts what the test did (REST routes, MCP
// tool calls, auth failures, rate-limit refusals) and carries the database's
// figures (outbox, jobs, workflows, pool); it is open to loopback and needs
// an admin token from anywhere else. A request's X-Request-Id comes back in
// the answer and is found in the JSON log line, the audit row and the query
// trace of that request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { makeProject, serve, call, root, bin } from './rest_server.mjs';

const sdk = path.join(root, 'third_party/node_modules/@modelcontextprotocol/sdk/dist/esm');
const { Client } = await import(path.join(sdk, 'client/index.js'));
const { StreamableHTTPClientTransport } = await import(path.join(sdk, 'client/streamableHttp.js'));

const PASSWORD = 'correct horse battery';
const PROMTOOL = process.env.DOCRUNCH_PROMTOOL ?? '/usr/bin/promtool';
let project, srv, api, base, stderr = '', admin, reader, agentToken;

before(async () => {
  project = makeProject('docrunch-metrics-');
  project.run(['user', 'create', 'ops', '--role', 'admin', '--password-stdin'], `${PASSWORD}\n`);
  project.run(['user', 'create', 'viewer', '--role', 'reader', '--password-stdin'], `${PASSWORD}\n`);
  agentToken = project.run(['token', 'create', '--name', 'metrics-agent', '--role', 'agent']).trim();
  project.run(['task', 'create', '--type', 'feature', '--title', 'Count the invoices']);
  srv = await serve(project, ['server.http.auth.enabled=true', 'server.mcp.auth.enabled=true',
    'server.mcp.rate_limit.queries_per_minute=2', 'logging.format=json', 'logging.level=debug']);
  srv.server.stderr.on('data', (d) => { stderr += d; });
  api = srv.api;
  base = api.replace(/\/api$/, '');
  const login = async (user) =>
    (await call(api, 'POST', '/auth/login', { body: { username: user, password: PASSWORD } }))
      .json.data.access_token;
  admin = await login('ops');
  reader = await login('viewer');
});

after(() => {
  srv?.server.kill('SIGTERM');
  project?.cleanup();
});

async function scrape(headers = {}) {
  const res = await fetch(`${base}/metrics`, { headers });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

// The value of one sample, by its exact name and labels; undefined if absent.
function sample(text, series) {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

test('a scrape is valid Prometheus text that counts what happened', async () => {
  // Sign-in: one ok, one refused.
  assert.equal((await call(api, 'POST', '/auth/login',
    { body: { username: 'ops', password: 'wrong password' } })).status, 401);
  assert.equal((await call(api, 'GET', '/tasks', { token: reader })).status, 200);
  assert.equal((await call(api, 'GET', '/tasks/task-99', { token: reader })).status, 404);
  // MCP: a refused token, then an agent's session past its query limit (2/min).
  const refused = await fetch(srv.mcp, { method: 'POST', headers: {
    'content-type': 'application/json', accept: 'application/json, text/event-stream',
    authorization: 'Bearer drt_not_a_token' }, body: '{}' });
  assert.equal(refused.status, 401);
  const client = new Client({ name: 'metrics-e2e', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(srv.mcp),
    { requestInit: { headers: { authorization: `Bearer ${agentToken}` } } });
  await client.connect(transport);
  const outcomes = [];
  for (let i = 0; i < 3; i++) {
    const r = await client.callTool({ name: 'get_available_tasks', arguments: {} });
    outcomes.push(r.isError ? r.structuredContent?.code ?? 'error' : 'ok');
  }
  assert.deepEqual(outcomes.slice(0, 2), ['ok', 'ok']);
  assert.notEqual(outcomes[2], 'ok');
  await transport.terminateSession();
  await client.close();

  const got = await scrape();
  assert.equal(got.status, 200, got.text);
  assert.equal(got.type, 'text/plain; version=0.0.4; charset=utf-8');
  const check = spawnSync(PROMTOOL, ['check', 'metrics'], { input: got.text, encoding: 'utf8' });
  assert.equal(check.status, 0, `promtool: ${check.stdout}${check.stderr}`);
  const t = got.text;
  const rest = (method, route, code) =>
    sample(t, `docrunch_http_requests_total{listener="rest",method="${method}",route="${route}",code="${code}"}`);
  assert.ok(rest('POST', '/api/auth/login', '2xx') >= 2);
  assert.equal(rest('POST', '/api/auth/login', '4xx'), 1);
  assert.equal(rest('GET', '/api/tasks', '2xx'), 1);
  assert.equal(rest('GET', '/api/tasks/{id}', '4xx'), 1);
  assert.equal(sample(t, 'docrunch_http_request_duration_seconds_count{listener="rest",method="GET",route="/api/tasks"}'), 1);
  assert.ok(sample(t, 'docrunch_http_requests_total{listener="mcp",method="POST",route="/mcp",code="2xx"}') >= 4);
  assert.equal(sample(t, 'docrunch_http_requests_total{listener="mcp",method="POST",route="/mcp",code="4xx"}'), 1);
  assert.equal(sample(t, 'docrunch_mcp_tool_calls_total{tool="get_available_tasks",outcome="ok"}'), 2);
  assert.equal(sample(t, 'docrunch_mcp_tool_calls_total{tool="get_available_tasks",outcome="MCP_RATE_LIMITED"}'), 1);
  assert.equal(sample(t, 'docrunch_mcp_tool_duration_seconds_count{tool="get_available_tasks"}'), 3);
  assert.equal(sample(t, 'docrunch_rate_limited_total{surface="mcp",kind="query"}'), 1);
  assert.equal(sample(t, 'docrunch_auth_failures_total{surface="login"}'), 1);
  assert.equal(sample(t, 'docrunch_auth_failures_total{surface="mcp_http"}'), 1);
  // Read from the database at scrape time.
  assert.equal(sample(t, 'docrunch_db_up'), 1);
  assert.notEqual(sample(t, 'docrunch_outbox_pending_events{class="reports"}'), undefined);
  assert.notEqual(sample(t, 'docrunch_outbox_target_lag_seconds{target="index",class="scans"}'), undefined);
  assert.ok(sample(t, 'docrunch_outbox_target_entities{target="index",state="ok"}') > 0);
  // The fast queue's depth, from the queue itself (here the database's).
  assert.equal(sample(t, 'docrunch_jobs{backend="database",queue="fast",status="waiting"}'), 0);
  assert.ok(sample(t, `docrunch_db_pool_connections{pool="${process.env.DOCRUNCH_E2E_BACKEND === 'postgres' ? 'postgres' : 'sqlite_readers'}",state="max"}`) > 0);
  // Families with nothing to count yet are still declared (the LLM layer's).
  for (const family of ['docrunch_llm_tokens_total', 'docrunch_llm_cost_usd_total',
    'docrunch_workflow_runs', 'docrunch_jobs', 'docrunch_scan_duration_seconds']) {
    assert.match(t, new RegExp(`^# TYPE ${family} `, 'm'), family);
  }
  assert.match(t, /^docrunch_build_info\{version="[^"]+"\} 1$/m);
  // Embedded mode: the server's own sync worker applied the task's event.
  assert.ok(sample(t, 'docrunch_sync_events_processed_total') >= 0);
});

test('from beyond loopback /metrics needs an admin token', async () => {
  // A loopback proxy names the client in X-Forwarded-For (as nginx does).
  const remote = { 'x-forwarded-for': '203.0.113.7' };
  let r = await scrape(remote);
  assert.equal(r.status, 401);
  assert.equal(JSON.parse(r.text).error.code, 'UNAUTHORIZED');
  r = await scrape({ ...remote, authorization: `Bearer ${reader}` });
  assert.equal(r.status, 403);
  r = await scrape({ ...remote, authorization: 'Bearer not-a-jwt' });
  assert.equal(r.status, 401);
  r = await scrape({ ...remote, authorization: `Bearer ${admin}` });
  assert.equal(r.status, 200);
  assert.match(r.text, /^# TYPE docrunch_http_requests_total counter$/m);
  const post = await fetch(`${base}/metrics`, { method: 'POST' });
  assert.equal(post.status, 405);
});

test('a request id ties the answer, the JSON log, the audit row and the query trace', async () => {
  const id = `e2e-${process.pid}-search`;
  const search = await call(api, 'GET', '/search?q=invoice', { token: reader, headers: { 'x-request-id': id } });
  assert.equal(search.status, 200, search.text);
  assert.equal(search.headers.get('x-request-id'), id);
  const traceId = search.json.data.trace_id;
  assert.ok(traceId);
  let trace;
  for (let i = 0; i < 50 && !trace; i++) {  // traces are written in the background
    const r = await call(api, 'GET', `/queries/trace/${traceId}`, { token: reader });
    if (r.status === 200) trace = r.json.data;
    else await new Promise((res) => setTimeout(res, 100));
  }
  assert.ok(trace, 'the trace was written');
  assert.equal(trace.request_id, id);

  const loginId = `e2e-${process.pid}-login`;
  const login = await call(api, 'POST', '/auth/login', { headers: { 'x-request-id': loginId },
    body: { username: 'viewer', password: PASSWORD } });
  assert.equal(login.status, 200);
  assert.equal(login.headers.get('x-request-id'), loginId);
  let row;
  for (let i = 0; i < 50 && !row; i++) {  // audit rows too
    const r = await call(api, 'GET', '/audit?action=rest.login&actor=viewer', { token: admin });
    row = r.json.data.items.find((x) => x.details.request_id === loginId);
    if (!row) await new Promise((res) => setTimeout(res, 100));
  }
  assert.ok(row, 'the audit row carries the request id');
  assert.equal(row.outcome, 'ok');

  // Every line on stderr is one JSON object; the request's lines carry its id.
  const lines = stderr.split('\n').filter((l) => l.startsWith('{'));
  for (const line of lines) JSON.parse(line);
  const logged = lines.map((l) => JSON.parse(l)).filter((l) => l.request_id === loginId);
  assert.ok(logged.some((l) => /POST \/api\/auth\/login 200/.test(l.msg)), stderr.slice(-2000));

  // An id that could break a header or a log line is replaced by one made here.
  for (const bad of ['two words', 'x'.repeat(65), 'quote"d']) {
    const r = await call(api, 'GET', '/health', { headers: { 'x-request-id': bad } });
    assert.match(r.headers.get('x-request-id'), /^[0-9a-f]{16}$/);
  }
  const mcp = await fetch(srv.mcp, { method: 'DELETE', headers: { 'x-request-id': 'mcp-side' } });
  assert.equal(mcp.headers.get('x-request-id'), 'mcp-side');
});

test('a worker process serves its own /metrics on loopback', async () => {
  const own = makeProject('docrunch-worker-metrics-');
  const worker = spawn(bin, ['worker', 'start', '--queue', 'sync', '--metrics-port', '0'],
    { cwd: own.dir, env: own.env, stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    const url = await new Promise((resolve, reject) => {
      let err = '';
      worker.stderr.on('data', (d) => {
        err += d;
        const m = err.match(/worker metrics at (http:\/\/\S+\/metrics)/);
        if (m) resolve(m[1]);
      });
      worker.on('exit', (code) => reject(new Error(`worker exited ${code}: ${err}`)));
    });
    // Written with the CLI's own drain off, so the worker applies the event.
    own.run(['--set', 'storage.sync.enabled=false', 'task', 'create', '--type', 'feature',
      '--title', 'Counted by the worker']);
    let text = '';
    for (let i = 0; i < 100; i++) {
      text = await (await fetch(url)).text();
      if (sample(text, 'docrunch_sync_events_processed_total') >= 1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(sample(text, 'docrunch_sync_events_processed_total') >= 1, text);
    assert.ok(sample(text, 'docrunch_sync_applications_total{outcome="applied"}') >= 1);
    assert.ok(sample(text, 'docrunch_sync_batch_duration_seconds_count') >= 1);
    const check = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(check.status, 0, `promtool: ${check.stdout}${check.stderr}`);
    assert.equal((await fetch(url.replace(/\/metrics$/, '/other'))).status, 404);
    assert.equal((await fetch(url, { method: 'POST' })).status, 405);
  } finally {
    worker.kill('SIGTERM');
    own.cleanup();
  }
  // No sign-in: never beyond loopback.
  const refused = spawnSync(bin, ['worker', 'start', '--metrics-port', '0', '--metrics-host', '0.0.0.0'],
    { cwd: project.dir, env: project.env, encoding: 'utf8' });
  assert.equal(refused.status, 2, refused.stderr);
  assert.match(refused.stderr, /--metrics-host/);
});

test('with Redis as the fast queue, the depth comes from Redis', { skip: !process.env.DOCRUNCH_TEST_REDIS_URL }, async () => {
  const own = makeProject('docrunch-redis-metrics-');
  const sets = ['jobs.backend=redis', 'jobs.redis_url_env=DOCRUNCH_TEST_REDIS_URL',
    `jobs.queue_name=metrics_${process.pid}_${Date.now()}`];
  const setArgs = sets.flatMap((x) => ['--set', x]);
  const other = await serve(own, sets);
  try {
    own.run([...setArgs, 'jobs', 'enqueue', 'mark', '--payload', '{}']);
    own.run([...setArgs, 'jobs', 'enqueue', 'mark', '--payload', '{"work_ms": 0}']);
    const text = await (await fetch(`${other.api.replace(/\/api$/, '')}/metrics`)).text();
    assert.equal(sample(text, 'docrunch_jobs{backend="redis",queue="fast",status="waiting"}'), 2, text);
    assert.equal(sample(text, 'docrunch_jobs{backend="redis",queue="fast",status="dead"}'), 0);
  } finally {
    other.server.kill('SIGTERM');
    own.cleanup();
  }
});
