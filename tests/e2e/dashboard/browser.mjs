// The dashboard's browser tests: Debian's chromium driven by playwright-core
// (pinned in web/package.json; never a downloaded browser), a real
// `docrunch serve --http` serving the built dashboard, and axe for
// accessibility. Screenshots go to DOCRUNCH_SCREENSHOTS (build/screenshots).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { makeProject, serve, call, root } from '../rest_server.mjs';

const require = createRequire(path.join(root, 'web/package.json'));
const { chromium } = require('playwright-core');
const { default: AxeBuilder } = await import(require.resolve('@axe-core/playwright'));

export const CHROMIUM = process.env.DOCRUNCH_CHROMIUM ?? '/usr/bin/chromium';
export const PASSWORD = process.env.DOCRUNCH_E2E_PASSWORD ?? 'a long dashboard password';
export const webRoot = process.env.DOCRUNCH_WEB_ROOT ?? path.join(root, 'build/web');
const screenshots = process.env.DOCRUNCH_SCREENSHOTS ?? path.join(root, 'build/screenshots');

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// A project with users `lead` (admin) and `rita` (reader), served with auth
// on (or off: `auth: false`) and the dashboard from webRoot, with more
// `--set` overlays in `sets`; `prepare(project)` runs before serve starts. Resolves to {project, served, origin, cli(args),
// api(method, route, options), close()}.
export async function startDashboard(prefix, { auth = true, users = true, prepare = null, sets: extraSets = [] } = {}) {
  assert.ok(fs.existsSync(path.join(webRoot, 'index.html')), `no dashboard build at ${webRoot}`);
  const project = makeProject(prefix);
  if (users) {
    project.run(['user', 'create', 'lead', '--role', 'admin', '--password-stdin'], `${PASSWORD}\n`);
    project.run(['user', 'create', 'rita', '--role', 'reader', '--password-stdin'], `${PASSWORD}\n`);
  }
  if (prepare) prepare(project);
  const sets = [`server.http.web_root=${webRoot}`];
  if (auth) sets.push('server.http.auth.enabled=true');
  sets.push(...extraSets);
  const served = await serve(project, sets);
  const origin = served.api.replace(/\/api$/, '');
  return {
    project,
    served,
    origin,
    cli: (args, input) => project.run(args, input),
    api: (method, route, options) => call(served.api, method, route, options),
    close() {
      served.server.kill('SIGTERM');
      project.cleanup();
    },
  };
}

// A fresh chromium profile; resolves to {context, page, close()}.
export async function openBrowser() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'docrunch-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1440, height: 900 },
    timezoneId: 'Europe/Paris',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // A refused move or sign-in is a 4xx the page expects and shows.
    if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  return {
    context,
    page,
    problems,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function signIn(page, origin, user = 'lead') {
  await page.goto(`${origin}/`);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

// axe over the page as it is; fails on any serious or critical violation.
export async function checkA11y(page, label) {
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const summary = bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')}`);
  console.log(`axe ${label}: ${result.violations.length} violation(s), ${bad.length} serious/critical, ${result.passes.length} rules passed`);
  assert.deepEqual(summary, [], `axe on ${label}`);
  return result;
}

// The viewport, or only `element` (a locator) when given.
export async function screenshot(page, name, element = null) {
  fs.mkdirSync(screenshots, { recursive: true });
  const file = path.join(screenshots, `${name}.png`);
  if (element) await element.screenshot({ path: file });
  else await page.screenshot({ path: file, fullPage: false });
  return file;
}
