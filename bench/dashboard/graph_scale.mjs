// The dashboard's repository graph at scale, in Debian's chromium: a
// corpus of thousands of files (default: /usr/include without boost/, about
// 7,900 C and C++ headers; any folder with CORPUS=...) is copied into a
// project and scanned, then the graph page is opened RUNS times in a fresh
// page each: the time from navigation to the top level drawn, and to one
// drill-down into the biggest folder; the sizes of the graph answers the
// page downloads. Prints a Markdown table of medians.
//
//   node bench/dashboard/graph_scale.mjs            (after scripts/build.sh)
//   CORPUS=/some/repo RUNS=5 node bench/dashboard/graph_scale.mjs
import fs from 'node:fs';
import path from 'node:path';
import { startDashboard, openBrowser, signIn } from '../../tests/e2e/dashboard/browser.mjs';

const CORPUS = process.env.CORPUS ?? '/usr/include';
const SKIP = process.env.CORPUS ? [] : ['boost'];
const RUNS = Number(process.env.RUNS ?? 3);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

let files = 0;
const dash = await startDashboard('docrunch-bench-graph-', {
  prepare(project) {
    const into = path.join(project.dir, 'corpus');
    fs.mkdirSync(into);
    for (const entry of fs.readdirSync(CORPUS)) {
      if (SKIP.includes(entry)) continue;
      fs.cpSync(path.join(CORPUS, entry), path.join(into, entry), { recursive: true, dereference: false, verbatimSymlinks: true });
    }
    const started = Date.now();
    const out = project.run(['scan', '--json']);
    files = JSON.parse(out).files;
    console.error(`scanned ${files} files in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  },
});
const browser = await openBrowser();
const { page } = browser;
try {
  await signIn(page, dash.origin, 'lead');
  const token = await page.evaluate(async () => {
    const r = await fetch('/api/auth/refresh', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    return (await r.json()).data.access_token;
  });
  const sizes = {};
  for (const view of ['structure', 'dependencies']) {
    const r = await dash.api('GET', `/graph?view=${view}`, { token, headers: { 'accept-encoding': 'identity' } });
    sizes[view] = r.text.length;
  }
  const opened = [], drilled = [], nodes = [];
  for (let i = 0; i < RUNS; i++) {
    await page.goto(`${dash.origin}/`);
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    let started = Date.now();
    await page.getByRole('link', { name: 'Graph' }).click();
    await page.locator('.react-flow__node', { hasText: 'corpus/' }).waitFor({ timeout: 60000 });
    opened.push(Date.now() - started);
    started = Date.now();
    await page.locator('.react-flow__node', { hasText: 'corpus/' }).click();
    await page.waitForURL(/folder=corpus$/);
    await page.locator('.react-flow__node').nth(1).waitFor({ timeout: 60000 });
    await page.waitForFunction(() => document.querySelectorAll('.react-flow__node').length > 2);
    drilled.push(Date.now() - started);
    nodes.push(await page.locator('.react-flow__node').count());
  }
  console.log(`| files | top level drawn, ms (median of ${RUNS}) | drill into corpus/, ms | nodes drawn there | /api/graph structure / dependencies, KB |`);
  console.log('|---:|---:|---:|---:|---:|');
  console.log(`| ${files} | ${median(opened)} | ${median(drilled)} | ${median(nodes)} | ${(sizes.structure / 1024).toFixed(0)} / ${(sizes.dependencies / 1024).toFixed(0)} |`);
  console.error(`runs: open ${opened.join(', ')}; drill ${drilled.join(', ')}`);
} finally {
  await browser.close();
  dash.close();
}
