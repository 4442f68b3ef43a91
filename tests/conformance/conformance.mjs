// The official MCP conformance suite (@modelcontextprotocol/conformance,
// server scenarios of its active suite) against the real
// `docrunch serve --http`, compared with expected-failures.txt.
//
//   node22 conformance.mjs NODE22 SUITE_JS      (run_conformance.sh passes both)
//
// Fails when a scenario fails that the baseline does not list, when a listed
// scenario passes (the baseline must stay honest), when the baseline lists
// an unknown scenario or gives a reason other than the suite's fixtures, and
// when any scenario the issue requires is not passing.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serveUrl } from '../e2e/serve_url.mjs';

const [node22, suite] = process.argv.slice(2);
const here = import.meta.dirname;
const root = path.resolve(here, '../..');
const bin = path.resolve(process.env.DOCRUNCH_BIN ?? path.join(root, 'build/docrunch'));
const mustPass = ['server-initialize', 'ping', 'logging-set-level', 'tools-list',
  'resources-list', 'prompts-list', 'resources-subscribe', 'resources-unsubscribe',
  'server-sse-multiple-streams', 'dns-rebinding-protection'];

function readBaseline(file) {
  const entries = new Map();
  const problems = [];
  fs.readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
    const text = line.trim();
    if (!text || text.startsWith('#')) return;
    const m = text.match(/^(\S+)\s+(.+)$/);
    if (!m) problems.push(`${path.basename(file)}:${i + 1}: "${text}" has no reason`);
    else if (!/fixture/i.test(m[2]) || !/(test_\w+|test:\/\/)/.test(m[2])) {
      problems.push(`${path.basename(file)}:${i + 1}: ${m[1]}: the only accepted reason is a ` +
        `suite fixture (name the test_* tool/prompt or test:// resource it calls)`);
    } else entries.set(m[1], m[2]);
  });
  return { entries, problems };
}

async function startServer(dir) {
  const server = spawn(bin, ['serve', '--http', '--host', '127.0.0.1', '--port', '0', '--api-port', '0'],
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const url = await serveUrl(server);
  return { server, url };
}

// One scenario's outcome from its checks.json, as the suite itself judges:
// failed when any check is FAILURE or WARNING.
function readResults(outDir) {
  const results = new Map();
  for (const entry of fs.readdirSync(outDir)) {
    const m = entry.match(/^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/);
    if (!m) continue;
    const checks = JSON.parse(fs.readFileSync(path.join(outDir, entry, 'checks.json'), 'utf8'));
    const bad = checks.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING');
    results.set(m[1], { passed: bad.length === 0 && checks.length > 0, bad });
  }
  return results;
}

const started = Date.now();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docrunch-conformance-'));
let server;
const failures = [];
try {
  const { entries: baseline, problems } = readBaseline(path.join(here, 'expected-failures.txt'));
  failures.push(...problems);
  fs.mkdirSync(path.join(dir, 'pkg'));
  fs.writeFileSync(path.join(dir, 'pkg/calc.py'), 'def add(a, b):\n    return a + b\n');
  const run = (args) => execFileSync(bin, args, { cwd: dir, encoding: 'utf8' });
  run(['init', '.']);
  run(['scan', '--quiet']);
  const serving = await startServer(dir);
  server = serving.server;
  const outDir = path.join(dir, 'results');
  let log = '';
  try {
    log = execFileSync(node22, [suite, 'server', '--url', serving.url, '-o', outDir],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 100_000 });
  } catch (e) {
    log = `${e.stdout ?? ''}${e.stderr ?? ''}`;  // exit 1 when any scenario failed
  }
  const results = readResults(outDir);
  if (results.size === 0) failures.push(`the suite produced no results:\n${log}`);
  for (const name of baseline.keys()) {
    if (!results.has(name)) failures.push(`baseline lists ${name}, which the suite did not run`);
  }
  for (const name of mustPass) {
    if (baseline.has(name)) failures.push(`${name} must pass; it may not be in the baseline`);
    if (!results.has(name)) failures.push(`${name} did not run`);
  }
  let passed = 0;
  for (const [name, r] of [...results].sort()) {
    if (r.passed) passed++;
    const expected = baseline.has(name);
    const mark = r.passed ? (expected ? 'PASSED, but listed in the baseline' : 'passed')
      : (expected ? `failed as expected (${baseline.get(name)})` : 'FAILED');
    console.log(`${name}: ${mark}`);
    if (r.passed && expected) failures.push(`${name} passes now: remove it from expected-failures.txt`);
    if (!r.passed && !expected) {
      const why = r.bad.map((c) => `  ${c.status} ${c.id}: ${c.errorMessage ?? c.description}`);
      failures.push(`${name} failed:\n${why.join('\n')}`);
    }
  }
  console.log(`\nconformance: ${passed}/${results.size} scenarios passed, ` +
    `${results.size - passed} failed (${baseline.size} expected), ` +
    `${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (e) {
  failures.push(String(e?.stack ?? e));
} finally {
  server?.kill('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
}
if (failures.length) {
  console.log(`\n${failures.length} problem(s):\n${failures.join('\n')}`);
  process.exit(1);
}
