// The Streamable HTTP transport of `docrunch serve --http`, over real HTTP:
// the MCP-Protocol-Version header, Host/Origin checks, bearer auth, body and
// header-time limits, session end and idle expiry, SSE streams with
// Last-Event-ID resumption, and list_changed reaching an SDK client.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { serveUrl } from './serve_url.mjs';

const root = path.resolve(import.meta.dirname, '../..');
const sdk = path.join(root, 'third_party/node_modules/@modelcontextprotocol/sdk/dist/esm');
const { Client } = await import(path.join(sdk, 'client/index.js'));
const { StreamableHTTPClientTransport } = await import(path.join(sdk, 'client/streamableHttp.js'));
const { ResourceListChangedNotificationSchema } = await import(path.join(sdk, 'types.js'));
const bin = path.resolve(process.env.DOCRUNCH_BIN ?? path.join(root, 'build/docrunch'));
const servers = [];
let dir;

const docrunch = (args) => execFileSync(bin, args, { cwd: dir, encoding: 'utf8' });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

async function serve(set = []) {
  const server = spawn(bin, [...set.flatMap((s) => ['--set', s]), 'serve', '--http',
    '--host', '127.0.0.1', '--port', '0', '--api-port', '0'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  servers.push(server);
  return serveUrl(server);
}

const rpc = (id, method, params = {}) => JSON.stringify({ jsonrpc: '2.0', id, method, params });
const INIT = (version = '2025-11-25') => rpc(1, 'initialize', {
  protocolVersion: version, capabilities: {}, clientInfo: { name: 'transport-test', version: '1' } });

// initialize + initialized; returns the session id.
async function openSession(url, headers = {}) {
  const r = await fetch(url, { method: 'POST', body: INIT(), headers: { ...JSON_HEADERS, ...headers } });
  assert.equal(r.status, 200, await r.clone().text());
  const session = r.headers.get('mcp-session-id');
  assert.ok(session);
  const n = await fetch(url, { method: 'POST', headers: { ...JSON_HEADERS, ...headers, 'mcp-session-id': session },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
  assert.equal(n.status, 202);
  return session;
}

const post = (url, session, body, headers = {}) => fetch(url, { method: 'POST', body,
  headers: { ...JSON_HEADERS, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25', ...headers } });

// A GET stream read event by event: next() resolves with {id, data} or
// null after `ms` without one.
async function openStream(url, session, lastEventId) {
  const controller = new AbortController();
  const headers = { accept: 'text/event-stream', 'mcp-session-id': session };
  if (lastEventId) headers['last-event-id'] = lastEventId;
  const r = await fetch(url, { headers, signal: controller.signal });
  assert.equal(r.status, 200);
  const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  let pending = null;
  const next = async (ms = 3000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const end = text.indexOf('\n\n');
      if (end >= 0) {
        const block = text.slice(0, end);
        text = text.slice(end + 2);
        const id = block.match(/^id: (.*)$/m)?.[1];
        const data = block.match(/^data: ?(.*)$/m)?.[1];
        if (id === undefined) continue;  // a comment (stream open, keep-alive)
        return { id, data };
      }
      const left = deadline - Date.now();
      if (left <= 0) return null;
      pending ??= reader.read();
      const chunk = await Promise.race([pending, sleep(left).then(() => 'timeout')]);
      if (chunk === 'timeout') return null;
      pending = null;
      if (chunk.done) return null;
      text += chunk.value;
    }
  };
  return { next, close: () => controller.abort() };
}

// Every event (with data) of a stream until it is quiet for `quietMs`.
async function drain(stream, quietMs = 1500) {
  const events = [];
  for (let e; (e = await stream.next(quietMs));) if (e.data) events.push(e);
  return events;
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docrunch-mcp-transport-'));
  fs.mkdirSync(path.join(dir, 'pkg'));
  fs.writeFileSync(path.join(dir, 'pkg/calc.py'), 'def add(a, b):\n    return a + b\n');
  docrunch(['init', '.']);
  docrunch(['scan', '--quiet']);
});

after(() => {
  for (const s of servers) s.kill('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('MCP-Protocol-Version: absent is accepted as 2025-03-26, unsupported is 400 with a JSON-RPC error', async () => {
  const url = await serve();
  const session = await openSession(url);
  let r = await fetch(url, { method: 'POST', body: rpc(2, 'ping'), headers: { ...JSON_HEADERS, 'mcp-session-id': session } });
  assert.equal(r.status, 200);
  assert.deepEqual((await r.json()).result, {});
  for (const bad of ['1999-01-01', 'latest']) {
    r = await post(url, session, rpc(3, 'ping'), { 'mcp-protocol-version': bad });
    assert.equal(r.status, 400);
    const body = await r.json();
    assert.equal(body.jsonrpc, '2.0');
    assert.equal(body.error.code, -32600);
    assert.match(body.error.message, new RegExp(`MCP-Protocol-Version: unsupported version '${bad}'`));
  }
  r = await fetch(url, { headers: { accept: 'text/event-stream', 'mcp-session-id': session, 'mcp-protocol-version': '2.0' } });
  assert.equal(r.status, 400);
  for (const good of ['2025-03-26', '2025-06-18', '2025-11-25']) {
    r = await post(url, session, rpc(4, 'ping'), { 'mcp-protocol-version': good });
    assert.equal(r.status, 200);
  }
});

test('bad Host and bad Origin are refused with 403, loopback ones accepted', async () => {
  const url = new URL(await serve());
  const send = (headers) => new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: '/mcp', method: 'POST',
      headers: { ...JSON_HEADERS, ...headers } }, (res) => { res.resume(); resolve(res.statusCode); });
    req.on('error', reject);
    req.end(INIT());
  });
  assert.equal(await send({ host: 'evil.example.com' }), 403);
  assert.equal(await send({ host: `evil.example.com:${url.port}` }), 403);
  assert.equal(await send({ origin: 'http://evil.example.com' }), 403);
  assert.equal(await send({ host: `localhost:${url.port}`, origin: `http://localhost:${url.port}` }), 200);
  assert.equal(await send({ host: `127.0.0.1:${url.port}` }), 200);
});

test('a client that sends its headers too slowly is cut off; others are served meanwhile', async () => {
  const url = new URL(await serve(['server.mcp.header_timeout=1s']));
  const socket = net.connect(Number(url.port), url.hostname);
  const started = Date.now();
  const closed = new Promise((resolve) => socket.on('close', () => resolve(Date.now() - started)));
  socket.on('error', () => {});
  socket.write('POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n');
  // One header byte every 200 ms: each read is quick, the headers never end.
  const drip = setInterval(() => socket.write('X'), 200);
  const session = await openSession(url.href);
  assert.equal((await post(url.href, session, rpc(2, 'ping'))).status, 200);
  const ms = await Promise.race([closed, sleep(5000).then(() => -1)]);
  clearInterval(drip);
  socket.destroy();
  assert.ok(ms > 0, 'the server kept the slow connection open for 5 s');
  assert.ok(ms >= 900 && ms < 4000, `cut off after ${ms} ms, expected about 1 s`);
});

test('an oversized body gets 413 and DELETE ends the session (later requests 404)', async () => {
  const url = await serve(['server.mcp.header_timeout=1s']);
  const session = await openSession(url);
  let r = await post(url, session, JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'ping', params: { pad: 'x'.repeat(5 * 1024 * 1024) } }));
  assert.equal(r.status, 413);
  assert.match((await r.json()).error.message, /Payload Too Large/);
  r = await post(url, session, rpc(2, 'ping'));
  assert.equal(r.status, 200, 'the session outlives the refused request');
  r = await fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': session } });
  assert.equal(r.status, 200);
  r = await post(url, session, rpc(3, 'ping'));
  assert.equal(r.status, 404);
  r = await fetch(url, { headers: { accept: 'text/event-stream', 'mcp-session-id': session } });
  assert.equal(r.status, 404);
  r = await fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': session } });
  assert.equal(r.status, 404);
});

// Regression: an SSE response ended and its connection closed without
// `Connection: close`, so a keep-alive client reused the socket and its next
// request failed with "other side closed".
test('an SSE stream that ends says Connection: close, so a kept-alive client never reuses it', async () => {
  const url = new URL(await serve());
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const request = (method, headers, body) => new Promise((resolve, reject) => {
    const req = http.request({ agent, host: url.hostname, port: url.port, path: '/mcp', method, headers },
      (res) => { let text = ''; res.on('data', (d) => { text += d; }); res.on('end', () => resolve({ res, text })); });
    req.on('error', reject);
    req.end(body);
  });
  const session = await openSession(url.href);
  // A POST answered on an SSE stream (it asks for progress), then plain requests on the same agent.
  for (let i = 0; i < 3; i++) {
    const { res, text } = await request('POST', { ...JSON_HEADERS, 'mcp-session-id': session },
      rpc(10 + i, 'resources/list', { _meta: { progressToken: `p${i}` } }));
    assert.equal(res.headers['content-type'], 'text/event-stream');
    assert.equal(res.headers.connection, 'close');
    assert.match(text, new RegExp(`"id":${10 + i}`));
    const ping = await request('POST', { ...JSON_HEADERS, 'mcp-session-id': session }, rpc(20 + i, 'ping'));
    assert.equal(ping.res.statusCode, 200);
  }
  agent.destroy();
});

test('an idle session expires (404) while a used one lives on', async () => {
  const url = await serve(['server.mcp.session_idle=1s']);
  const idle = await openSession(url);
  const busy = await openSession(url);
  for (let i = 0; i < 6; i++) {
    await sleep(400);
    assert.equal((await post(url, busy, rpc(10 + i, 'ping'))).status, 200);
  }
  assert.equal((await post(url, idle, rpc(2, 'ping'))).status, 404);
  const stream = await openStream(url, busy);  // an open stream keeps it too
  await sleep(2000);
  stream.close();
  assert.equal((await post(url, busy, rpc(20, 'ping'))).status, 200);
});

test('a bad bearer token gets 401 with WWW-Authenticate; a good one is served', async () => {
  const token = docrunch(['token', 'create', '--name', 'transport-agent', '--role', 'agent']).trim();
  const url = await serve(['server.mcp.auth.enabled=true']);
  for (const auth of [undefined, 'Bearer drt_not-a-token', `Basic ${token}`]) {
    const headers = auth ? { authorization: auth } : {};
    const r = await fetch(url, { method: 'POST', body: INIT(), headers: { ...JSON_HEADERS, ...headers } });
    assert.equal(r.status, 401, `Authorization: ${auth}`);
    assert.match(r.headers.get('www-authenticate'), /^Bearer /);
    assert.equal((await r.json()).error.code, -32600);
  }
  const session = await openSession(url, { authorization: `Bearer ${token}` });
  const r = await post(url, session, rpc(2, 'ping'), { authorization: `Bearer ${token}` });
  assert.equal(r.status, 200);
  assert.equal((await post(url, session, rpc(3, 'ping'), { authorization: 'Bearer drt_wrong' })).status, 401);
});

test('Last-Event-ID replays only the events of that stream after that id', async () => {
  const url = await serve();
  const session = await openSession(url);
  assert.equal((await post(url, session, rpc(2, 'resources/subscribe', { uri: 'docs://tasks/available' }))).status, 200);
  const a = await openStream(url, session);
  const priming = await a.next();
  assert.match(priming.id, /^\d+-0$/);
  assert.equal(priming.data, '');
  const streamA = priming.id.split('-')[0];
  docrunch(['task', 'create', '--type', 'feature', '--title', 'First change']);
  const seenOnA = await drain(a);
  assert.ok(seenOnA.length >= 2, `expected updated + list_changed on A, got ${JSON.stringify(seenOnA)}`);
  assert.ok(seenOnA.every((e) => e.id.startsWith(`${streamA}-`)));
  a.close();
  // A second stream: later messages go to it (to one stream only).
  const b = await openStream(url, session);
  const streamB = (await b.next()).id.split('-')[0];
  assert.notEqual(streamB, streamA);
  docrunch(['task', 'create', '--type', 'feature', '--title', 'Second change']);
  const seenOnB = await drain(b);
  assert.ok(seenOnB.length >= 1);
  assert.ok(seenOnB.every((e) => e.id.startsWith(`${streamB}-`)));
  // Resume A after its first event: the rest of A, nothing of B.
  const resumed = await openStream(url, session, seenOnA[0].id);
  const replay = await drain(resumed, 1000);
  resumed.close();
  b.close();
  assert.deepEqual(replay, seenOnA.slice(1));
  const r = await fetch(url, { headers: { accept: 'text/event-stream', 'mcp-session-id': session, 'last-event-id': 'bogus' } });
  assert.equal(r.status, 400);
});

test('an SDK client subscribed to list changes hears of a new task', async () => {
  const url = await serve();
  const client = new Client({ name: 'list-changed-e2e', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  assert.equal(client.getServerCapabilities().resources.listChanged, true);
  assert.equal(client.getServerCapabilities().tools.listChanged, undefined);
  assert.equal(client.getServerCapabilities().prompts.listChanged, undefined);
  const before = (await client.listResources()).resources.map((r) => r.uri);
  const heard = new Promise((resolve) =>
    client.setNotificationHandler(ResourceListChangedNotificationSchema, () => resolve(true)));
  await sleep(300);  // the SDK opens its GET stream after initialize
  docrunch(['task', 'create', '--type', 'feature', '--title', 'Listed task']);
  assert.equal(await Promise.race([heard, sleep(5000).then(() => false)]), true);
  const now = (await client.listResources()).resources;
  const added = now.filter((r) => !before.includes(r.uri));
  assert.equal(added.length, 1);
  assert.match(added[0].uri, /^docs:\/\/tasks\/task-\d+$/);
  assert.equal(added[0].title, 'Listed task');
  const read = await client.readResource({ uri: added[0].uri });
  assert.match(read.contents[0].text, /Listed task/);
  // A rescan that adds a module changes the list too.
  const heardAgain = new Promise((resolve) =>
    client.setNotificationHandler(ResourceListChangedNotificationSchema, () => resolve(true)));
  fs.mkdirSync(path.join(dir, 'lib'));
  fs.writeFileSync(path.join(dir, 'lib/util.py'), 'def helper():\n    return 1\n');
  docrunch(['scan', '--quiet']);
  assert.equal(await Promise.race([heardAgain, sleep(5000).then(() => false)]), true);
  const modules = (await client.listResources()).resources.map((r) => r.uri);
  assert.ok(modules.includes('docs://modules/lib'), JSON.stringify(modules));
  await transport.terminateSession();
  await client.close();
});
