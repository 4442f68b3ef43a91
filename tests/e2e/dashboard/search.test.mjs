// Search as you type in Chromium: results carry file:line and a snippet,
// the scope filter narrows them to tasks and reports, and a result opens
// where it lives (a function's docs, a task's page).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDashboard, openBrowser, signIn, checkA11y, screenshot } from './browser.mjs';

let dash, browser, page;

before(async () => {
  dash = await startDashboard('docrunch-dash-search-');
  dash.cli(['task', 'create', '--type', 'bug_fix', '--title', 'Invoice parser drops the last line']);
  browser = await openBrowser();
  page = browser.page;
  await signIn(page, dash.origin, 'lead');
});

after(async () => {
  await browser?.close();
  dash?.close();
});

test('typing searches as you type and shows file:line with a snippet', async () => {
  await page.getByRole('link', { name: 'Search' }).click();
  const box = page.getByRole('searchbox', { name: 'Search the knowledge base' });
  await box.waitFor();
  await page.getByText('Type to search').waitFor();
  // Typed key by key, never submitted: results must come from typing alone.
  await box.pressSequentially('InvoiceParser', { delay: 30 });
  const result = page.locator('.result', { hasText: 'InvoiceParser' }).first();
  await result.waitFor({ timeout: 5000 });
  assert.match(await result.locator('.location').innerText(), /^shop\/billing\/invoice\.py:\d+$/);
  assert.match(await result.locator('.snippet').innerText(), /InvoiceParser/);
  assert.match(page.url(), /\/search\?q=InvoiceParser$/);
  await checkA11y(page, 'search');
  await screenshot(page, 'search');
});

test('opening a code result shows its function docs', async () => {
  await page.locator('.result', { hasText: 'InvoiceParser' }).first().getByRole('link').click();
  await page.getByRole('heading', { name: 'Functions', level: 1 }).waitFor();
  assert.match(page.url(), /\/functions\?path=shop%2Fbilling%2Finvoice\.py/);
  await page.getByText('Parses invoices.').waitFor();
  assert.match(await page.locator('.fn .location').first().innerText(), /^shop\/billing\/invoice\.py:\d+/);
  await checkA11y(page, 'functions');
});

test('the scope filter narrows to tasks and reports, and a task result opens the task', async () => {
  await page.goto(`${dash.origin}/search?q=invoice`);
  await page.locator('.result').first().waitFor({ timeout: 5000 });
  const everything = await page.locator('.result .badge').allInnerTexts();
  assert.ok(everything.some((t) => t !== 'task'), `code results expected in ${everything}`);
  await page.getByLabel('Scope').selectOption('reports');
  await page.waitForURL(/scope=reports/);
  await page.locator('.result').first().waitFor();
  await page.waitForFunction(() =>
    [...document.querySelectorAll('.result .badge')].every((b) => b.textContent === 'task'));
  await page.locator('.result', { hasText: 'Invoice parser drops the last line' }).getByRole('link').click();
  await page.getByRole('heading', { name: 'Invoice parser drops the last line', level: 1 }).waitFor();
  assert.match(page.url(), /\/tasks\/task-1$/);
  assert.deepEqual(browser.problems, []);
});
