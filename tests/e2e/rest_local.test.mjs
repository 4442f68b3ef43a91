// The REST API with auth off (the local default) and hosted-mode refusals:
// even on loopback REST answers only to the per-start token `serve` prints,
// whose sign-in link trades it for a session cookie; hosted mode refuses
// stdio MCP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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
