// The Chat page in Chromium against a real `serve --http` on the scanned
// sample project (shop/billing/invoice.py): without a chat profile an
// extractive answer whose path:line citations open the function docs and
// whose task-N opens the task; a second question in the same session; a
// reload shows both exchanges from the database. Bad paths: an empty
// question is never sent, the server's refusal (422, 404) is shown with its
// status and code. Then a second server with a chat profile on the LLM
// stand-in (tests/support/llm_standin.py, mode "cite"): a generated answer,
// an unverified citation marked, a cited decision shown in place, the
// provider's failure shown, and a budget's hard stop shown as 402. An answer
// that arrives after the user opened another view stays in its session.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startDashboard, openBrowser, signIn, checkA11y, screenshot, PASSWORD, webRoot } from './browser.mjs';
import { serve } from '../rest_server.mjs';
import { startStandIn } from '../llm_standin.mjs';

const FIRST = 'How does InvoiceParser parse an invoice?';
const SECOND = 'Which task caches parsed invoices?';
let dash, browser, page, token;
const chatPosts = [];

async function login(d) {
  const r = await d.api('POST', '/auth/login', { body: { username: 'lead', password: PASSWORD } });
  assert.equal(r.status, 200, r.text);
  return r.json.data.access_token;
}

before(async () => {
  dash = await startDashboard('docrunch-dash-chat-');
  dash.cli(['task', 'create', '--type', 'feature', '--title', 'Cache parsed invoices',
    '--description', 'InvoiceParser re-parses the same invoice; cache the parsed lines.']);
  token = await login(dash);
  browser = await openBrowser();
  page = browser.page;
  page.on('request', (r) => {
    if (r.method() === 'POST' && r.url().includes('/api/chat/')) chatPosts.push(r.postDataJSON());
  });
  await signIn(page, dash.origin, 'lead');
});

after(async () => {
  await browser?.close();
  dash?.close();
});

const box = () => page.getByRole('textbox', { name: 'Your question' });
const answers = () => page.locator('.chat-answer');

test('an empty question is not sent', async () => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Chat' }).click();
  await page.getByRole('heading', { name: 'Chat', level: 1 }).waitFor();
  await page.getByText('No conversations yet.').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Ask' }).isDisabled(), true);
  await box().focus();
  await page.keyboard.press('Enter');
  await box().fill('   \n  ');
  await page.keyboard.press('Enter');
  assert.equal(await page.getByRole('button', { name: 'Ask' }).isDisabled(), true);
  await page.waitForTimeout(300);
  assert.deepEqual(chatPosts, []);
  const list = await dash.api('GET', '/chat/sessions', { token });
  assert.deepEqual(list.json.data.items, []);
});

test('a question about a function: an extractive answer citing path:line, linked to the function docs', async () => {
  // Hold the answer until the page is seen waiting, then let the real server answer.
  let release;
  const held = new Promise((r) => (release = r));
  await page.route('**/api/chat/sessions/*/messages', async (route) => {
    if (route.request().method() === 'POST') await held;
    await route.continue();
  });
  await box().fill(FIRST);
  await box().press('Enter');
  await page.getByText('Looking for the answer…').waitFor();
  assert.equal(await box().isDisabled(), true, 'the box is disabled while asking');
  assert.equal(await page.getByRole('button', { name: 'Asking…' }).isDisabled(), true);
  release();
  await answers().first().waitFor({ timeout: 10_000 });
  await page.unroute('**/api/chat/sessions/*/messages');
  await page.waitForURL(/\/chat\/chat-1$/);
  assert.equal(await box().inputValue(), '', 'the box is emptied after an answer');
  assert.equal(await box().isDisabled(), false);

  const answer = answers().first();
  await answer.getByText('no chat profile: the best passages').waitFor();
  assert.equal(await answer.locator('.badge.mode-extractive').innerText(), 'extractive');
  assert.match(await answer.locator('.answer-text').innerText(), /Split an invoice into its lines\./);
  const cite = answer.locator('.citations').getByRole('link', { name: 'shop/billing/invoice.py:3' });
  assert.equal(await cite.getAttribute('href'), '/functions?path=shop%2Fbilling%2Finvoice.py&name=parse');
  const cls = answer.locator('.citations').getByRole('link', { name: 'shop/billing/invoice.py:1' });
  assert.equal(await cls.getAttribute('href'), '/functions?path=shop%2Fbilling%2Finvoice.py&name=InvoiceParser');
  // The labels in the text are the same links.
  assert.equal(await answer.locator('.answer-text').getByRole('link', { name: 'shop/billing/invoice.py:3' })
    .getAttribute('href'), '/functions?path=shop%2Fbilling%2Finvoice.py&name=parse');
  assert.equal(await answer.locator('.badge.unverified').count(), 0);

  // The new session is listed and selected, titled by the question.
  const sessions = page.getByRole('navigation', { name: 'Chat sessions' });
  const current = sessions.locator('a[aria-current="page"]');
  assert.match(await current.innerText(), new RegExp(`${FIRST.replace(/\?/g, '\\?')}\\s+chat-1 · 1 question`));
  assert.deepEqual(chatPosts, [{ title: FIRST }, { question: FIRST }]);
  await checkA11y(page, 'chat');
  await screenshot(page, 'chat-extractive');
});

test('a path:line citation opens the function docs of that file', async () => {
  await answers().first().locator('.citations').getByRole('link', { name: 'shop/billing/invoice.py:3' }).click();
  await page.getByRole('heading', { name: 'Functions', level: 1 }).waitFor();
  await page.getByText('Split an invoice into its lines.').waitFor();
  assert.match(await page.locator('.fn .location').first().innerText(), /^shop\/billing\/invoice\.py:3/);
  await page.goBack();
  await page.waitForURL(/\/chat\/chat-1$/);
  await answers().first().waitFor();
});

test('a second question in the same session, both exchanges kept across a reload', async () => {
  await box().fill(SECOND);
  await box().press('Enter');
  await answers().nth(1).waitFor({ timeout: 10_000 });
  assert.match(page.url(), /\/chat\/chat-1$/);
  const task = answers().nth(1).locator('.citations').getByRole('link', { name: 'task-1' });
  assert.equal(await task.getAttribute('href'), '/tasks/task-1');
  assert.deepEqual(chatPosts.at(-1), { question: SECOND });
  assert.equal(chatPosts.length, 3, 'no second session was created');

  await page.reload();
  await answers().nth(1).waitFor();
  const questions = await page.locator('.chat-question .prewrap').allInnerTexts();
  assert.deepEqual(questions, [FIRST, SECOND]);
  assert.equal(await answers().count(), 2);
  assert.match(await page.locator('.chat-sessions a[aria-current="page"]').innerText(), /chat-1 · 2 questions/);
  const stored = await dash.api('GET', '/chat/sessions/chat-1/messages', { token });
  assert.deepEqual(stored.json.data.messages.map((m) => m.role), ['user', 'assistant', 'user', 'assistant']);

  await answers().nth(1).locator('.citations').getByRole('link', { name: 'task-1' }).click();
  await page.getByRole('heading', { name: 'Cache parsed invoices', level: 1 }).waitFor();
  assert.match(page.url(), /\/tasks\/task-1$/);
});

test('an answer arriving after another view was opened stays in its own session', async () => {
  await page.goto(`${dash.origin}/chat/chat-1`);
  await answers().nth(1).waitFor();
  let release;
  const held = new Promise((r) => (release = r));
  await page.route('**/api/chat/sessions/*/messages', async (route) => {
    if (route.request().method() === 'POST') await held;
    await route.continue();
  });
  const done = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/chat-1/messages'));
  await box().fill('And where are the lines split?');
  await box().press('Enter');
  await page.getByText('Looking for the answer…').waitFor();
  await page.getByRole('button', { name: 'New chat' }).click();
  await page.waitForURL(/\/chat$/);
  release();
  assert.equal((await done).status(), 201);
  await page.unroute('**/api/chat/sessions/*/messages');
  await page.getByRole('button', { name: 'Ask' }).waitFor();
  assert.match(page.url(), /\/chat$/);
  assert.equal(await answers().count(), 0, 'the new conversation shows no answer of chat-1');
  await page.getByText('Ask a question about the project to start a conversation.').waitFor();
  await page.locator('.chat-sessions').getByText('chat-1 · 3 questions').waitFor();
  await page.locator('.chat-sessions').getByRole('link', { name: new RegExp(FIRST.replace(/\?/g, '\\?')) }).click();
  await answers().nth(2).waitFor();
  assert.equal(await answers().count(), 3);
});

test('the server refusing a question is shown with its status and code, the question kept', async () => {
  await page.goto(`${dash.origin}/chat/chat-1`);
  await answers().nth(2).waitFor();
  const long = 'y'.repeat(9000);
  await box().fill(long);
  await page.getByRole('button', { name: 'Ask' }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.innerText(), /^422 INVALID_PARAMS: question: 9000 bytes is over the limit of 8192/);
  assert.equal(await box().inputValue(), long, 'the question stays to be edited');
  assert.equal(await answers().count(), 3);
  const stored = await dash.api('GET', '/chat/sessions/chat-1/messages', { token });
  assert.equal(stored.json.data.messages.length, 6);

  // "New chat" clears the error and the selection.
  await page.getByRole('button', { name: 'New chat' }).click();
  await page.waitForURL(/\/chat$/);
  assert.equal(await page.getByRole('alert').count(), 0);
  await page.getByText('Ask a question about the project to start a conversation.').waitFor();

  // A session that does not exist.
  await page.goto(`${dash.origin}/chat/chat-99`);
  const missing = page.getByRole('alert');
  await missing.waitFor();
  assert.match(await missing.innerText(), /404 STORAGE_NOT_FOUND: .*no chat session chat-99/);
  await screenshot(page, 'chat-error');
  assert.deepEqual(browser.problems.filter((p) => !/status of 4\d\d/.test(p)), []);
});

test('the sessions come 50 at a time, "More conversations" for the rest', async () => {
  for (let i = 1; i <= 55; i++) {
    const r = await dash.api('POST', '/chat/sessions', { token, body: { title: `Empty ${i}` } });
    assert.equal(r.status, 201, r.text);
  }
  await page.goto(`${dash.origin}/chat`);
  const links = page.locator('.chat-sessions li a');
  await links.first().waitFor();
  assert.equal(await links.count(), 50);
  await page.getByRole('button', { name: 'More conversations' }).click();
  await page.locator('.chat-sessions li a', { hasText: FIRST }).waitFor();
  assert.equal(await links.count(), 56);
  assert.equal(await page.getByRole('button', { name: 'More conversations' }).count(), 0);
  assert.equal(new Set(await links.allInnerTexts()).size, 56);
});

test('with a chat profile: a generated answer, an unverified citation marked, a decision shown in place', async () => {
  const key = `sk-chat-${crypto.randomBytes(8).toString('hex')}`;
  const standin = await startStandIn(key);
  let gen = null;
  let other = null;
  let budgeted = null;
  try {
    gen = await startDashboard('docrunch-dash-chat-llm-', {
      prepare(project) {
        project.env.DOCRUNCH_KMS_KEY = crypto.randomBytes(32).toString('hex');
        project.run(['provider', 'add', 'local', '--type', 'openai-compatible', '--base-url', standin.base,
          '--model', 'standin-chat', '--api-key-stdin'], `${key}\n`);
        project.run(['profile', 'set', 'chat', '--provider', 'local']);
      },
    });
    other = await openBrowser();
    const t = await login(gen);
    const adr = await gen.api('POST', '/decisions', { token: t, body: {
      title: 'Parse invoices line by line', context: 'InvoiceParser handles large invoices.',
      decision: 'InvoiceParser splits an invoice into its lines before anything else.',
      rationale: 'Lines are the unit every later step works on.' } });
    assert.equal(adr.status, 201, adr.text);
    const adrId = adr.json.data.id;
    assert.match(adrId, /^adr-\d+$/);
    await standin.script([{ mode: 'cite', expect: ['[shop/billing/invoice.py:3] ', `Question: ${FIRST}`],
      extra: 'It also caches every invoice [shop/billing/cache.py:9].' }]);
    const p = other.page;
    await signIn(p, gen.origin, 'lead');
    await p.goto(`${gen.origin}/chat`);
    await p.getByRole('textbox', { name: 'Your question' }).fill(FIRST);
    await p.getByRole('textbox', { name: 'Your question' }).press('Enter');
    const answer = p.locator('.chat-answer').first();
    await answer.waitFor({ timeout: 15_000 });
    assert.equal(await answer.locator('.badge.mode-generated').innerText(), 'generated');
    assert.match(await answer.locator('.chat-who').innerText(), /local \/ standin-chat/);
    assert.match(await answer.locator('.answer-text').innerText(), /The knowledge base has InvoiceParser\.parse/);
    assert.equal(await answer.locator('.citations').getByRole('link', { name: 'shop/billing/invoice.py:3' })
      .getAttribute('href'), '/functions?path=shop%2Fbilling%2Finvoice.py&name=parse');
    // The made-up citation: kept, marked, not a link.
    const bad = answer.locator('.citation-unverified');
    assert.equal(await bad.count(), 1);
    assert.match(await bad.innerText(), /shop\/billing\/cache\.py:9\s*⚠ unverified/);
    assert.equal(await bad.getByRole('link').count(), 0);
    assert.equal(await answer.getByText('Not grounded').count(), 0);

    // The decision the answer cites opens in place.
    const cited = answer.locator('.citations').getByRole('button', { name: adrId });
    if (await cited.count()) {
      await cited.click();
      assert.equal(await cited.getAttribute('aria-expanded'), 'true');
      await answer.getByText('InvoiceParser splits an invoice into its lines before anything else.').waitFor();
    } else {
      const labels = await answer.locator('.citations li').allInnerTexts();
      assert.fail(`the decision ${adrId} was not among the citations: ${labels.join(' | ')}`);
    }
    await checkA11y(p, 'chat generated');
    await screenshot(p, 'chat-generated');

    // The provider failing: the error shown with its status and code, nothing added.
    await standin.script([{ mode: 'garbage' }]);
    await p.getByRole('textbox', { name: 'Your question' }).fill(SECOND);
    await p.getByRole('button', { name: 'Ask' }).click();
    const alert = p.getByRole('alert');
    await alert.waitFor({ timeout: 15_000 });
    assert.match(await alert.innerText(), /^5\d\d [A-Z_]+: /);
    assert.equal(await p.locator('.chat-answer').count(), 1);
    assert.equal(await p.getByRole('textbox', { name: 'Your question' }).inputValue(), SECOND);

    // A budget's hard stop (the same server restarted with a spend over its
    // daily budget): 402 shown with its code, the provider not called.
    gen.served.server.kill('SIGTERM');
    budgeted = await serve(gen.project, [`server.http.web_root=${webRoot}`, 'server.http.auth.enabled=true',
      'cost.hard_stop=true', 'llm.budgets.daily_usd=0.0001',
      'llm.pricing={"standin-chat": {"input_per_1k": 1, "output_per_1k": 1}}']);
    const origin = budgeted.api.replace(/\/api$/, '');
    const calls = (await standin.stats()).requests;
    // The refresh cookie (same host) may sign the page straight in.
    await p.goto(`${origin}/chat/chat-1`);
    const userName = p.getByLabel('User name');
    await userName.or(p.getByRole('navigation', { name: 'Main' })).waitFor();
    if (await userName.isVisible()) {
      await userName.fill('lead');
      await p.getByLabel('Password').fill(PASSWORD);
      await p.getByRole('button', { name: 'Sign in' }).click();
    }
    await p.locator('.chat-answer').first().waitFor();
    await p.getByRole('textbox', { name: 'Your question' }).fill(SECOND);
    await p.getByRole('textbox', { name: 'Your question' }).press('Enter');
    const refused = p.getByRole('alert');
    await refused.waitFor({ timeout: 15_000 });
    assert.match(await refused.innerText(), /^402 LLM_BUDGET_EXCEEDED: /);
    assert.equal((await standin.stats()).requests, calls, 'no call past the hard stop');
    assert.equal(await p.locator('.chat-answer').count(), 1);
    await screenshot(p, 'chat-budget');
    assert.deepEqual(other.problems.filter((x) => !/status of [45]\d\d/.test(x)), []);
  } finally {
    budgeted?.server.kill('SIGTERM');
    await other?.close();
    gen?.close();
    standin.stop();
  }
});
