// `docrunch cli-proxy` as a real process over real HTTP, with fake gemini,
// claude and codex programs (tests/cli_bridge/fake_cli.sh) on its PATH:
// health, execute for each CLI, the API key, bad requests, shell
// metacharacters passed literally, a 10 MB prompt (refused by default,
// handled with a larger limit), the concurrency limit, timeouts, the bind
// refusal beyond loopback, and the server's /system/health probing it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { makeProject, serve, call, root, bin } from './rest_server.mjs';

const fake = path.join(root, 'tests/cli_bridge/fake_cli.sh');
const MODELS = {
  gemini: { description: 'Gemini', models: [{ id: 'gemini-2.5-pro', name: 'Pro' }] },
  claude: { description: 'Claude', models: [{ id: 'claude-sonnet-4-5' }] },
  codex: { description: 'Codex', models: [{ id: 'gpt-5-codex' }] },
};

let dir, binDir, env;
const proxies = [];

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docrunch-cli-proxy-'));
  binDir = path.join(dir, 'bin');
  fs.mkdirSync(binDir);
  for (const cli of ['gemini', 'claude', 'codex']) {
    fs.copyFileSync(fake, path.join(binDir, cli));
    fs.chmodSync(path.join(binDir, cli), 0o755);
  }
  fs.writeFileSync(path.join(dir, 'models.json'), JSON.stringify(MODELS, null, 2));
  // Outside any project: defaults and flags only. HOME without .local/bin.
  env = { PATH: `${binDir}:/usr/bin:/bin`, HOME: dir };
});

after(() => {
  for (const p of proxies) p.child.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

// Starts a proxy on a free port; resolves to {child, url} once it listens.
function startProxy(args = [], extraEnv = {}, cwd = dir) {
  const child = spawn(bin, ['cli-proxy', '--port', '0', ...args],
    { cwd, env: { ...env, ...extraEnv }, stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
      const m = err.match(/CLI proxy at (http:\/\/[^\s:]+:\d+) .*\)\n/);
      if (m) {
        const p = { child, url: m[1].replace('localhost', '127.0.0.1'), stderr: () => err };
        proxies.push(p);
        resolve(p);
      }
    });
    child.on('exit', (code) => reject(new Error(`cli-proxy exited ${code}: ${err}`)));
  });
}

async function fetchOrCause(url, init) {
  try {
    return await fetch(url, init);
  } catch (e) {
    throw new Error(`${e.message}: ${e.cause?.code} ${e.cause?.message}`);
  }
}

async function execute(proxy, body, headers = {}) {
  const res = await fetchOrCause(`${proxy.url}/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: JSON.parse(text) };
}

const SHAPE = ['success', 'content', 'error', 'cli_type', 'model', 'execution_time_ms'];

let plain;
before(async () => {
  plain = await startProxy(['--models', path.join(dir, 'models.json'), '--max-concurrent', '2']);
});

test('health lists each CLI with its path and version', async () => {
  const res = await fetch(`${plain.url}/health`);
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.status, 'healthy');
  for (const cli of ['gemini', 'claude', 'codex']) {
    assert.equal(body.clis[cli].available, true, cli);
    assert.equal(body.clis[cli].path, path.join(binDir, cli));
    assert.equal(body.clis[cli].version, `${cli}-fake 1.2.3`);
  }
  assert.deepEqual(body.clis.gemini.models, ['gemini-2.5-pro']);
});

test('execute runs each CLI with its command line and the prompt on stdin', async () => {
  const args = {
    gemini: ['--model', 'gemini-2.5-pro'],
    claude: ['-p', '--model', 'claude-sonnet-4-5'],
    codex: ['exec', '--model', 'gpt-5-codex'],
  };
  for (const [cli, argv] of Object.entries(args)) {
    const model = argv.at(-1);
    const r = await execute(plain, { cli_type: cli, prompt: 'Summarize the repo', model, timeout: 30 });
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.json).sort(), [...SHAPE].sort());
    assert.equal(r.json.success, true, JSON.stringify(r.json));
    assert.equal(r.json.error, null);
    assert.equal(r.json.cli_type, cli);
    assert.equal(r.json.model, model);
    assert.equal(typeof r.json.execution_time_ms, 'number');
    assert.equal(r.json.content, `cli=${cli}\n${argv.map((a) => `arg=[${a}]\n`).join('')}` +
      'key=[]\nbytes=19\nstdin=[Summarize the repo\n]\n');
  }
});

test('shell metacharacters in prompts reach the CLI literally and run nothing', async () => {
  const marker = path.join(dir, 'pwned');
  const prompt = `$(touch ${marker}) \`touch ${marker}\`; touch ${marker} | && || > ${marker} 'q' "dq" \\ *`;
  const r = await execute(plain, { cli_type: 'claude', prompt, model: 'claude-sonnet-4-5' });
  assert.equal(r.json.success, true);
  assert.ok(r.json.content.includes(`stdin=[${prompt}\n]`), r.json.content);
  const bad = await execute(plain, { cli_type: 'claude', prompt: 'hi', model: `x; touch ${marker}` });
  assert.equal(bad.status, 400);
  assert.match(bad.json.error, /model: .* is not registered for claude/);
  assert.equal(bad.json.success, false);
  assert.ok(!fs.existsSync(marker), 'a metacharacter was interpreted');
});

test('bad requests answer 400/404/405/415 in the execute shape', async () => {
  const unknown = await execute(plain, { cli_type: 'bash', prompt: 'hi', model: 'gpt-5-codex' });
  assert.equal(unknown.status, 400);
  assert.match(unknown.json.error, /^cli_type: unknown CLI "bash"/);
  assert.deepEqual(Object.keys(unknown.json).sort(), [...SHAPE].sort());
  const unregistered = await execute(plain, { cli_type: 'codex', prompt: 'hi', model: 'gpt-4o' });
  assert.equal(unregistered.status, 400);
  assert.match(unregistered.json.error, /not registered for codex/);
  const missing = await execute(plain, { cli_type: 'codex', model: 'gpt-5-codex' });
  assert.equal(missing.status, 400);
  assert.match(missing.json.error, /^prompt: required/);
  const timeout = await execute(plain, { cli_type: 'codex', prompt: 'x', model: 'gpt-5-codex', timeout: 'soon' });
  assert.equal(timeout.status, 400);
  assert.match(timeout.json.error, /^timeout/);
  assert.equal((await execute(plain, '{"cli_type": ')).status, 400);
  assert.equal((await execute(plain, '[1,2]')).status, 400);
  assert.equal((await execute(plain, '['.repeat(10000))).status, 400);
  const form = await fetch(`${plain.url}/execute`, { method: 'POST', body: 'cli_type=codex',
    headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(form.status, 415);
  assert.equal((await fetch(`${plain.url}/execute`)).status, 405);
  assert.equal((await fetch(`${plain.url}/nope`)).status, 404);
});

test('a loopback proxy refuses other Host names (DNS rebinding)', async () => {
  const status = await new Promise((resolve, reject) => {
    const u = new URL(plain.url);
    const req = http.request({ host: u.hostname, port: u.port, path: '/health',
      headers: { host: 'attacker.example:9999' } }, (res) => { res.resume(); resolve(res.statusCode); });
    req.on('error', reject);
    req.end();
  });
  assert.equal(status, 403);
});

test('a failing CLI, a timeout and an unavailable CLI', async () => {
  const failed = await execute(plain, { cli_type: 'gemini', prompt: 'fail 4', model: 'gemini-2.5-pro' });
  assert.equal(failed.status, 200);
  assert.equal(failed.json.success, false);
  assert.equal(failed.json.error, 'gemini exited with status 4: failing on purpose');
  const started = Date.now();
  const slow = await execute(plain, { cli_type: 'gemini', prompt: 'sleep 30', model: 'gemini-2.5-pro', timeout: 0.5 });
  assert.equal(slow.json.success, false);
  assert.match(slow.json.error, /timed out after 0.5 s/);
  assert.ok(Date.now() - started < 10000);

  // A timed-out CLI's children end with it (its whole process group).
  const pidFile = path.join(dir, 'grandchild.pid');
  const spawner = await execute(plain, { cli_type: 'codex', prompt: `grandchild ${pidFile}`,
    model: 'gpt-5-codex', timeout: 1 });
  assert.equal(spawner.json.success, false);
  const pid = Number(fs.readFileSync(pidFile, 'utf8'));
  assert.ok(pid > 0);
  const alive = () => {
    try {
      return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 50 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(!alive(), `the CLI's child ${pid} outlived the request`);

  fs.renameSync(path.join(binDir, 'codex'), path.join(dir, 'codex.away'));
  try {
    const gone = await execute(plain, { cli_type: 'codex', prompt: 'hi', model: 'gpt-5-codex' });
    assert.equal(gone.status, 503);
    assert.match(gone.json.error, /codex is not installed/);
    const health = await (await fetch(`${plain.url}/health`)).json();
    assert.equal(health.clis.codex.available, false);
    assert.equal(health.clis.codex.path, null);
  } finally {
    fs.renameSync(path.join(dir, 'codex.away'), path.join(binDir, 'codex'));
  }
});

test('more runs than --max-concurrent get 429 at once; slots come back', async () => {
  const slow = { cli_type: 'claude', prompt: 'sleep 2', model: 'claude-sonnet-4-5' };
  const running = [execute(plain, slow), execute(plain, slow)];
  await new Promise((r) => setTimeout(r, 500));
  const started = Date.now();
  const third = await execute(plain, { cli_type: 'gemini', prompt: 'hi', model: 'gemini-2.5-pro' });
  assert.equal(third.status, 429);
  assert.ok(Date.now() - started < 1500, 'the refusal waited for a slot');
  assert.equal(third.headers.get('retry-after'), '1');
  assert.match(third.json.error, /busy: 2 CLI runs/);
  for (const r of await Promise.all(running)) assert.equal(r.json.success, true);
  const after = await execute(plain, { cli_type: 'gemini', prompt: 'hi', model: 'gemini-2.5-pro' });
  assert.equal(after.json.success, true);
});

test('a 10 MB prompt: 413 under the default limit, handled with a larger one', async () => {
  const prompt = 'p'.repeat(10 * 1024 * 1024);
  const body = JSON.stringify({ cli_type: 'codex', prompt, model: 'gpt-5-codex' });
  // The HTTP layer answers 413 and drains what the client still sends, so
  // the client sees the answer rather than a reset.
  // (node:http, which reads an answer that comes while it is still sending;
  // fetch may report the early close instead.)
  const refused = await new Promise((resolve, reject) => {
    const u = new URL(plain.url);
    const req = http.request({ host: u.hostname, port: u.port, path: '/execute', method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
    (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', (e) => { if (!req.res) reject(e); });
    req.end(body);
  });
  assert.equal(refused.status, 413);
  const json = JSON.parse(refused.text);
  assert.equal(json.success, false);
  assert.match(json.error, /limit is 4259840 bytes/);
  // A project raising cli_proxy.max_request_kb takes it.
  const project = path.join(dir, 'project');
  fs.mkdirSync(project);
  const init = spawnSync(bin, ['init', '.'], { cwd: project, env, encoding: 'utf8' });
  assert.equal(init.status, 0, init.stderr);
  fs.writeFileSync(path.join(project, '.docrunch/cli_models.json'), JSON.stringify(MODELS));
  const big = await startProxy(['--set', 'cli_proxy.max_request_kb=16384'], {}, project);
  const r = await execute(big, body);
  assert.equal(r.status, 200);
  assert.equal(r.json.success, true, r.json.error);
  assert.match(r.json.content, new RegExp(`bytes=${prompt.length + 1}\n`));
  big.child.kill('SIGTERM');
});

test('with an API key: 401 without it or with a wrong one; the CLI never sees it', async () => {
  const keyed = await startProxy(['--models', path.join(dir, 'models.json'), '--api-key-env', 'PROXY_KEY'],
    { PROXY_KEY: 'k3y-0123456789', CLI_PROXY_API_KEY: '' });
  assert.match(keyed.stderr(), /X-API-Key required, from PROXY_KEY/);
  assert.ok(!keyed.stderr().includes('k3y-0123456789'));
  const body = { cli_type: 'codex', prompt: 'hi', model: 'gpt-5-codex' };
  assert.equal((await execute(keyed, body)).status, 401);
  const wrong = await execute(keyed, body, { 'x-api-key': 'k3y-0123456788' });
  assert.equal(wrong.status, 401);
  assert.match(wrong.json.error, /X-API-Key/);
  assert.equal((await fetch(`${keyed.url}/health`)).status, 401);
  assert.equal((await fetch(`${keyed.url}/health`, { headers: { 'x-api-key': 'k3y-0123456789' } })).status, 200);
  // The fake prints PROXY_KEY's value if it were passed on.
  const ok = await execute(keyed, body, { 'x-api-key': 'k3y-0123456789' });
  assert.equal(ok.status, 200);
  assert.match(ok.json.content, /key=\[\]/);
  keyed.child.kill('SIGTERM');
});

test('beyond loopback needs a key; bad flags and registries are usage errors', async () => {
  const models = path.join(dir, 'models.json');
  const open = spawnSync(bin, ['cli-proxy', '--host', '0.0.0.0', '--port', '0', '--models', models],
    { env, encoding: 'utf8', timeout: 10000 });
  assert.equal(open.status, 2, open.stderr);
  assert.match(open.stderr, /0\.0\.0\.0 \(beyond loopback\) needs an API key/);
  const unset = spawnSync(bin, ['cli-proxy', '--port', '0', '--models', models, '--api-key-env', 'NOPE_KEY'],
    { env, encoding: 'utf8', timeout: 10000 });
  assert.equal(unset.status, 2);
  assert.match(unset.stderr, /NOPE_KEY is not set/);
  fs.writeFileSync(path.join(dir, 'bad.json'), '{\n  "gemini": {"models": [{"id": "-x"}]}\n}\n');
  const bad = spawnSync(bin, ['cli-proxy', '--port', '0', '--models', path.join(dir, 'bad.json')],
    { env, encoding: 'utf8', timeout: 10000 });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /bad\.json:2:32: gemini\.models\[0\]\.id: must be/);
  const none = spawnSync(bin, ['cli-proxy', '--port', '0'], { cwd: os.tmpdir(), env, encoding: 'utf8', timeout: 10000 });
  assert.equal(none.status, 2);
  assert.match(none.stderr, /cli_models\.json does not exist/);
  // With a key it listens on every address.
  const wide = await startProxy(['--host', '0.0.0.0', '--models', models, '--api-key-env', 'K'], { K: 'secret' });
  const port = new URL(wide.url).port;
  const res = await fetch(`http://127.0.0.1:${port}/health`, { headers: { 'x-api-key': 'secret' } });
  assert.equal(res.status, 200);
  wide.child.kill('SIGTERM');
  const code = await new Promise((r) => wide.child.on('exit', r));
  assert.equal(code, 0);
});

test("the server's /system/health probes the proxy named by CLI_PROXY_URL", async () => {
  const project = makeProject('docrunch-cli-proxy-health-');
  let srv;
  try {
    srv = await serve(project, ['server.http.auth.enabled=false'], { CLI_PROXY_URL: plain.url });
    const r = await call(srv.api, 'GET', '/system/health/cli_proxy', { token: srv.token });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.data.status, 'healthy');
    assert.equal(r.json.data.records, 3);
    assert.match(r.json.data.detail, /gemini gemini-fake 1\.2\.3/);
    srv.server.kill('SIGTERM');
    await new Promise((res) => srv.server.on('exit', res));
    srv = await serve(project, [], { CLI_PROXY_URL: 'http://127.0.0.1:1' });
    const down = await call(srv.api, 'GET', '/system/health/cli_proxy', { token: srv.token });
    assert.equal(down.json.data.status, 'down');
    assert.ok(down.json.data.last_error);
  } finally {
    // The server writes its last rows as it stops: remove the project once
    // it has exited (removing it meanwhile failed once with ENOTEMPTY).
    const child = srv?.server;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((res) => child.on('exit', res));
      child.kill('SIGTERM');
      await exited;
    }
    project.cleanup();
  }
});
