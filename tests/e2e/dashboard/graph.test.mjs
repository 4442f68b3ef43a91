// The repository graph in Chromium over Docrunch's own src/ (copied into a
// project and scanned): it opens at the top folders, drills into a folder,
// selects a file to list its symbols and imports, and the search focuses a
// file; the opening time is measured and bounded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { root } from '../rest_server.mjs';
import { startDashboard, openBrowser, signIn, checkA11y, screenshot } from './browser.mjs';

let dash, browser, page;

before(async () => {
  dash = await startDashboard('docrunch-dash-graph-', {
    prepare(project) {
      fs.cpSync(path.join(root, 'src'), path.join(project.dir, 'src'), { recursive: true });
      project.run(['scan', '--quiet']);
    },
  });
  browser = await openBrowser();
  page = browser.page;
  await signIn(page, dash.origin, 'lead');
});

after(async () => {
  await browser?.close();
  dash?.close();
});

const node = (text) => page.locator('.react-flow__node', { hasText: text });

// A node's click, then the page it leads to. On a loaded 2-core machine a
// click that lands while React Flow redraws the canvas is lost (seen once in
// a full run: no navigation in 30 s); a person clicks again, and so does this
// (at most three clicks, each given 10 s).
async function clickNode(text, url) {
  for (let attempt = 1; ; attempt++) {
    await node(text).click();
    try {
      await page.waitForURL(url, { timeout: 10000 });
      return;
    } catch (e) {
      if (attempt === 3) throw e;
      console.log(`# the click on ${text} led nowhere; clicking again`);
    }
  }
}

test('the graph opens at the top folders with the imports between them', async () => {
  const started = Date.now();
  await page.getByRole('link', { name: 'Graph' }).click();
  await node('src/').waitFor({ timeout: 10000 });
  const openMs = Date.now() - started;
  console.log(`repository graph: top level drawn in ${openMs} ms`);
  // Generous: CI machines are shared; the measured time is printed above.
  assert.ok(openMs < 10000, `opening took ${openMs} ms`);
  assert.deepEqual(await page.locator('.react-flow__node').count(), 2); // shop/, src/
  await clickNode('src/', /\/graph\?folder=src$/);
  await node('api/').waitFor();
  await node('core/').waitFor();
  const folders = await page.locator('.react-flow__node').count();
  assert.ok(folders >= 10 && folders <= 120, `${folders} nodes`);
  assert.ok(await page.locator('.react-flow__edge').count() > 10, 'no import edges between src folders');
  await page.waitForTimeout(300); // the fitted view settles
  await checkA11y(page, 'repository graph');
  await screenshot(page, 'graph');
});

test('drilling into a folder and selecting a file lists its symbols and imports', async () => {
  await clickNode('core/', /folder=src%2Fcore$/);
  await node('result.h').click();
  await page.getByRole('heading', { name: 'src/core/result.h' }).waitFor();
  await page.getByRole('heading', { name: /^Imported by \(\d+\)$/ }).waitFor();
  const importedBy = Number((await page.getByRole('heading', { name: /^Imported by/ }).innerText()).match(/\d+/)[0]);
  assert.ok(importedBy > 5, `result.h imported by ${importedBy}`);
  await page.locator('.lineage-side .badge').first().waitFor();
  await checkA11y(page, 'repository graph (file)');
});

test('the search focuses a file anywhere in the repository', async () => {
  await page.getByRole('button', { name: 'repository', exact: true }).click();
  await page.getByLabel('Find a folder or file').fill('static_site.cpp');
  await page.getByRole('button', { name: 'src/http/static_site.cpp' }).click();
  await page.waitForURL(/folder=src%2Fhttp&select=src%2Fhttp%2Fstatic_site\.cpp$/);
  await page.getByRole('heading', { name: 'src/http/static_site.cpp' }).waitFor();
  await page.locator('.react-flow__node.selected-node', { hasText: 'static_site.cpp' }).waitFor();
  assert.deepEqual(browser.problems, []);
});
