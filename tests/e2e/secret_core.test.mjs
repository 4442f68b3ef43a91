// Issue 15's crash test: provider keys are decrypted only for the call and
// wiped after it (sodium_memzero), so a process that made calls and then
// crashes leaves no key in its core dump. `docrunch serve` (under
// `prlimit --core=unlimited`, in the project folder where the kernel's
// core_pattern "core" puts the dump) makes provider test calls against the
// stand-in with a key set by the CLI from a variable and another set
// through REST in a JSON body; after the calls returned, SIGABRT. The core,
// the server's log and the database are searched for both keys. Controls:
// the core does hold live heap data (a kept answer) and the KMS key (which
// lives in the environment by design), so a search that finds nothing means
// the keys are gone, not that the dump is empty. Freed memory holds nothing:
// the binary's operator delete zeroes blocks (app/wiping_delete.cpp) and
// libcurl's allocations are zeroed too (llm/http_call.h). Skipped (77) where cores are piped
// to a handler or go elsewhere (core_pattern not a plain file name).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { makeProject, call, bin, postgres } from './rest_server.mjs';
import { startStandIn } from './llm_standin.mjs';

const KMS = crypto.randomBytes(32).toString('hex');
const CLI_KEY = `sk-coreclikey-${crypto.randomBytes(12).toString('hex')}`;
const REST_KEY = `sk-corerestkey-${crypto.randomBytes(12).toString('hex')}`;
// A key's random part in 12-character windows: a freed buffer that kept
// only part of a key (a grown string's old storage) is found too.
const fragments = (key) => {
  const random = key.slice(key.lastIndexOf('-') + 1);
  return Array.from({ length: random.length - 11 }, (_, i) => random.slice(i, i + 12));
};
const holds = (buffer, key) => fragments(key).filter((f) => buffer.includes(Buffer.from(f)));
const PROBE = `probe${crypto.randomBytes(8).toString('hex')}`;

const pattern = fs.readFileSync('/proc/sys/kernel/core_pattern', 'utf8').trim();
if (!/^[A-Za-z0-9._%-]+$/.test(pattern)) {
  // Exit code 77: CTest reports the test as skipped, with this reason.
  console.log(`core_pattern is "${pattern}": cores go to a handler or another folder, not a file ` +
    'this test can read: skipped');
  process.exit(77);
}

let project, standin;

before(async () => {
  project = makeProject('docrunch-secret-core-');
  standin = await startStandIn(CLI_KEY);
});

after(() => {
  standin?.stop();
  project?.cleanup();
});

// `serve --http` (auth off: the start token) with core dumps on.
function serveWithCores(env) {
  const args = ['--core=unlimited', '--', bin, 'serve', '--http', '--host', '127.0.0.1', '--port', '0',
    '--api-host', '127.0.0.1', '--api-port', '0'];
  const server = spawn('prlimit', args, { cwd: project.dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  return new Promise((resolve, reject) => {
    server.stderr.on('data', (d) => {
      log += d;
      const api = log.match(/REST API at (http:\/\/\S+\/api)/);
      const token = log.match(/auth\/local\?token=([0-9a-f]+)/);
      if (api && token) resolve({ server, api: api[1], token: token[1], log: () => log });
    });
    server.on('exit', (code, signal) => reject(new Error(`serve exited ${code ?? signal}: ${log}`)));
  });
}

test('no provider key in the core dump of a server that crashed after its calls', async () => {
  // The CLI's `provider add` and serve read these (project.run shares env).
  Object.assign(project.env, { DOCRUNCH_KMS_KEY: KMS, STAND_KEY: CLI_KEY });
  project.run(['provider', 'add', 'stand', '--type', 'openai-compatible', '--base-url', standin.base,
    '--model', 'gpt-core', '--api-key-env', 'STAND_KEY']);
  // --debug logging: more lines that must not hold a key. The variable the
  // CLI read the key from is not serve's business (a process's environment
  // is in its core by design, as the KMS key control shows).
  const serveEnv = { ...project.env, DOCRUNCH_DEBUG: '1' };
  delete serveEnv.STAND_KEY;
  const srv = await serveWithCores(serveEnv);
  const exited = new Promise((resolve) => srv.server.once('exit', (code, signal) => resolve(signal)));
  const api = (method, route, body) => call(srv.api, method, route, { token: srv.token, body });

  const added = await api('POST', '/llm/providers', { name: 'viarest', type: 'openai-compatible',
    base_url: standin.base, model: 'gpt-core', api_key: REST_KEY });
  assert.equal(added.status, 201, added.text);
  for (let i = 0; i < 3; i++) {
    const ok = await api('POST', '/llm/providers/stand/test', { prompt: `${PROBE} ${i}` });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.data.answer, `pong: ${PROBE} ${i}`);
    // The stand-in wants CLI_KEY: the REST-set key is sent, refused (401).
    const refused = await api('POST', '/llm/providers/viarest/test', { prompt: 'x' });
    assert.equal(refused.status, 502, refused.text);
  }
  assert.equal((await standin.last()).headers.authorization, `Bearer ${REST_KEY}`, 'the REST key was used');

  // Live heap data for the control below: the answer cache keeps this
  // list's answer under its path and query.
  assert.equal((await api('GET', `/tasks?assigned_to=${PROBE}`)).status, 200);
  for (const f of fs.readdirSync(project.dir)) if (f.startsWith('core')) fs.rmSync(path.join(project.dir, f));
  srv.server.kill('SIGABRT');
  assert.equal(await exited, 'SIGABRT');
  const cores = fs.readdirSync(project.dir).filter((f) => f.startsWith('core'));
  assert.equal(cores.length, 1, `the kernel wrote no core (core_pattern "${pattern}") in ${project.dir}`);
  const core = fs.readFileSync(path.join(project.dir, cores[0]));
  console.log(`core dump: ${(core.length / 1048576).toFixed(1)} MiB`);
  // Controls: the dump holds the process's heap and environment.
  assert.ok(core.includes(Buffer.from(`assigned_to=${PROBE}`)), 'control: live heap data (a kept answer) is in the core');
  assert.ok(core.includes(Buffer.from(KMS)), 'control: the KMS key (in the environment) is in the core');
  assert.ok(core.includes(Buffer.from(fragments(KMS.replace(/^/, 'x-'))[0])), 'control: fragments are searched');
  assert.deepEqual(holds(core, CLI_KEY), [], 'the key set by the CLI is in the core dump');
  assert.deepEqual(holds(core, REST_KEY), [], 'the key set through REST is in the core dump');

  const log = srv.log();
  assert.ok(!log.includes(CLI_KEY) && !log.includes(REST_KEY), 'a key is in the server log');
  if (!postgres) {
    const dir = path.join(project.dir, '.docrunch');
    const db = Buffer.concat(fs.readdirSync(dir).filter((f) => f.startsWith('docrunch.db'))
      .map((f) => fs.readFileSync(path.join(dir, f))));
    assert.ok(db.includes(Buffer.from('drsb1.')), 'control: sealed secrets are stored');
    assert.ok(!db.includes(Buffer.from(CLI_KEY)) && !db.includes(Buffer.from(REST_KEY)), 'a key is in the database');
  }
});
