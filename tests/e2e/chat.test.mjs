// End to end: chat with citations through the real binary. `docrunch chat`
// answers extractively without a provider; the MCP tool `ask` over stdio
// (the official SDK client, a reader token); the REST /chat routes (a
// reader, answers checked against the OpenAPI document); then a chat
// profile on the Python stand-in, which refuses a request that lacks the
// retrieved passages and answers citing them. With
// DOCRUNCH_E2E_BACKEND=postgres the same runs on a fresh PostgreSQL database.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { bin, call, makeProject, root, serve, validateAnswers } from './rest_server.mjs';

const sdk = path.join(root, 'third_party/node_modules/@modelcontextprotocol/sdk/dist/esm');
const { Client } = await import(path.join(sdk, 'client/index.js'));
const { StdioClientTransport } = await import(path.join(sdk, 'client/stdio.js'));

const QUESTION = 'How are invoices parsed?';
const CODE = 'shop/billing/invoice.py:1';  // class InvoiceParser
let project, srv, standin, standinUrl;
const clients = [];

// docrunch ARGS in the project; {code, out, err}.
function dr(args) {
  const r = spawnSync(bin, args, { cwd: project.dir, env: project.env, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function ok(args) {
  const r = dr(args);
  assert.equal(r.code, 0, `docrunch ${args.join(' ')}: ${r.err}`);
  return r.out;
}

async function standinHttp(method, route, body) {
  const res = await fetch(standinUrl + route, { method, body: body && JSON.stringify(body),
    headers: body ? { 'content-type': 'application/json' } : {} });
  return res.json();
}

before(async () => {
  project = makeProject('docrunch-chat-');
  project.run(['task', 'create', '--type', 'feature', '--title', 'Cache parsed invoices',
    '--description', 'InvoiceParser re-parses the same invoice; cache the parsed lines.']);
  project.run(['user', 'create', 'reader-user', '--role', 'reader', '--password-stdin'],
    'correct horse battery\n');
  standin = spawn('python3', [path.join(root, 'tests/support/llm_standin.py')],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve) => {
    readline.createInterface({ input: standin.stdout }).once('line', (l) => resolve(l.trim()));
  });
  standinUrl = `http://127.0.0.1:${port}`;
});

after(async () => {
  for (const c of clients) await c.close().catch(() => {});
  srv?.server.kill('SIGTERM');
  standin?.kill('SIGTERM');
  project?.cleanup();
});

test('docrunch chat without a provider: the best passages with their citations', () => {
  const answer = JSON.parse(ok(['chat', QUESTION, '--json']));
  assert.equal(answer.session_id, 'chat-1');
  assert.equal(answer.new_session, true);
  assert.equal(answer.answer.mode, 'extractive');
  const labels = answer.answer.citations.map((c) => c.label);
  assert.ok(labels.includes(CODE), JSON.stringify(labels));
  assert.ok(labels.includes('task-1'), JSON.stringify(labels));
  for (const c of answer.answer.citations) {
    assert.equal(c.verified, true);
    assert.ok(answer.answer.content.includes(`[${c.label}]`), c.label);
  }
  assert.match(answer.answer.content, /Parses invoices/);

  // Plain text: the answer, its citations and the session to continue.
  const text = ok(['chat', 'What caches invoices?', '--session', 'chat-1']);
  assert.match(text, /\[task-1\] task-1: Cache parsed invoices \(task\)/);
  assert.match(text, /session: chat-1$/m);
  const fresh = ok(['chat', 'Where is the invoice parser?']);
  assert.match(fresh, /session: chat-2 \(new; continue it with --session chat-2\)/);

  // Bad input: exit non-zero, the field named, nothing stored.
  for (const [args, message] of [
    [['chat', ''], /question: must not be empty/],
    [['chat', 'x'.repeat(8193)], /question: 8193 bytes is over the limit of 8192/],
    [['chat', QUESTION, '--session', 'nope'], /session_id: 'nope' is not a chat session id/],
    [['chat', QUESTION, '--session', 'chat-99'], /no chat session chat-99/],
  ]) {
    const r = dr(args);
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.err, message);
  }
  const again = JSON.parse(ok(['chat', 'invoice', '--session', 'chat-1', '--json']));
  assert.equal(again.question.id, 7);  // 3 exchanges before: nothing written by the failures
});

test('MCP ask over stdio as a reader', async () => {
  const token = project.run(['token', 'create', '--name', 'reader-1', '--role', 'reader']).trim();
  const env = { ...project.env, DOCRUNCH_AGENT_TOKEN: token };
  const transport = new StdioClientTransport({ command: bin, args: ['serve', '--stdio'],
    cwd: project.dir, env, stderr: 'pipe' });
  const client = new Client({ name: 'docrunch-chat-e2e', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  const tools = (await client.listTools()).tools;
  const ask = tools.find((t) => t.name === 'ask');
  assert.ok(ask, 'a reader sees ask');
  assert.ok(ask.outputSchema);
  assert.ok(!tools.some((t) => t.name === 'claim_task'));

  // The SDK checks structuredContent against the output schema.
  const first = await client.callTool({ name: 'ask', arguments: { question: QUESTION } });
  assert.equal(first.isError, false, first.content[0].text);
  const id = first.structuredContent.session_id;
  assert.match(id, /^chat-\d+$/);
  assert.ok(first.structuredContent.answer.citations.some((c) => c.label === CODE && c.verified));
  assert.match(first.content[0].text, new RegExp(`session_id: ${id}`));
  const follow = await client.callTool({ name: 'ask',
    arguments: { question: 'and the cache?', session_id: id } });
  assert.equal(follow.isError, false, follow.content[0].text);
  assert.equal(follow.structuredContent.session_id, id);
  assert.equal(follow.structuredContent.new_session, false);
  const rows = JSON.parse(ok(['chat', 'invoice', '--session', id, '--json']));
  assert.equal(rows.session_id, id);

  const errorOf = (r) => r._meta?.['docrunch/error'] ?? {};
  // Another's conversation (chat-1 is the CLI's) is not this agent's to continue.
  const others = await client.callTool({ name: 'ask',
    arguments: { question: 'and the cache?', session_id: 'chat-1' } });
  assert.equal(errorOf(others).code, 'STORAGE_NOT_FOUND', JSON.stringify(others));
  const missing = await client.callTool({ name: 'ask',
    arguments: { question: QUESTION, session_id: 'chat-999' } });
  assert.equal(missing.isError, true);
  assert.equal(errorOf(missing).code, 'STORAGE_NOT_FOUND');
  assert.match(errorOf(missing).message, /chat-999/);
  const empty = await client.callTool({ name: 'ask', arguments: { question: '   ' } });
  assert.equal(errorOf(empty).code, 'MCP_INVALID_PARAMS');
  assert.match(errorOf(empty).message, /question/);
  const bad = await client.callTool({ name: 'ask', arguments: { question: 'x', session_id: '1; DROP' } });
  assert.equal(errorOf(bad).code, 'MCP_INVALID_PARAMS');
  assert.match(errorOf(bad).message, /session_id/);
});

test('REST /chat routes for a reader, answers as the OpenAPI document says', async () => {
  srv = await serve(project, ['server.http.auth.enabled=true']);
  const seen = [];
  const req = async (method, route, options = {}) => {
    const r = await call(srv.api, method, route, options);
    seen.push([method, route, r.status, r.json]);
    return r;
  };
  const login = await req('POST', '/auth/login',
    { body: { username: 'reader-user', password: 'correct horse battery' } });
  assert.equal(login.status, 200, login.text);
  const token = login.json.data.access_token;

  const created = await req('POST', '/chat/sessions', { token, body: { title: 'Invoices' } });
  assert.equal(created.status, 201, created.text);
  const id = created.json.data.id;
  assert.equal(created.json.data.created_by, 'reader-user');
  assert.equal(created.headers.get('location'), `/api/chat/sessions/${id}/messages`);
  const asked = await req('POST', `/chat/sessions/${id}/messages`,
    { token, body: { question: QUESTION } });
  assert.equal(asked.status, 201, asked.text);
  assert.equal(asked.json.data.session_id, id);
  assert.ok(asked.json.data.answer.citations.some((c) => c.label === CODE));
  const messages = await req('GET', `/chat/sessions/${id}/messages`, { token });
  assert.equal(messages.status, 200, messages.text);
  assert.deepEqual(messages.json.data.messages.map((m) => m.role), ['user', 'assistant']);
  assert.equal(messages.json.data.messages[1].content, asked.json.data.answer.content);
  assert.equal(messages.json.data.session.messages, 2);
  const list = await req('GET', '/chat/sessions?limit=2', { token });
  assert.equal(list.status, 200, list.text);
  assert.equal(list.json.data.items[0].id, id);  // the most recently active first
  // A reader's own sessions only: chat-1 is the CLI's, not found for this one.
  const everyone = await req('GET', '/chat/sessions?limit=100', { token });
  assert.deepEqual(everyone.json.data.items.map((s) => s.created_by), ['reader-user']);
  const others = await req('GET', '/chat/sessions/chat-1/messages', { token });
  assert.equal(others.status, 404, others.text);
  const intrude = await req('POST', '/chat/sessions/chat-1/messages',
    { token, body: { question: 'and the cache?' } });
  assert.equal(intrude.status, 404, intrude.text);

  // Bad paths.
  assert.equal((await req('GET', '/chat/sessions')).status, 401);
  let r = await req('GET', '/chat/sessions/nope/messages', { token });
  assert.equal(r.status, 400);
  assert.match(r.json.error.message, /^id: /);
  r = await req('GET', '/chat/sessions/chat-999/messages', { token });
  assert.equal(r.status, 404);
  assert.match(r.json.error.message, /chat-999/);
  r = await req('POST', '/chat/sessions/chat-999/messages', { token, body: { question: 'x' } });
  assert.equal(r.status, 404);
  r = await req('POST', `/chat/sessions/${id}/messages`, { token, body: { question: ' ' } });
  assert.equal(r.status, 422);
  assert.match(r.json.error.message, /question/);
  r = await req('POST', `/chat/sessions/${id}/messages`,
    { token, body: { question: 'y'.repeat(9000) } });
  assert.equal(r.status, 422);
  assert.match(r.json.error.message, /question: 9000 bytes/);
  r = await req('POST', `/chat/sessions/${id}/messages`, { token, body: {} });
  assert.equal(r.status, 400);
  r = await req('POST', '/chat/sessions', { token, body: { title: '' } });
  assert.equal(r.status, 422);
  assert.equal((await req('GET', `/chat/sessions/${id}/messages`, { token })).json.data.messages.length, 2);

  const openapi = (await req('GET', '/openapi.json', { token })).json.data;
  for (const p of ['/api/chat/sessions', '/api/chat/sessions/{id}/messages']) {
    assert.ok(openapi.paths[p], `openapi.json lacks ${p}`);
  }
  assert.ok(validateAnswers(openapi, seen) >= 12);
  srv.server.kill('SIGTERM');
  srv = null;
});

test('with a chat profile the answer comes from the provider, given the passages', async () => {
  ok(['provider', 'add', 'local', '--type', 'openai-compatible', '--base-url',
    `${standinUrl}/v1`, '--model', 'standin-chat']);
  ok(['profile', 'set', 'chat', '--provider', 'local']);
  // The stand-in answers 400 unless the prompt holds these passages.
  await standinHttp('POST', '/control', { script: [{ mode: 'cite', expect: [
    `[${CODE}] `, 'Parses invoices.', '[task-1] task-1: Cache parsed invoices',
    `Question: ${QUESTION}`] }] });
  const answer = JSON.parse(ok(['chat', QUESTION, '--json']));
  assert.equal(answer.answer.mode, 'generated');
  assert.equal(answer.answer.provider, 'local');
  assert.equal(answer.grounded, true);
  const labels = answer.answer.citations.map((c) => c.label);
  assert.ok(labels.includes(CODE) && labels.includes('task-1'), JSON.stringify(labels));
  assert.ok(answer.answer.citations.every((c) => c.verified));
  const sent = (await standinHttp('GET', '/last')).body;
  assert.equal(sent.model, 'standin-chat');
  assert.equal(answer.answer.prompt.messages.at(-1).content, sent.messages.at(-1).content);
  assert.ok(Number.isInteger(answer.answer.llm_call_id));
  assert.match(ok(['cost', '--by', 'provider']), /local: .*1 call/);

  // A provider that fails: the error, and nothing stored.
  const before = JSON.parse(ok(['chat', 'invoice', '--json'])).question.id;
  await standinHttp('POST', '/control', { script: [{ mode: 'garbage' }] });
  const failed = dr(['chat', QUESTION]);
  assert.notEqual(failed.code, 0);
  assert.doesNotMatch(failed.out, /session/);
  // A budget's hard stop: refused before the call, named, nothing stored.
  const requests = (await standinHttp('GET', '/stats')).requests;
  const refused = dr(['--set', 'cost.hard_stop=true', '--set', 'llm.budgets.daily_usd=0.0001',
    '--set', 'llm.pricing={"standin-chat": {"input_per_1k": 1, "output_per_1k": 1}}',
    'chat', QUESTION]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.err, /LLM_BUDGET_EXCEEDED/);
  assert.equal((await standinHttp('GET', '/stats')).requests, requests);
  const after = JSON.parse(ok(['chat', 'invoice', '--json'])).question.id;
  assert.equal(after, before + 2);  // the failed exchanges took no rows
});
