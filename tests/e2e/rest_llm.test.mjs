// The LLM admin routes end to end (PRODUCT §11, §13, §14): `docrunch serve
// --http` with auth on and a KMS key, a provider stand-in speaking the
// OpenAI wire format (tests/support/llm_standin.py). Admin only; a key sent
// in a body is sealed, masked, never echoed, and refused through a proxy
// without TLS; the test call's answer and the provider's errors (502, 504);
// the CLI's validation messages; profiles; models and the CLI registry
// with its file:line problems; audit rows without secrets; system health's
// kms entry (not configured, healthy, down with a wrong key); every answer
// checked against the OpenAPI document; and the plaintext key searched for
// in every answer, the server's log and the database. DOCRUNCH_E2E_BACKEND=
// postgres runs it all on PostgreSQL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { makeProject, serve, call, postgres, validateAnswers } from './rest_server.mjs';
import { startStandIn } from './llm_standin.mjs';

const PASSWORD = 'correct horse battery';
const KMS = crypto.randomBytes(32).toString('hex');
const WRONG_KMS = crypto.randomBytes(32).toString('hex');
const KEY = `sk-restkey-${crypto.randomBytes(12).toString('hex')}`;
const PROXY_KEY = `proxy-${crypto.randomBytes(12).toString('hex')}`;
const MASKED = `sk-…${KEY.slice(-4)}`;

let project, srv, api, standin, openapi;
let log = '';
const tokens = {};
const answers = [];  // [method, route, status, body]
const texts = [];    // every answer's raw text

async function req(method, route, options = {}) {
  const r = await call(api, method, route, options);
  answers.push([method, route, r.status, r.json]);
  texts.push(r.text);
  return r;
}
const admin = (method, route, options = {}) => req(method, route, { token: tokens.admin, ...options });

async function start(kms) {
  srv = await serve(project, ['server.http.auth.enabled=true'], { DOCRUNCH_KMS_KEY: kms });
  srv.server.stderr.on('data', (d) => { log += d; });
  api = srv.api;
  for (const role of ['reader', 'agent', 'admin']) {
    const r = await call(api, 'POST', '/auth/login', { body: { username: `${role}-user`, password: PASSWORD } });
    assert.equal(r.status, 200, r.text);
    tokens[role] = r.json.data.access_token;
  }
}

async function stop() {
  const exited = new Promise((resolve) => srv.server.once('exit', resolve));
  srv.server.kill('SIGTERM');
  await exited;
}

before(async () => {
  project = makeProject('docrunch-rest-llm-');
  for (const role of ['reader', 'agent', 'admin']) {
    project.run(['user', 'create', `${role}-user`, '--role', role, '--password-stdin'], `${PASSWORD}\n`);
  }
  standin = await startStandIn(KEY);
  await start(KMS);
  openapi = (await req('GET', '/openapi.json', { token: tokens.reader })).json.data;
});

after(async () => {
  if (srv) await stop();
  standin?.stop();
  project?.cleanup();
});

const ROUTES = [
  ['GET', '/llm/providers'], ['POST', '/llm/providers'], ['GET', '/llm/providers/p'],
  ['PATCH', '/llm/providers/p'], ['DELETE', '/llm/providers/p'], ['POST', '/llm/providers/p/test'],
  ['GET', '/llm/models'], ['GET', '/llm/profiles'], ['GET', '/llm/profiles/chat'],
  ['PUT', '/llm/profiles/chat'], ['DELETE', '/llm/profiles/chat'], ['GET', '/llm/cli-models'],
];

test('every LLM admin route is in the OpenAPI document, for admins only', async () => {
  for (const [method, route] of ROUTES) {
    const template = `/api${route.replace('/p/', '/{name}/').replace(/\/p$/, '/{name}').replace(/\/chat$/, '/{role}')}`;
    const op = openapi.paths[template]?.[method.toLowerCase()];
    assert.ok(op, `${method} ${template} is not in the document`);
    assert.equal(op['x-docrunch-role'], 'admin', `${method} ${template}`);
    for (const who of ['reader', 'agent']) {
      const body = method === 'GET' || method === 'DELETE' ? undefined : {};
      const r = await req(method, route, { token: tokens[who], body });
      assert.equal(r.status, 403, `${who} on ${method} ${route}: ${r.text}`);
      assert.equal(r.json.error.code, 'FORBIDDEN');
    }
  }
  assert.equal((await req('GET', '/llm/providers')).status, 401);
});

test('kms health is not_configured while no secret is stored', async () => {
  const r = await req('GET', '/system/health/kms', { token: tokens.reader });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.data.status, 'not_configured');
  assert.match(r.json.data.detail, /no provider secret is stored yet; DOCRUNCH_KMS_KEY holds key id [0-9a-f]{16}/);
  const all = await req('GET', '/system/health', { token: tokens.reader });
  assert.ok(all.json.data.backends.some((b) => b.name === 'kms'), 'kms is in the full report');
});

test('an admin adds a provider with its key in the body: sealed, masked, never echoed', async () => {
  const added = await admin('POST', '/llm/providers', { body: { name: 'stand', type: 'openai-compatible',
    base_url: standin.base, model: 'gpt-test', api_key: KEY } });
  assert.equal(added.status, 201, added.text);
  assert.equal(added.json.data.api_key, MASKED);
  assert.equal(added.json.data.proxy_api_key, null);
  assert.equal(added.json.data.enabled, true);
  const list = await admin('GET', '/llm/providers');
  assert.deepEqual(list.json.data.items.map((p) => [p.name, p.api_key]), [['stand', MASKED]]);
  const one = await admin('GET', '/llm/providers/stand');
  assert.equal(one.json.data.base_url, standin.base);
  // The CLI reads the same row.
  const cli = JSON.parse(project.run(['provider', 'list', '--json']));
  assert.deepEqual(cli.map((p) => [p.name, p.api_key]), [['stand', MASKED]]);
  const health = await req('GET', '/system/health/kms', { token: tokens.reader });
  assert.equal(health.json.data.status, 'healthy', health.text);
  assert.equal(health.json.data.records, 1);
});

test('the test call answers with the model, the latency and the answer', async () => {
  const before = (await standin.stats()).requests;
  const r = await admin('POST', '/llm/providers/stand/test', { body: { prompt: 'say pong' } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.data.provider, 'stand');
  assert.equal(r.json.data.answer, 'pong: say pong');
  assert.equal(typeof r.json.data.latency_ms, 'number');
  assert.ok(r.json.data.usage.input_tokens > 0);
  assert.equal((await standin.stats()).requests, before + 1, 'one call, no retry');
  // The key left the machine only in the provider call's header.
  assert.equal((await standin.last()).headers.authorization, `Bearer ${KEY}`);
  // Recorded like every call (docrunch cost reads llm_calls).
  const cost = JSON.parse(project.run(['cost', '--by', 'provider', '--json']));
  assert.match(JSON.stringify(cost), /stand/);
});

test('the provider\'s errors: 502 with an echoed key redacted, 504 on a timeout', async () => {
  await standin.script([{ mode: 'echo_key' }]);
  const echoed = await admin('POST', '/llm/providers/stand/test', { body: {} });
  assert.equal(echoed.status, 502, echoed.text);
  assert.equal(echoed.json.error.code, 'LLM_PROVIDER_ERROR');
  assert.match(echoed.json.error.message, /HTTP 401: Incorrect API key provided: \[redacted\]/);
  await standin.script([{ mode: 'slow', seconds: 4 }]);
  const slow = await admin('POST', '/llm/providers/stand/test', { body: { timeout: 1 } });
  assert.equal(slow.status, 504, slow.text);
  assert.equal(slow.json.error.code, 'LLM_TIMEOUT');
  assert.match(slow.json.error.message, /timed out/);
  const missing = await admin('POST', '/llm/providers/nobody/test', { body: {} });
  assert.equal(missing.status, 404);
  assert.match(missing.json.error.message, /name: no provider named 'nobody'/);
});

test('bad input gets the CLI\'s messages naming the field, and nothing is written', async () => {
  const cases = [
    [{ name: 'x', type: 'antropic', model: 'm', api_key: KEY }, 422, /type: unknown provider type 'antropic'; did you mean 'anthropic'\?/],
    [{ name: 'x', type: 'openai-compatible', model: 'm', base_url: 'ftp://example.com/v1' }, 422, /base_url: URL scheme must be one of https, http/],
    [{ name: 'x', type: 'openai-compatible', model: 'm', base_url: 'http://u:p@example.com' }, 422, /base_url: must not hold a user or password/],
    [{ name: 'x', type: 'openai-compatible', model: 'm' }, 422, /base_url: is required for type openai-compatible/],
    [{ name: 'x', type: 'openai', model: 'm' }, 422, /api_key: is required for type openai/],
    [{ name: 'x', type: 'cli_bridge', model: 'm', base_url: standin.url, cli_type: 'gemini', api_key: KEY }, 422, /api_key: cli_bridge providers take the proxy's key/],
    [{ name: 'x', type: 'cli_bridge', model: 'm', base_url: standin.url, cli_type: 'bash' }, 422, /cli_type: unknown CLI 'bash'/],
    [{ name: '../x', type: 'ollama', model: 'm' }, 422, /name: must start with a letter or digit/],
    [{ name: 'x', type: 'ollama', model: 'm; rm -rf /' }, 422, /model: only letters, digits/],
    [{ name: 'x', type: 'ollama', model: 'm', api_key: 'two\nlines' }, 422, /api_key: contains a control character/],
    [{ name: 'stand', type: 'ollama', model: 'm' }, 409, /name: a provider named 'stand' exists/],
    [{ type: 'ollama', model: 'm' }, 400, /body.name/],
    [{ name: 'x', type: 'ollama', model: 'm', colour: 'red' }, 400, /colour/],
    [{ name: 'x', type: 7 }, 400, /body.type/],
  ];
  for (const [body, status, message] of cases) {
    const r = await admin('POST', '/llm/providers', { body });
    assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
    assert.match(r.json.error.message, message, JSON.stringify(body));
    assert.ok(!r.text.includes(KEY), 'no key in an error');
  }
  const temperature = await admin('PUT', '/llm/profiles/chat', { body: { provider: 'stand', temperature: 3 } });
  assert.equal(temperature.status, 422);
  assert.match(temperature.json.error.message, /temperature: must be between 0 and 2/);
  const unknown = await admin('PUT', '/llm/profiles/chat', { body: { provider: 'ghost' } });
  assert.equal(unknown.status, 404);
  assert.match(unknown.json.error.message, /provider: no provider named 'ghost'/);
  const role = await admin('PUT', '/llm/profiles/chef', { body: { provider: 'stand' } });
  assert.equal(role.status, 422);
  assert.match(role.json.error.message, /role: unknown role 'chef'/);
  const tokensRange = await admin('PUT', '/llm/profiles/chat', { body: { provider: 'stand', max_tokens: 0 } });
  assert.equal(tokensRange.status, 400, tokensRange.text);
  assert.equal((await admin('GET', '/llm/providers')).json.data.items.length, 1);
  assert.equal((await admin('GET', '/llm/profiles')).json.data.items.length, 0);
});

test('a key is refused through a proxy without TLS, accepted through one with it', async () => {
  const plain = await admin('PATCH', '/llm/providers/stand', { body: { api_key: 'sk-other-0123456789' },
    headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'http' } });
  assert.equal(plain.status, 400, plain.text);
  assert.match(plain.json.error.message, /api_key: secrets are accepted only over HTTPS/);
  assert.equal((await admin('GET', '/llm/providers/stand')).json.data.api_key, MASKED, 'unchanged');
  // Without a secret the same proxy may change other fields.
  const model = await admin('PATCH', '/llm/providers/stand', { body: { model: 'gpt-other' },
    headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'http' } });
  assert.equal(model.status, 200, model.text);
  const tls = await admin('PATCH', '/llm/providers/stand', { body: { api_key: 'sk-tls-abcdefghijklmnop', model: 'gpt-test' },
    headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' } });
  assert.equal(tls.status, 200, tls.text);
  assert.equal(tls.json.data.api_key, 'sk-…mnop');
  const cleared = await admin('PATCH', '/llm/providers/stand', { body: { api_key: null } });
  assert.equal(cleared.json.data.api_key, null);
  const back = await admin('PATCH', '/llm/providers/stand', { body: { api_key: KEY } });
  assert.equal(back.json.data.api_key, MASKED);
  assert.equal((await admin('POST', '/llm/providers/stand/test', { body: {} })).status, 200);
});

test('profiles: put, list, change, clear, and a used provider cannot be removed', async () => {
  const put = await admin('PUT', '/llm/profiles/chat', { body: { provider: 'stand', model: 'gpt-chat',
    temperature: 0.3, max_tokens: 200, system_prompt: 'Answer with citations.' } });
  assert.equal(put.status, 200, put.text);
  assert.deepEqual([put.json.data.provider, put.json.data.model, put.json.data.temperature, put.json.data.max_tokens],
    ['stand', 'gpt-chat', 0.3, 200]);
  const cleared = await admin('PUT', '/llm/profiles/chat', { body: { temperature: null, model: null } });
  assert.equal(cleared.json.data.temperature, null);
  assert.equal(cleared.json.data.model, null);
  assert.equal(cleared.json.data.max_tokens, 200, 'kept');
  assert.equal(cleared.json.data.system_prompt, 'Answer with citations.');
  await admin('PUT', '/llm/profiles/qa', { body: { provider: 'stand', model: 'gpt-qa' } });
  const list = await admin('GET', '/llm/profiles');
  assert.deepEqual(list.json.data.items.map((p) => p.role), ['chat', 'qa']);
  assert.equal((await admin('GET', '/llm/profiles/qa')).json.data.model, 'gpt-qa');
  const used = await admin('DELETE', '/llm/providers/stand');
  assert.equal(used.status, 409);
  assert.match(used.json.error.message, /used by the profile\(s\) chat, qa/);
  assert.match(project.run(['profile', 'list']), /qa {2}stand {2}gpt-qa/);
  assert.equal((await admin('DELETE', '/llm/profiles/chat')).status, 200);
  assert.equal((await admin('GET', '/llm/profiles/chat')).status, 404);
});

test('models per provider, and the CLI registry or its file:line problems', async () => {
  const bridge = await admin('POST', '/llm/providers', { body: { name: 'bridge', type: 'cli_bridge',
    base_url: standin.url, cli_type: 'gemini', model: 'gemini-2.5-pro', proxy_api_key: PROXY_KEY } });
  assert.equal(bridge.status, 201, bridge.text);
  assert.equal(bridge.json.data.proxy_api_key, `…${PROXY_KEY.slice(-4)}`);
  assert.equal(bridge.json.data.api_key, null);
  assert.ok(!bridge.text.includes(PROXY_KEY));
  const registry = await admin('GET', '/llm/cli-models');
  assert.equal(registry.status, 200, registry.text);
  assert.equal(registry.json.data.error, null);
  const geminiModels = registry.json.data.clis.gemini.models.map((m) => m.id);
  assert.ok(geminiModels.length > 0);
  const models = await admin('GET', '/llm/models');
  const byName = Object.fromEntries(models.json.data.providers.map((p) => [p.provider, p]));
  assert.deepEqual(byName.stand.models.map((m) => [m.id, m.source]), [['gpt-test', 'configured'], ['gpt-qa', 'profile']]);
  const bridgeModels = byName.bridge.models.map((m) => m.id);
  for (const id of geminiModels) assert.ok(bridgeModels.includes(id), `${id} of the registry`);
  assert.equal(byName.bridge.models[0].source, 'configured');

  const file = path.join(project.dir, '.docrunch/cli_models.json');
  const good = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(file, '{\n  "gemini": {\n    "models": [{"id": "-rm"}]\n  },\n  "gpt": {"models": []}\n}\n');
  try {
    const broken = await admin('GET', '/llm/cli-models');
    assert.equal(broken.status, 200, broken.text);
    assert.equal(broken.json.data.clis, null);
    assert.equal(broken.json.data.error.code, 'CONFIG_INVALID');
    assert.match(broken.json.data.error.message, /cli_models\.json:3:\d+: gemini\.models\[0\]\.id/);
    assert.match(broken.json.data.error.message, /cli_models\.json:5:\d+: gpt/);
    const stillListed = await admin('GET', '/llm/models');
    assert.match(stillListed.json.data.cli_models_error, /cli_models\.json:3/);
  } finally {
    fs.writeFileSync(file, good);
  }
  assert.equal((await admin('DELETE', '/llm/providers/bridge')).status, 200);
  assert.equal((await admin('GET', '/llm/providers/bridge')).status, 404);
});

test('each change leaves an audit row naming the fields, never a value', async () => {
  const audit = await admin('GET', '/audit?action=rest.*&limit=200');
  assert.equal(audit.status, 200);
  const rows = audit.json.data.items;
  const add = rows.find((r) => r.action === 'rest.POST /llm/providers' && r.outcome === 'ok' &&
    r.details.fields.includes('api_key'));
  assert.ok(add, 'the add is audited');
  assert.equal(add.actor, 'admin-user');
  assert.deepEqual(add.details.fields.sort(), ['api_key', 'base_url', 'model', 'type']);
  const cleared = rows.find((r) => r.action === 'rest.PATCH /llm/providers/{name}' && r.details.fields?.length === 1 &&
    r.details.fields[0] === 'api_key');
  assert.ok(cleared, 'key changes are audited by name');
  assert.equal(JSON.parse(cleared.target).name, 'stand');
  assert.ok(rows.some((r) => r.action === 'rest.PATCH /llm/providers/{name}' && r.outcome === 'INVALID_REQUEST'),
    'the refused key is audited as refused');
  assert.ok(rows.some((r) => r.action === 'rest.PUT /llm/profiles/{role}' && r.outcome === 'ok'));
  assert.ok(rows.some((r) => r.action === 'rest.DELETE /llm/providers/{name}' && r.outcome === 'STORAGE_CONSTRAINT'));
  assert.ok(!audit.text.includes(KEY) && !audit.text.includes(PROXY_KEY));
});

test('a wrong KMS key: health says down, a test call is refused without details', async () => {
  await stop();
  srv = null;
  await start(WRONG_KMS);
  const health = await req('GET', '/system/health/kms', { token: tokens.reader });
  assert.equal(health.json.data.status, 'down', health.text);
  assert.match(health.json.data.last_error, /DOCRUNCH_KMS_KEY holds key id [0-9a-f]{16}, but the stored secrets were sealed with key id/);
  const refused = await admin('POST', '/llm/providers/stand/test', { body: {} });
  assert.equal(refused.status, 500, refused.text);
  assert.equal(refused.json.error.code, 'KMS_KEY_INVALID');
  assert.doesNotMatch(refused.json.error.message, /key id/);
  const add = await admin('POST', '/llm/providers', { body: { name: 'more', type: 'ollama', model: 'm', api_key: 'sk-more-0123456789' } });
  assert.equal(add.status, 500);
  assert.equal((await admin('GET', '/llm/providers')).json.data.items.length, 1, 'nothing sealed with a wrong key');
  await stop();
  srv = null;
  await start(KMS);
});

test('every answer matches the OpenAPI document', () => {
  const n = validateAnswers(openapi, answers);
  assert.ok(n > 60, `only ${n} answers checked`);
});

test('the plaintext keys are in no answer, no log line and not in the database', async () => {
  for (const text of texts) {
    assert.ok(!text.includes(KEY) && !text.includes(PROXY_KEY), `an answer holds a key: ${text.slice(0, 200)}`);
  }
  assert.ok(log.length > 0);
  assert.ok(!log.includes(KEY) && !log.includes(PROXY_KEY), 'the server log holds a key');
  let stored;
  if (postgres) {
    stored = execFileSync('pg_dump', ['--data-only', project.env.DOCRUNCH_E2E_PG_URL], { maxBuffer: 1 << 28 });
  } else {
    const dir = path.join(project.dir, '.docrunch');
    stored = Buffer.concat(fs.readdirSync(dir).filter((f) => f.startsWith('docrunch.db'))
      .map((f) => fs.readFileSync(path.join(dir, f))));
  }
  // Control: what is stored can be found (the masked hint, the sealed key).
  assert.ok(stored.includes(Buffer.from(MASKED)), 'the masked hint is stored');
  assert.ok(!stored.includes(Buffer.from(KEY)) && !stored.includes(Buffer.from(PROXY_KEY)),
    'the database holds a plaintext key');
});
