// End to end over Streamable HTTP: the official SDK client against
// `docrunch serve --http`, plus the HTTP-level refusals a browser or a
// stale client meets.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serveUrl } from './serve_url.mjs';

const root = path.resolve(import.meta.dirname, '../..');
const sdk = path.join(root, 'third_party/node_modules/@modelcontextprotocol/sdk/dist/esm');
const { Client } = await import(path.join(sdk, 'client/index.js'));
const { StreamableHTTPClientTransport } = await import(path.join(sdk, 'client/streamableHttp.js'));
const bin = process.env.DOCRUNCH_BIN ?? path.join(root, 'build/docrunch');
let dir, server, url;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docrunch-mcp-http-'));
  fs.mkdirSync(path.join(dir, 'pkg'));
  fs.writeFileSync(path.join(dir, 'pkg/calc.py'), 'def add(a, b):\n    return a + b\n');
  const run = (args) => execFileSync(bin, args, { cwd: dir, encoding: 'utf8' });
  run(['init', '.']);
  run(['scan', '--quiet']);
  run(['task', 'create', '--type', 'feature', '--title', 'Subtract too']);
  server = spawn(bin, ['serve', '--http', '--host', '127.0.0.1', '--port', '0', '--api-port', '0'], { cwd: dir });
  url = await serveUrl(server);
});

after(() => {
  server?.kill('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the SDK client works a task over Streamable HTTP', async () => {
  const client = new Client({ name: 'docrunch-e2e-http', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  assert.ok(transport.sessionId);
  const tasks = await client.callTool({ name: 'get_available_tasks', arguments: {} });
  assert.deepEqual(tasks.structuredContent.tasks.map((t) => t.id), ['task-1']);
  const claim = await client.callTool({ name: 'claim_task', arguments: {
    task_id: 'task-1', reported_by: 'http-agent', reported_at: new Date().toISOString() } });
  assert.equal(claim.structuredContent.task.assigned_to, 'http-agent');
  const impact = await client.callTool({ name: 'get_impact',
    arguments: { path_or_symbol: 'pkg/calc.py' } }, undefined, { onprogress: () => {} });
  assert.equal(impact.structuredContent.node, 'pkg/calc.py');
  await transport.terminateSession();
  await client.close();
});

test('HTTP refusals: bad Origin, missing Accept, unknown session, bad JSON, oversized body', async () => {
  const init = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {
    protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } } });
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  let r = await fetch(url, { method: 'POST', body: init, headers: { ...headers, origin: 'http://evil.example' } });
  assert.equal(r.status, 403);
  r = await fetch(url, { method: 'POST', body: init, headers: { ...headers, accept: 'application/json' } });
  assert.equal(r.status, 406);
  r = await fetch(url, { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }),
    headers: { ...headers, 'mcp-session-id': 'no-such-session' } });
  assert.equal(r.status, 404);
  r = await fetch(url, { method: 'POST', body: '{oops', headers });
  assert.equal(r.status, 400);
  assert.equal((await r.json()).error.code, -32700);
  r = await fetch(url, { method: 'POST', body: init, headers });
  assert.equal(r.status, 200);
  const session = r.headers.get('mcp-session-id');
  r = await fetch(url, { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    headers: { ...headers, 'mcp-session-id': session } });
  assert.equal(r.status, 202);
  r = await fetch(url, { method: 'POST', body: 'x'.repeat(5 * 1024 * 1024), headers: { ...headers, 'mcp-session-id': session } });
  assert.equal(r.status, 413);
  // 140 KB nested 70,000 deep: refused, and the server is still there.
  const deep = `{"jsonrpc":"2.0","id":3,"method":"ping","params":{"a":${'['.repeat(70000)}${']'.repeat(70000)}}}`;
  r = await fetch(url, { method: 'POST', body: deep, headers: { ...headers, 'mcp-session-id': session } });
  assert.equal(r.status, 400);
  assert.equal((await r.json()).error.code, -32600);
  r = await fetch(url, { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'ping' }),
    headers: { ...headers, 'mcp-session-id': session } });
  assert.equal(r.status, 200);
  r = await fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': session } });
  assert.equal(r.status, 200);
  r = await fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': session } });
  assert.equal(r.status, 404);
});
