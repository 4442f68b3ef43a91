// The Kanban in Chromium against a real `serve --http`: a task created
// through the CLI appears without a reload; dragging moves it (PATCH), an
// invalid move is refused with the server's own message, and the keyboard
// path ("Move…") and a block with its reason work too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDashboard, openBrowser, signIn, checkA11y, screenshot, PASSWORD } from './browser.mjs';

let dash, browser, page, id;

before(async () => {
  dash = await startDashboard('docrunch-dash-kanban-');
  dash.cli(['task', 'create', '--type', 'bug_fix', '--title', 'Fix the invoice rounding']);
  dash.cli(['task', 'create', '--type', 'docs', '--title', 'Write the billing docs', '--priority', 'high']);
  browser = await openBrowser();
  page = browser.page;
});

after(async () => {
  await browser?.close();
  dash?.close();
});

const card = (status, id) => page.locator(`section[data-status="${status}"] li[data-task-id="${id}"]`);

test('sign-in page is accessible and signs the CLI-created admin in', async () => {
  await page.goto(`${dash.origin}/`);
  await page.getByLabel('User name').waitFor();
  await checkA11y(page, 'sign-in');
  await screenshot(page, 'sign-in');
  await page.getByLabel('User name').fill('lead');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: /./ }).waitFor();
  await signIn(page, dash.origin, 'lead');
  assert.equal(await page.locator('.whoami').innerText().then((t) => t.includes('lead')), true);
});

test('a task created through the CLI appears on the board without a reload', async () => {
  await page.getByRole('link', { name: 'Kanban' }).click();
  await page.locator('.live', { hasText: /^Live/ }).waitFor();
  await page.evaluate(() => {
    window.__sameDocument = true;
  });
  const out = JSON.parse(dash.cli(['task', 'create', '--type', 'feature', '--title', 'Stream me onto the board',
    '--priority', 'high', '--json']));
  id = out.id ?? out.task?.id;
  assert.match(id, /^task-\d+$/);
  await card('todo', id).waitFor({ timeout: 5000 });
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'the page was reloaded');
  assert.match(await card('todo', id).innerText(), /Stream me onto the board/);
});

test('dragging moves a task; an invalid move is refused with the server message', async () => {
  await card('todo', id).dragTo(page.locator('section[data-status="backlog"]'));
  await card('backlog', id).waitFor({ timeout: 5000 });
  const login = await dash.api('POST', '/auth/login', { body: { username: 'lead', password: PASSWORD } });
  const token = login.json.data.access_token;
  assert.equal((await dash.api('GET', `/tasks/${id}`, { token })).json.data.status, 'backlog');

  // backlog -> done is not in the transition table. The same request made
  // directly tells which message the page must show (and changes nothing).
  const direct = await dash.api('PATCH', `/tasks/${id}`, { token, body: { status: 'done' } });
  assert.equal(direct.status, 409);
  await card('backlog', id).dragTo(page.locator('section[data-status="done"]'));
  const alert = page.locator('.notice-error');
  await alert.waitFor({ timeout: 5000 });
  const text = await alert.innerText();
  assert.ok(text.includes(direct.json.error.message), `"${text}" lacks "${direct.json.error.message}"`);
  assert.equal(await card('backlog', id).count(), 1, 'the refused card left its column');
  await screenshot(page, 'kanban-refused');
});

test('the keyboard moves a task too, and a block asks for its reason', async () => {
  const move = card('backlog', id).getByRole('button', { name: /Move/ });
  await move.focus();
  await page.keyboard.press('Enter');
  await card('backlog', id).getByRole('group', { name: `Move ${id} to` }).getByRole('button', { name: 'todo' }).focus();
  await page.keyboard.press('Enter');
  await card('todo', id).waitFor({ timeout: 5000 });

  await card('todo', id).getByRole('button', { name: /Move/ }).click();
  await card('todo', id).getByRole('button', { name: 'blocked' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  await dialog.getByLabel('Reason').fill('Waiting for the design review');
  await page.keyboard.press('Tab');
  await dialog.getByRole('button', { name: 'Confirm' }).press('Enter');
  await card('blocked', id).waitFor({ timeout: 5000 });
  await page.locator('.notice-ok', { hasText: `${id} moved to blocked` }).waitFor();
});

test('filters narrow the board, and the board is accessible', async () => {
  await page.getByLabel('Priority').selectOption('high');
  assert.equal(await page.locator('li[data-task-id]').count(), 2);
  await page.getByLabel('Type').selectOption('bug_fix');
  assert.equal(await page.locator('li[data-task-id]').count(), 0);
  await page.getByRole('button', { name: 'Clear filters' }).click();
  assert.equal(await page.locator('li[data-task-id]').count(), 3);
  await checkA11y(page, 'kanban');
  await screenshot(page, 'kanban');
  assert.deepEqual(browser.problems, []);
});
