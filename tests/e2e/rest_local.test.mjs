// The REST API with auth off (the local default) and hosted-mode refusals:
// even on loopback REST answers only to the per-start token `serve` prints,
// whose sign-in link trades it for a session cookie; hosted mode refuses
// stdio MCP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { makeProject, serve, call, bin } from './rest_server.mjs';

let project, srv;

before(async () => {
  project = makeProject('docrunch-rest-local-');
  srv = await serve(project);
});

after(() => {
  srv?.server.kill('SIGTERM');
  project?.cleanup();
});

test('without the start token nothing but health answers', async () => {
  assert.match(srv.token, /^[0-9a-f]{48}$/);
  assert.equal((await call(srv.api, 'GET', '/health')).status, 200);
  const r = await call(srv.api, 'GET', '/tasks');
  assert.equal(r.status, 401);
  assert.equal((await call(srv.api, 'GET', '/tasks', { token: 'f'.repeat(48) })).status, 401);
  const ok = await call(srv.api, 'GET', '/auth/me', { token: srv.token });
  assert.deepEqual(ok.json.data, { name: 'local', role: 'admin', via: 'local' });
});

test('the sign-in link sets the session cookie once the token matches', async () => {
  const wrong = await call(srv.api, 'GET', `/auth/local?token=${'0'.repeat(48)}`);
  assert.equal(wrong.status, 401);
  assert.equal(wrong.headers.get('set-cookie'), null);
  const r = await call(srv.api, 'GET', `/auth/local?token=${srv.token}`);
  assert.equal(r.status, 303);
  assert.equal(r.headers.get('location'), '/');
  const cookie = r.headers.get('set-cookie');
  assert.match(cookie, /HttpOnly/);
  const refreshed = await call(srv.api, 'POST', '/auth/refresh', { headers: { cookie: cookie.split(';')[0] } });
  assert.equal(refreshed.status, 200, refreshed.text);
  const me = await call(srv.api, 'GET', '/auth/me', { token: refreshed.json.data.access_token });
  assert.equal(me.json.data.name, 'local');
  assert.equal(me.json.data.via, 'jwt');
});

test('another site cannot use up the sign-in link', async () => {
  const r = await call(srv.api, 'GET', `/auth/local?token=${'0'.repeat(48)}`,
    { headers: { 'sec-fetch-site': 'cross-site' } });
  assert.equal(r.status, 403);
  // Many failures from another site leave the real link working.
  for (let i = 0; i < 25; i++) {
    await call(srv.api, 'GET', `/auth/local?token=${'1'.repeat(48)}`, { headers: { 'sec-fetch-site': 'cross-site' } });
  }
  const ok = await call(srv.api, 'GET', `/auth/local?token=${srv.token}`);
  assert.equal(ok.status, 303);
});

test('a local sign-in does not survive turning auth on', async () => {
  const link = await call(srv.api, 'GET', `/auth/local?token=${srv.token}`);
  const cookie = link.headers.get('set-cookie').split(';')[0];
  srv.server.kill('SIGTERM');
  await new Promise((r) => srv.server.on('exit', r));
  srv = await serve(project, ['server.http.auth.enabled=true']);
  const r = await call(srv.api, 'POST', '/auth/refresh', { headers: { cookie } });
  assert.equal(r.status, 401, r.text);
});

test('hosted mode refuses stdio MCP with a clear error', () => {
  const r = spawnSync(bin, ['--set', 'security.mode=hosted', '--set', 'server.mcp.transport=http',
    '--set', 'server.mcp.auth.enabled=true', '--set', 'server.http.auth.enabled=true',
    'serve', '--stdio'], { cwd: project.dir, env: { ...project.env, DOCRUNCH_AGENT_TOKEN: 'drt_x',
    DOCRUNCH_KMS_KEY: 'ab'.repeat(32) }, encoding: 'utf8', input: '' });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /hosted/);
  assert.match(r.stderr, /stdio/);
});

test('the dashboard files: exact files, the app shell for its routes, caching, compression', async () => {
  const web = path.join(project.dir, 'site');
  fs.mkdirSync(path.join(web, 'assets'), { recursive: true });
  const shell = '<!doctype html><html><head><script type="module" src="/assets/app-1a2b.js"></script></head></html>\n';
  const script = `console.log(${JSON.stringify('x'.repeat(2000))});\n`;
  fs.writeFileSync(path.join(web, 'index.html'), shell);
  fs.writeFileSync(path.join(web, 'assets/app-1a2b.js'), script);
  fs.writeFileSync(path.join(web, 'assets/app-1a2b.js.gz'), zlib.gzipSync(script));
  fs.writeFileSync(path.join(web, '.secret'), 'hidden');
  fs.symlinkSync('/etc/passwd', path.join(web, 'passwd'));
  const site = await serve(project, ['server.http.web_root=site']);
  try {
    const origin = new URL(site.api).origin;
    const get = (p, headers = {}) => fetch(origin + p, { headers, redirect: 'manual' });

    const index = await get('/');
    assert.equal(index.status, 200);
    assert.equal(await index.text(), shell);
    assert.match(index.headers.get('content-type'), /^text\/html/);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    const csp = index.headers.get('content-security-policy');
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /script-src[^;]*unsafe-inline/);
    assert.equal(index.headers.get('x-frame-options'), 'DENY');

    // The app's own routes answer its shell; its router takes over.
    const route = await get('/tasks/task-3');
    assert.equal(route.status, 200);
    assert.equal(await route.text(), shell);

    const js = await get('/assets/app-1a2b.js', { 'accept-encoding': 'identity' });
    assert.equal(js.status, 200);
    assert.equal(await js.text(), script);
    assert.match(js.headers.get('content-type'), /^text\/javascript/);
    assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(js.headers.get('content-encoding'), null);

    // The .gz beside it, when the client takes gzip (fetch decodes it).
    const packed = await get('/assets/app-1a2b.js', { 'accept-encoding': 'gzip' });
    assert.equal(packed.headers.get('content-encoding'), 'gzip');
    assert.equal(await packed.text(), script);
    const refused = await get('/assets/app-1a2b.js', { 'accept-encoding': 'gzip;q=0' });
    assert.equal(refused.headers.get('content-encoding'), null);

    // Revalidation by ETag.
    const etag = js.headers.get('etag');
    assert.match(etag, /^"[0-9a-f]{32}"$/);
    const same = await get('/assets/app-1a2b.js', { 'if-none-match': etag });
    assert.equal(same.status, 304);
    assert.equal(await same.text(), '');

    // HEAD: the headers alone, and the connection stays usable.
    const head = await fetch(origin + '/assets/app-1a2b.js', { method: 'HEAD', headers: { 'accept-encoding': 'identity' } });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(Buffer.byteLength(script)));
    assert.equal((await get('/')).status, 200);

    // A missing script is 404, never the HTML shell; hidden files, links
    // and paths outside the folder are not served.
    for (const p of ['/assets/gone-0000.js', '/favicon.ico', '/assets/%2e%2e/%2e%2e/etc/passwd.txt']) {
      assert.equal((await get(p)).status, 404, p);
    }
    // Hidden files and links are never read: such names are the app's routes.
    for (const p of ['/.secret', '/passwd', '/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/modules/web.components']) {
      const r = await get(p);
      assert.equal(await r.text(), shell, p);
    }
    // The API is still the API, and other methods on the dashboard are not allowed.
    assert.equal((await call(site.api, 'GET', '/health')).status, 200);
    assert.equal((await call(site.api, 'GET', '/nope')).status, 404);
    assert.equal((await fetch(origin + '/tasks', { method: 'POST' })).status, 404);
    // A non-loopback Host is refused for the files too (DNS rebinding).
    const rebinding = await new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port: new URL(origin).port, path: '/', headers: { host: 'evil.example' } },
        (res) => { res.resume(); resolve(res.statusCode); });
      req.on('error', () => resolve(0));
    });
    assert.equal(rebinding, 403);
  } finally {
    site.server.kill('SIGTERM');
  }
});

test('a web_root without a built dashboard is refused at start, naming the key', () => {
  const r = spawnSync(bin, ['--set', 'server.http.web_root=nowhere', 'serve', '--http', '--port', '0', '--api-port', '0'],
    { cwd: project.dir, env: project.env, encoding: 'utf8', timeout: 20000 });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /server\.http\.web_root: .*index\.html/);
});
