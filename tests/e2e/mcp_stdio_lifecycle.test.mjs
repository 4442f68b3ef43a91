// `docrunch serve --stdio` as a process, with raw JSON-RPC lines: a message
// over the size limit gets an error and the next message is served; end of
// input and SIGTERM both end the process cleanly (exit 0), stdout holds
// only whole JSON-RPC lines and every log line goes to stderr.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const bin = process.env.DOCRUNCH_BIN ?? path.join(root, 'build/docrunch');
let dir;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docrunch-mcp-stdio-'));
  fs.writeFileSync(path.join(dir, 'calc.py'), 'def add(a, b):\n    return a + b\n');
  execFileSync(bin, ['init', '.'], { cwd: dir });
  execFileSync(bin, ['scan', '--quiet'], { cwd: dir });
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

// A server process with helpers to send a line and await the reply to an id.
function serve(extra = []) {
  const env = { ...process.env };
  delete env.DOCRUNCH_AGENT_TOKEN;
  const child = spawn(bin, ['--debug', 'serve', '--stdio', ...extra], { cwd: dir, env });
  const state = { out: '', err: '', waiters: [] };
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (d) => {
    state.out += d;
    for (const w of [...state.waiters]) w();
  });
  child.stderr.on('data', (d) => { state.err += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const messages = () => state.out.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));
  const reply = (pred) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no reply; stdout: ${state.out.slice(0, 500)}`)), 10000);
    const check = () => {
      const m = state.out.endsWith('\n') && messages().find(pred);
      if (m) {
        clearTimeout(timer);
        state.waiters.splice(state.waiters.indexOf(check), 1);
        resolve(m);
      }
    };
    state.waiters.push(check);
    check();
  });
  const send = (message) => child.stdin.write(
    (typeof message === 'string' ? message : JSON.stringify(message)) + '\n');
  return { child, state, exited, reply, send, messages };
}

const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: {
  protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

async function initialized(server) {
  server.send(initialize);
  const init = await server.reply((m) => m.id === 1);
  assert.equal(init.result.serverInfo.name, 'docrunch');
  server.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
}

test('an oversized message gets an error and the next message is served', async () => {
  const server = serve(['--max-message-kb', '16']);
  await initialized(server);
  const big = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call',
    params: { name: 'search_docs', arguments: { query: 'x'.repeat(64 * 1024) } } });
  server.send(big);
  const refused = await server.reply((m) => m.error && m.id === null);
  assert.equal(refused.error.code, -32600);
  assert.match(refused.error.message, /exceeds 16384 bytes/);
  server.send({ jsonrpc: '2.0', id: 3, method: 'ping' });
  assert.deepEqual((await server.reply((m) => m.id === 3)).result, {});
  // Malformed JSON and a 1 MB line of garbage do not stop it either.
  server.send('{not json');
  server.send('y'.repeat(1024 * 1024));
  server.send({ jsonrpc: '2.0', id: 4, method: 'tools/list' });
  assert.ok((await server.reply((m) => m.id === 4)).result.tools.length > 0);
  assert.equal(server.messages().filter((m) => m.error?.code === -32700).length, 1);
  assert.equal(server.messages().filter((m) => m.error?.code === -32600).length, 2);
  server.child.stdin.end();
  assert.deepEqual(await server.exited, { code: 0, signal: null });
});

test('end of input: exit 0, whole lines on stdout, logs on stderr', async () => {
  const server = serve();
  await initialized(server);
  server.send({ jsonrpc: '2.0', id: 2, method: 'tools/call',
    params: { name: 'list_tasks', arguments: {} } });
  server.child.stdin.end();  // the request is still answered before exit
  assert.deepEqual(await server.exited, { code: 0, signal: null });
  assert.ok(server.state.out.endsWith('\n'));
  const replies = server.messages();
  assert.ok(replies.every((m) => m.jsonrpc === '2.0'), server.state.out);
  assert.equal(replies.find((m) => m.id === 2).result.isError, false);
  assert.ok(server.state.err.length > 0, 'with --debug the server logs, on stderr');
});

test('SIGTERM: exit 0 and no partial line on stdout', async () => {
  const server = serve();
  await initialized(server);
  server.send({ jsonrpc: '2.0', id: 2, method: 'ping' });
  await server.reply((m) => m.id === 2);
  const started = Date.now();
  server.child.kill('SIGTERM');
  assert.deepEqual(await server.exited, { code: 0, signal: null });
  assert.ok(Date.now() - started < 5000, 'stops promptly');
  assert.ok(server.state.out.endsWith('\n'));
  for (const line of server.state.out.split('\n').filter(Boolean)) JSON.parse(line);
});

test('SIGTERM during a burst of calls: every line written is whole', async () => {
  const server = serve();
  await initialized(server);
  for (let id = 10; id < 60; id++) {
    server.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'search_docs',
      arguments: { query: 'add' } } });
  }
  await server.reply((m) => m.id === 10);
  server.child.kill('SIGTERM');
  assert.deepEqual(await server.exited, { code: 0, signal: null });
  assert.ok(server.state.out.endsWith('\n'));
  for (const line of server.state.out.split('\n').filter(Boolean)) JSON.parse(line);
});
