// The shipped nginx config (deploy/nginx/docrunch.conf) in front of the real
// `docrunch serve --http`, run by Debian's nginx as this user in a temporary
// directory with a certificate `openssl` makes there: HTTP -> HTTPS, TLS
// 1.2 and 1.3 only, HSTS, a sign-in, a WebSocket exchange and a whole MCP
// session (the official TypeScript SDK client) over HTTPS, SSE without
// buffering, the body limit, and the request id nginx hands to Docrunch.
//
// The config under test is the deploy file itself with its ports, name and
// paths substituted; each substitution must match exactly as often as
// expected, so a change to the file that the test would not follow fails.
//
// Node reads extra CA certificates only at start: the test makes the
// certificate, then runs itself again with NODE_EXTRA_CA_CERTS (and Node
// 20's WebSocket client) so the TLS checks stay on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';

const root = path.resolve(import.meta.dirname, '../..');
const NGINX = process.env.DOCRUNCH_NGINX ?? '/usr/sbin/nginx';
const OPENSSL = process.env.DOCRUNCH_OPENSSL ?? '/usr/bin/openssl';

if (!process.env.DOCRUNCH_INGRESS_DIR) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docrunch-ingress-'));
  execFileSync(OPENSSL, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
  // Run as a plain script (node:test runs its tests then), not under
  // --test, whose runner would skip a nested run.
  const env = { ...process.env, DOCRUNCH_INGRESS_DIR: dir, NODE_EXTRA_CA_CERTS: path.join(dir, 'cert.pem') };
  delete env.NODE_TEST_CONTEXT;
  const child = spawnSync(process.execPath, ['--experimental-websocket', import.meta.filename],
    { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
  fs.rmSync(dir, { recursive: true, force: true });
  process.stdout.write(child.stdout ?? '');
  // The run must have run every test, and every one must have passed.
  const count = (name) => Number((child.stdout ?? '').match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? -1);
  const ok = child.status === 0 && count('pass') >= 7 && count('fail') === 0 && count('skipped') === 0;
  process.exit(ok ? 0 : 1);
}

const { makeProject, serve, call } = await import('../e2e/rest_server.mjs');
const sdk = path.join(root, 'third_party/node_modules/@modelcontextprotocol/sdk/dist/esm');
const { Client } = await import(path.join(sdk, 'client/index.js'));
const { StreamableHTTPClientTransport } = await import(path.join(sdk, 'client/streamableHttp.js'));
const { ResourceListChangedNotificationSchema } = await import(path.join(sdk, 'types.js'));

const PASSWORD = 'correct horse battery';
const dir = process.env.DOCRUNCH_INGRESS_DIR;
let project, srv, nginx, nginxLog = '', httpPort, httpsPort, agentToken;
let https;  // https://localhost:PORT

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// Replaces every `from` in `text` by `to`, asserting how many there were.
function substitute(text, from, to, count) {
  const found = text.split(from).length - 1;
  assert.equal(found, count, `deploy/nginx/docrunch.conf: expected ${count} of "${from}", found ${found}`);
  return text.split(from).join(to);
}

// The deploy file for this run: loopback high ports, this run's upstreams,
// certificate and challenge folder.
export function testSite(deployText, ports) {
  let t = deployText;
  t = substitute(t, '    listen [::]:80;\n', '', 1);
  t = substitute(t, '    listen [::]:443 ssl http2;\n', '', 1);
  t = substitute(t, 'listen 80;', `listen 127.0.0.1:${ports.http};`, 1);
  t = substitute(t, 'listen 443 ssl http2;', `listen 127.0.0.1:${ports.https} ssl http2;`, 1);
  t = substitute(t, 'server 127.0.0.1:3333;', `server 127.0.0.1:${ports.rest};`, 1);
  t = substitute(t, 'server 127.0.0.1:3334;', `server 127.0.0.1:${ports.mcp};`, 1);
  t = substitute(t, 'server_name docrunch.example.com;', 'server_name localhost;', 2);
  t = substitute(t, '/etc/letsencrypt/live/docrunch.example.com/fullchain.pem', path.join(dir, 'cert.pem'), 1);
  t = substitute(t, '/etc/letsencrypt/live/docrunch.example.com/privkey.pem', path.join(dir, 'key.pem'), 1);
  t = substitute(t, 'root /var/www/letsencrypt;', `root ${path.join(dir, 'acme')};`, 1);
  return t;
}

// nginx.conf around the site: everything nginx writes stays in `dir`.
function mainConfig() {
  const temp = (name) => path.join(dir, name);
  // As root nginx would hand its workers to `nobody`, who cannot enter the
  // test's folder; as any other user the workers keep that user.
  const user = process.getuid() === 0 ? 'user root root;\n' : '';
  return `${user}worker_processes 1;
daemon off;
pid ${temp('nginx.pid')};
error_log ${temp('error.log')} info;
events { worker_connections 256; }
http {
  include /etc/nginx/mime.types;
  access_log ${temp('access.log')};
  client_body_temp_path ${temp('client_body')};
  proxy_temp_path ${temp('proxy')};
  fastcgi_temp_path ${temp('fastcgi')};
  uwsgi_temp_path ${temp('uwsgi')};
  scgi_temp_path ${temp('scgi')};
  include ${temp('docrunch.conf')};
}
`;
}

before(async () => {
  project = makeProject('docrunch-ingress-project-');
  project.run(['user', 'create', 'ops', '--role', 'admin', '--password-stdin'], `${PASSWORD}\n`);
  agentToken = project.run(['token', 'create', '--name', 'tls-agent', '--role', 'agent']).trim();
  project.run(['task', 'create', '--type', 'feature', '--title', 'Parse invoices over TLS']);
  srv = await serve(project, ['server.http.auth.enabled=true', 'server.mcp.auth.enabled=true']);
  const port = (url) => Number(new URL(url).port);
  [httpPort, httpsPort] = [await freePort(), await freePort()];
  https = `https://localhost:${httpsPort}`;
  const deploy = fs.readFileSync(path.join(root, 'deploy/nginx/docrunch.conf'), 'utf8');
  fs.mkdirSync(path.join(dir, 'acme/.well-known/acme-challenge'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'acme/.well-known/acme-challenge/probe'), 'challenge-ok');
  fs.writeFileSync(path.join(dir, 'docrunch.conf'), testSite(deploy,
    { http: httpPort, https: httpsPort, rest: port(srv.api), mcp: port(srv.mcp) }));
  fs.writeFileSync(path.join(dir, 'nginx.conf'), mainConfig());
  const args = ['-p', dir, '-c', path.join(dir, 'nginx.conf')];
  const check = spawnSync(NGINX, ['-t', ...args], { encoding: 'utf8' });
  assert.equal(check.status, 0, `nginx -t: ${check.stderr}`);
  nginx = spawn(NGINX, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  nginx.stderr.on('data', (d) => { nginxLog += d; });
  for (let i = 0; ; i++) {  // until it answers
    try {
      await fetch(`http://127.0.0.1:${httpPort}/`, { redirect: 'manual' });
      break;
    } catch (e) {
      if (i > 100) throw new Error(`nginx did not start: ${nginxLog}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
});

after(() => {
  nginx?.kill('SIGQUIT');
  srv?.server.kill('SIGTERM');
  project?.cleanup();
});

async function login() {
  const r = await call(`${https}/api`, 'POST', '/auth/login', { body: { username: 'ops', password: PASSWORD } });
  assert.equal(r.status, 200, r.text);
  return r;
}

test('plain HTTP is redirected to HTTPS, but for the ACME challenge', async () => {
  const r = await fetch(`http://localhost:${httpPort}/api/health?x=1`, { redirect: 'manual' });
  assert.equal(r.status, 301);
  assert.equal(r.headers.get('location'), 'https://localhost/api/health?x=1');
  assert.equal(r.headers.get('server'), 'nginx');  // server_tokens off: no version
  const acme = await fetch(`http://127.0.0.1:${httpPort}/.well-known/acme-challenge/probe`);
  assert.equal(acme.status, 200);
  assert.equal(await acme.text(), 'challenge-ok');
});

test('TLS 1.2 and 1.3 are served; 1.1 is refused', async () => {
  const hello = (options) => new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port: httpsPort, servername: 'localhost', ...options },
      () => { resolve(socket.getProtocol()); socket.end(); });
    socket.on('error', (e) => resolve(`error: ${e.code ?? e.message}`));
  });
  assert.equal(await hello({}), 'TLSv1.3');
  assert.equal(await hello({ maxVersion: 'TLSv1.2' }), 'TLSv1.2');
  // The client is allowed TLS 1.0/1.1 (security level 0), so the refusal is nginx's.
  const old = await hello({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
  assert.match(old, /^error: /);
  assert.match(old, /PROTOCOL|VERSION|ALERT/i);
});

test('a sign-in over HTTPS carries HSTS, Docrunch\'s headers and nginx\'s request id', async () => {
  const r = await login();
  assert.equal(r.headers.get('strict-transport-security'), 'max-age=63072000; includeSubDomains');
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(r.headers.get('x-frame-options'), 'DENY');
  // A client's own id is replaced by nginx's $request_id, which Docrunch keeps.
  const health = await fetch(`${https}/api/health`, { headers: { 'x-request-id': 'client-made' } });
  assert.equal(health.status, 200);
  assert.match(health.headers.get('x-request-id'), /^[0-9a-f]{32}$/);
  assert.ok(health.headers.get('strict-transport-security'));
  // Errors too (`always`), and a refused Host never reaches a wrong server.
  const missing = await fetch(`${https}/api/no/such/route`);
  assert.equal(missing.status, 404);
  assert.ok(missing.headers.get('strict-transport-security'));
  // A browser on the public name passes the Origin check (X-Forwarded-Host).
  const browser = await call(`${https}/api`, 'GET', '/health', { headers: { origin: https.replace(/:\d+$/, '') } });
  assert.equal(browser.status, 200, browser.text);
  const evil = await call(`${https}/api`, 'GET', '/health', { headers: { origin: 'https://evil.example' } });
  assert.equal(evil.status, 403);
  // The dashboard's paths go to Docrunch too (404 when it is not built).
  const page = await fetch(`${https}/`);
  assert.ok([200, 404].includes(page.status));
  assert.ok(page.headers.get('content-security-policy'));
});

test('bodies over the limit stop at nginx', async () => {
  const big = await fetch(`${https}/api/auth/login`, { method: 'POST',
    headers: { 'content-type': 'application/json' }, body: 'x'.repeat(2 * 1024 * 1024) });
  assert.equal(big.status, 413);
  assert.match(big.headers.get('server') ?? '', /^nginx$/);
});

test('/metrics through the proxy needs an admin token', async () => {
  assert.equal((await fetch(`${https}/metrics`)).status, 401);
  const { json } = await login();
  const r = await fetch(`${https}/metrics`, { headers: { authorization: `Bearer ${json.data.access_token}` } });
  assert.equal(r.status, 200);
  assert.match(await r.text(), /^# TYPE docrunch_http_requests_total counter$/m);
});

test('a WebSocket stream over wss:// hears of a task created over HTTPS', async () => {
  const token = (await login()).json.data.access_token;
  const ticket = (await call(`${https}/api`, 'POST', '/auth/ws-ticket', { token, body: {} })).json.data.ticket;
  const ws = new WebSocket(`wss://localhost:${httpsPort}/ws/tasks?ticket=${ticket}`);
  const messages = [];
  const hello = new Promise((resolve, reject) => {
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.type === 'hello') resolve(m);
      else messages.push(m);
    };
    ws.onerror = () => reject(new Error('the WebSocket was refused'));
  });
  assert.equal((await hello).data.channel, 'tasks');
  const created = await call(`${https}/api`, 'POST', '/tasks', { token,
    body: { type: 'bug_fix', title: 'Seen through nginx' } });
  assert.equal(created.status, 201, created.text);
  const started = Date.now();
  while (!messages.some((m) => m.data?.title === 'Seen through nginx') && Date.now() - started < 10000) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(messages.some((m) => m.data?.title === 'Seen through nginx'), JSON.stringify(messages));
  ws.close();
});

test('a whole MCP session over HTTPS with the SDK client, SSE unbuffered', async () => {
  const client = new Client({ name: 'docrunch-ingress-e2e', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${https}/mcp`),
    { requestInit: { headers: { authorization: `Bearer ${agentToken}` } } });
  await client.connect(transport);
  assert.ok(transport.sessionId);
  const tools = (await client.listTools()).tools.map((t) => t.name);
  assert.ok(tools.includes('claim_task'));
  const available = await client.callTool({ name: 'get_available_tasks', arguments: {} });
  const task = available.structuredContent.tasks.find((t) => t.title === 'Parse invoices over TLS');
  assert.ok(task, JSON.stringify(available.structuredContent));
  const claim = await client.callTool({ name: 'claim_task', arguments: {
    task_id: task.id, reported_by: 'tls-agent', reported_at: new Date().toISOString() } });
  assert.equal(claim.structuredContent.task.assigned_to, 'tls-agent');
  // With a progress token the answer comes as an SSE stream.
  const impact = await client.callTool({ name: 'get_impact', arguments: { path_or_symbol: 'shop/billing/invoice.py' } },
    undefined, { onprogress: () => {} });
  assert.equal(impact.structuredContent.node, 'shop/billing/invoice.py');
  // The standalone GET stream: a notification must come through while the
  // stream stays open, which buffering would hold back.
  const heard = new Promise((resolve) =>
    client.setNotificationHandler(ResourceListChangedNotificationSchema, () => resolve(Date.now())));
  await new Promise((r) => setTimeout(r, 300));  // the SDK opens its GET stream after initialize
  const sent = Date.now();
  project.run(['task', 'create', '--type', 'feature', '--title', 'Announced over SSE']);
  const at = await Promise.race([heard, new Promise((r) => setTimeout(() => r(null), 8000))]);
  assert.ok(at, 'the list-changed notification came through the proxied SSE stream');
  assert.ok(at - sent < 8000);
  await transport.terminateSession();
  await client.close();
  // Without the token nginx passes Docrunch's refusal on.
  const refused = await fetch(`${https}/mcp`, { method: 'POST', body: '{}',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' } });
  assert.equal(refused.status, 401);
});
