// Sessions in Chromium: a reload keeps the sign-in (the HttpOnly refresh
// cookie, one refresh per load), two tabs opening at once do not trip the
// refresh token's reuse detection, an ended session sends the page back to
// sign-in with a notice, signing out ends it for good, and with auth off
// the link `serve` prints signs the browser in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDashboard, openBrowser, signIn, checkA11y, PASSWORD } from './browser.mjs';

let dash, browser, page;

before(async () => {
  dash = await startDashboard('docrunch-dash-session-');
  browser = await openBrowser();
  page = browser.page;
});

after(async () => {
  await browser?.close();
  dash?.close();
});

const signedIn = (p) => p.getByRole('navigation', { name: 'Main' }).waitFor({ timeout: 10000 });

test('the access token stays in memory: the refresh cookie is HttpOnly', async () => {
  await signIn(page, dash.origin, 'lead');
  const cookies = await browser.context.cookies();
  const refresh = cookies.find((c) => c.name === 'docrunch_refresh');
  assert.ok(refresh, `no refresh cookie in ${JSON.stringify(cookies)}`);
  assert.equal(refresh.httpOnly, true);
  assert.equal(refresh.path, '/api/auth');
  assert.equal(await page.evaluate(() => document.cookie), '');
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  assert.doesNotMatch(stored, /eyJ/, 'a token in web storage');
});

test('a reload restores the session with exactly one refresh', async () => {
  let refreshes = 0;
  const count = (r) => {
    if (r.url().endsWith('/api/auth/refresh')) refreshes++;
  };
  page.on('request', count);
  await page.goto(`${dash.origin}/tasks`);
  await signedIn(page);
  await page.getByRole('heading', { name: 'Kanban', level: 1 }).waitFor();
  page.off('request', count);
  assert.equal(refreshes, 1);
});

test('a tab\'s refresh waits for another tab\'s, so one refresh token is never sent twice', async () => {
  // Tab A holds the lock a refresh takes (as during its own refresh); tab B
  // must not send its refresh cookie until A lets go, or the two would
  // present the same single-use token and the server would revoke the
  // sign-in as stolen.
  const a = await browser.context.newPage();
  const b = await browser.context.newPage();
  try {
    await a.goto(`${dash.origin}/`);
    await signedIn(a);
    await a.evaluate(() => {
      window.__release = null;
      void navigator.locks.request('docrunch-refresh', () => new Promise((r) => {
        window.__release = r;
      }));
    });
    await a.waitForFunction(() => window.__release !== null);
    let sent = 0;
    b.on('request', (r) => {
      if (r.url().endsWith('/api/auth/refresh')) sent++;
    });
    await b.goto(`${dash.origin}/`);
    await b.getByText('Restoring your session').waitFor();
    await b.waitForTimeout(500);
    assert.equal(sent, 0, 'tab B refreshed while tab A held the lock');
    await a.evaluate(() => window.__release());
    await signedIn(b);
    assert.equal(sent, 1);
    await page.reload();
    await signedIn(page);
  } finally {
    await a.close();
    await b.close();
  }
});

test('an ended session returns to sign-in with a notice', async () => {
  // The page must be idle first: a request of its own in flight would meet
  // the ended session before the click below.
  await page.locator('main h1').waitFor();
  await page.waitForLoadState('networkidle');
  // A new password ends every session of the user, access tokens included.
  dash.cli(['user', 'passwd', 'lead', '--password-stdin'], `${PASSWORD}\n`);
  await page.getByRole('link', { name: 'Audit log' }).click();
  await page.getByText('Your session has expired').waitFor({ timeout: 10000 });
  await page.getByLabel('User name').waitFor();
  await checkA11y(page, 'sign-in (expired)');
});

test('signing out ends the session for good', async () => {
  await signIn(page, dash.origin, 'lead');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('User name').waitFor();
  await page.reload();
  await page.getByLabel('User name').waitFor();
  assert.equal(await page.getByRole('navigation', { name: 'Main' }).count(), 0);
});

test('with auth off, the printed sign-in link signs the browser in', async () => {
  const local = await startDashboard('docrunch-dash-local-', { auth: false, users: false });
  const tab = await browser.context.newPage();
  try {
    assert.match(local.served.token, /^[0-9a-f]+$/);
    await tab.goto(`${local.origin}/api/auth/local?token=${local.served.token}`);
    await signedIn(tab);
    assert.equal(new URL(tab.url()).pathname, '/');
    await tab.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    await tab.reload();
    await signedIn(tab);
  } finally {
    await tab.close();
    local.close();
  }
  assert.deepEqual(browser.problems, []);
});

test('a server out of reach is not taken for an ended session', async () => {
  const refused = (route) => route.abort('connectionrefused');
  // A first load that cannot refresh says so, instead of asking to sign in again.
  const first = await browser.context.newPage();
  await first.route('**/api/auth/refresh', refused);
  await first.goto(`${dash.origin}/`);
  await first.getByText('The server could not be reached').waitFor();
  await first.close();

  // Signed in, a refresh that cannot reach the server keeps the session.
  const tab = await browser.context.newPage();
  try {
    await signIn(tab, dash.origin, 'rita');
    await tab.locator('.counts').waitFor(); // the overview has loaded: nothing in flight
    await tab.locator('.health-card').first().waitFor();
    dash.cli(['user', 'passwd', 'rita', '--password-stdin'], `${PASSWORD}\n`);
    await tab.route('**/api/auth/refresh', refused);
    await tab.getByRole('link', { name: 'Modules' }).click();
    await tab.getByRole('alert').filter({ hasText: 'could not be renewed' }).waitFor();
    assert.equal(await tab.getByRole('navigation', { name: 'Main' }).count(), 1);
  } finally {
    await tab.close();
  }
});
