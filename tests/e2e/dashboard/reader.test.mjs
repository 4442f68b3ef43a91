// A reader sees no write control: no draggable card and no "Move…" on the
// Kanban, no review or block actions on a task, no token or user forms in
// the settings, no audit log; and the server refuses the write anyway.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDashboard, openBrowser, signIn, checkA11y, screenshot, PASSWORD } from './browser.mjs';

let dash, browser, page;

before(async () => {
  dash = await startDashboard('docrunch-dash-reader-');
  dash.cli(['task', 'create', '--type', 'feature', '--title', 'Readers may look']);
  browser = await openBrowser();
  page = browser.page;
  await signIn(page, dash.origin, 'rita');
});

after(async () => {
  await browser?.close();
  dash?.close();
});

// Every enabled control on the page that is not navigation, filtering or
// signing out: what a reader must not be offered.
async function writeControls() {
  return page.evaluate(() => {
    const allowed = /^(Sign out|Copy .*|Clear filters|Check again|Try again|Show \d+ more.*|Load more|Apply|Dismiss)$/;
    return [...document.querySelectorAll('main button, main [draggable="true"], main textarea')]
      .filter((el) => !allowed.test((el.getAttribute('aria-label') ?? el.textContent ?? '').trim()))
      .map((el) => `${el.tagName.toLowerCase()}: ${(el.textContent ?? '').trim().slice(0, 40)}`);
  });
}

test('the Kanban shows the reader every task but no way to move one', async () => {
  await page.getByRole('link', { name: 'Kanban', exact: true }).click();
  await page.locator('li[data-task-id="task-1"]').waitFor();
  assert.equal(await page.locator('li[data-task-id="task-1"]').getAttribute('draggable'), 'false');
  assert.equal(await page.getByRole('button', { name: /Move/ }).count(), 0);
  assert.deepEqual(await writeControls(), []);
  await checkA11y(page, 'kanban (reader)');
  await screenshot(page, 'kanban-reader');
});

test('the task page has no review or block actions for a reader', async () => {
  await page.getByRole('link', { name: 'Readers may look' }).click();
  await page.getByRole('heading', { name: 'Readers may look', level: 1 }).waitFor();
  await page.getByRole('heading', { name: 'Guardrails' }).waitFor();
  assert.equal(await page.getByRole('heading', { name: 'Review and blocks' }).count(), 0);
  assert.deepEqual(await writeControls(), []);
  await checkA11y(page, 'task (reader)');
});

test('settings and navigation offer the reader no admin page', async () => {
  assert.equal(await page.getByRole('link', { name: 'Audit log' }).count(), 0);
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('heading', { name: 'Your account' }).waitFor();
  assert.equal(await page.getByRole('button', { name: /Create|Revoke|Disable/ }).count(), 0);
  assert.deepEqual(await writeControls(), []);
  await checkA11y(page, 'settings (reader)');
  await screenshot(page, 'settings-reader');
});

test('the server refuses a reader write whatever the page shows', async () => {
  const login = await dash.api('POST', '/auth/login', { body: { username: 'rita', password: PASSWORD } });
  const refused = await dash.api('PATCH', '/tasks/task-1', { token: login.json.data.access_token,
    body: { status: 'backlog' } });
  assert.equal(refused.status, 403);
  assert.deepEqual(browser.problems, []);
});
