// The rate limit is global: two `docrunch serve --http` processes sharing
// one real Redis (DOCRUNCH_TEST_REDIS_URL; run_node_test.sh skips without
// it) admit, together, exactly queries_per_minute calls of one agent token;
// every other call fails fast with MCP_RATE_LIMITED and a retry-after.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serveUrl } from './serve_url.mjs';

const root = path.resolve(import.meta.dirname, '../..');
const sdk = path.join(root, 'third_party/node_modules/@modelcontextprotocol/sdk/dist/esm');
const { Client } = await import(path.join(sdk, 'client/index.js'));
const { StreamableHTTPClientTransport } = await import(path.join(sdk, 'client/streamableHttp.js'));
const bin = process.env.DOCRUNCH_BIN ?? path.join(root, 'build/docrunch');
const redis = process.env.DOCRUNCH_TEST_REDIS_URL;
const LIMIT = 5;
const CALLS_PER_SERVER = 7;
let dir, token;
const servers = [];
const clients = [];

function startServer() {
  const server = spawn(bin, ['--set', `jobs.redis_url=${redis}`,
    '--set', `server.mcp.rate_limit.queries_per_minute=${LIMIT}`,
    '--set', 'server.mcp.auth.enabled=true',
    'serve', '--http', '--host', '127.0.0.1', '--port', '0', '--api-port', '0'], { cwd: dir });
  servers.push(server);
  return serveUrl(server);
}

async function connect(url) {
  const client = new Client({ name: 'docrunch-e2e-rate', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url),
    { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  clients.push(client);
  return client;
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docrunch-mcp-rate-'));
  fs.writeFileSync(path.join(dir, 'calc.py'), 'def add(a, b):\n    return a + b\n');
  const run = (args) => execFileSync(bin, args, { cwd: dir, encoding: 'utf8' });
  run(['init', '.']);
  run(['scan', '--quiet']);
  // A fresh agent per run: its counters in the shared Redis start at zero.
  const agent = `rate-${crypto.randomBytes(6).toString('hex')}`;
  token = run(['token', 'create', '--name', agent, '--role', 'agent']).trim();
});

after(async () => {
  for (const c of clients) await c.close().catch(() => {});
  for (const s of servers) s.kill('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('two serve processes on one Redis admit exactly the limit between them', async () => {
  const [urlA, urlB] = await Promise.all([startServer(), startServer()]);
  assert.notEqual(urlA, urlB);
  const [a, b] = await Promise.all([connect(urlA), connect(urlB)]);
  // Counting windows are whole minutes: do not start a burst at a minute's end.
  const second = new Date().getUTCSeconds();
  if (second > 50) await new Promise((r) => setTimeout(r, (61 - second) * 1000));

  const started = Date.now();
  const calls = [];
  for (let i = 0; i < CALLS_PER_SERVER; i++) {
    calls.push(a.callTool({ name: 'list_tasks', arguments: {} }));
    calls.push(b.callTool({ name: 'list_tasks', arguments: {} }));
  }
  const results = await Promise.all(calls);
  const admitted = results.filter((r) => !r.isError);
  const refused = results.filter((r) => r.isError);
  assert.equal(admitted.length, LIMIT, 'one budget across both processes');
  assert.equal(refused.length, 2 * CALLS_PER_SERVER - LIMIT);
  for (const r of refused) {
    const error = r._meta?.['docrunch/error'] ?? {};
    assert.equal(error.code, 'MCP_RATE_LIMITED', JSON.stringify(r));
    assert.ok(error.retry_after_seconds >= 1 && error.retry_after_seconds <= 60,
      `retry_after_seconds ${error.retry_after_seconds}`);
  }
  // Each process refused some: neither counted alone.
  const refusedBy = (i) => results.filter((r, k) => k % 2 === i && r.isError).length;
  assert.ok(refusedBy(0) > 0 && refusedBy(1) > 0);
  // Refusals are fast: the whole burst is well under a second here.
  assert.ok(Date.now() - started < 5000);
});
