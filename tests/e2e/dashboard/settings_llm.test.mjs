// Settings for LLM providers in Chromium: an admin adds a provider pointing
// at the OpenAI-compatible stand-in (tests/support/llm_standin.py) with its
// key typed in the page, sees it masked, presses Test and sees the model's
// answer and the latency, then the provider's own error (key redacted);
// edits it without touching the key; sets and removes a specialist
// profile; reads the CLI model registry, then its file:line problems. The
// plaintext key is searched for in the page's DOM (and every field's
// value) and in every network answer the page received: never found.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startDashboard, openBrowser, signIn, checkA11y, screenshot } from './browser.mjs';
import { startStandIn } from '../llm_standin.mjs';

const KEY = `sk-dashkey-${crypto.randomBytes(12).toString('hex')}`;
const MASKED = `sk-…${KEY.slice(-4)}`;
let dash, browser, page, standin;
const bodies = [];  // every answer the page received, as text

before(async () => {
  standin = await startStandIn(KEY);
  dash = await startDashboard('docrunch-dash-llm-', {
    prepare: (project) => { project.env.DOCRUNCH_KMS_KEY = crypto.randomBytes(32).toString('hex'); },
  });
  browser = await openBrowser();
  page = browser.page;
  page.on('response', (res) => {
    bodies.push(res.body().then((b) => b.toString('utf8'), () => ''));
  });
  await signIn(page, dash.origin, 'lead');
  await page.getByRole('link', { name: 'Settings' }).click();
});

after(async () => {
  await browser?.close();
  dash?.close();
  standin?.stop();
});

const providers = () => page.getByRole('region', { name: 'LLM providers' });
const row = (name) => providers().locator(`tr[data-provider="${name}"]`);

test('an admin adds a provider with its key; the list shows it masked and the field is emptied', async () => {
  await providers().getByText('No providers yet.').waitFor();
  const form = providers().getByRole('form', { name: 'Add a provider' });
  await form.getByLabel('Provider name').fill('stand');
  await form.getByLabel('Type').selectOption('openai-compatible');
  await form.getByLabel('Base URL').fill(standin.base);
  await form.getByLabel('Model').fill('gpt-test');
  await form.getByLabel('API key').fill(KEY);
  await form.getByRole('button', { name: 'Add provider' }).click();
  await row('stand').getByText(MASKED).waitFor();
  await providers().getByText('Provider stand added.').waitFor();
  assert.equal(await form.getByLabel('API key').inputValue(), '');
  assert.match(dash.cli(['provider', 'list']), new RegExp(`stand {2}openai-compatible {2}gpt-test .*key ${MASKED}`));
});

test('Test shows the latency and the model\'s answer, then the provider\'s error', async () => {
  await row('stand').getByRole('button', { name: 'Test stand' }).click();
  const ok = row('stand').getByRole('status');
  await ok.getByText('pong: Reply with the single word: pong').waitFor();
  assert.match(await ok.innerText(), /ok \d+ ms, gpt-test\S*: \W?pong: Reply with the single word: pong/);
  assert.equal((await standin.last()).headers.authorization, `Bearer ${KEY}`);

  await standin.script([{ mode: 'echo_key' }]);
  await row('stand').getByRole('button', { name: 'Test stand' }).click();
  const failed = row('stand').getByRole('alert');
  await failed.getByText('LLM_PROVIDER_ERROR').waitFor();
  assert.match(await failed.innerText(), /HTTP 401: Incorrect API key provided: \[redacted\]/);
  await checkA11y(page, 'settings (providers)');
  await screenshot(page, 'settings-llm-providers', providers());
});

test('editing a provider keeps its key unless a new one is typed', async () => {
  await row('stand').getByRole('button', { name: 'Edit stand' }).click();
  const form = providers().getByRole('form', { name: 'Edit stand' });
  await form.getByLabel('Model').fill('gpt-edited');
  await form.getByRole('button', { name: 'Save provider' }).click();
  await row('stand').getByRole('cell', { name: 'gpt-edited' }).waitFor();
  await row('stand').getByText(MASKED).waitFor();
  await providers().getByText('Provider stand updated.').waitFor();
  // The server refuses what the CLI refuses, and the page says why.
  await row('stand').getByRole('button', { name: 'Edit stand' }).click();
  await form.getByLabel('Base URL').fill('ftp://example.com/v1');
  await form.getByRole('button', { name: 'Save provider' }).click();
  await form.getByRole('alert').getByText(/base_url: URL scheme must be one of https, http/).waitFor();
  await page.getByRole('button', { name: 'Cancel' }).click();
});

test('a specialist profile is set, shown and removed', async () => {
  const profiles = page.getByRole('region', { name: 'Specialist profiles' });
  const form = profiles.getByRole('form', { name: 'Set a profile' });
  await form.getByLabel('Role').selectOption('qa');
  await form.getByLabel('Provider').selectOption('stand');
  await form.getByLabel('Profile model').fill('gpt-qa');
  await form.getByLabel('Temperature').fill('0.2');
  await form.getByLabel('Max tokens').fill('300');
  await form.getByLabel('System prompt').fill('Review like a careful tester.');
  await form.getByRole('button', { name: 'Save profile' }).click();
  const qa = profiles.locator('tr[data-profile="qa"]');
  await qa.getByRole('cell', { name: 'gpt-qa' }).waitFor();
  assert.deepEqual(await qa.locator('td').allInnerTexts().then((t) => t.slice(0, 6)),
    ['qa', 'stand', 'gpt-qa', '0.2', '300', 'Review like a careful tester.']);
  assert.match(dash.cli(['profile', 'list']), /qa {2}stand {2}gpt-qa/);
  // Removing the provider is refused while the profile uses it.
  await row('stand').getByRole('button', { name: 'Remove stand' }).click();
  await providers().getByRole('alert').getByText(/used by the profile\(s\) qa/).waitFor();
  await checkA11y(page, 'settings (profiles)');
  await screenshot(page, 'settings-llm-profiles', profiles);
  await qa.getByRole('button', { name: 'Remove qa' }).click();
  await profiles.getByText('Profile qa removed.').waitFor();
  // The message comes with the answer; the row goes when the list is read again.
  await qa.waitFor({ state: 'detached' });
  assert.equal(await qa.count(), 0);
});

test('the CLI model registry, then its file:line problems', async () => {
  const cli = page.getByRole('region', { name: 'CLI models' });
  await cli.locator('[data-cli="gemini"] code').first().waitFor();
  const file = path.join(dash.project.dir, '.docrunch/cli_models.json');
  const good = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(file, '{\n  "gemini": {"models": []}\n}\n');
  try {
    await page.reload();
    await cli.getByRole('alert').getByText('CONFIG_INVALID').waitFor();
    assert.match(await cli.locator('pre').innerText(), /cli_models\.json:2:\d+: gemini\.models/);
    await screenshot(page, 'settings-llm-cli-models-error', cli);
  } finally {
    fs.writeFileSync(file, good);
  }
});

test('the key is in no page content, field and no answer the page received', async () => {
  const html = await page.evaluate(() => document.documentElement.outerHTML);
  const values = await page.evaluate(() => [...document.querySelectorAll('input, textarea, select')].map((e) => e.value));
  assert.ok(html.includes(MASKED), 'control: the masked hint is in the page');
  assert.ok(!html.includes(KEY), 'the DOM holds the key');
  assert.ok(!values.some((v) => v.includes(KEY)), 'a field holds the key');
  const texts = await Promise.all(bodies);
  assert.ok(texts.some((t) => t.includes(MASKED)), 'control: an answer held the masked hint');
  assert.ok(texts.length > 10, `only ${texts.length} answers recorded`);
  for (const t of texts) assert.ok(!t.includes(KEY), `an answer holds the key: ${t.slice(0, 200)}`);
  assert.deepEqual(browser.problems.filter((p) => !/status of 5\d\d/.test(p)), []);
});
