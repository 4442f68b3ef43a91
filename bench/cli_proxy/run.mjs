// The CLI proxy's overhead over running the CLI directly (bench/cli_proxy).
//
// A fake `codex` that reads its stdin and exits at once is run four ways,
// each N times per run, at concurrency 1 and 8:
//   floor   - RunProcess in a C++ process (docrunch_cli_spawn_floor): the
//             program run directly the way the proxy runs it, no HTTP;
//   node    - spawned from this Node.js process (child_process.spawn), what
//             a Node.js caller pays to run the CLI itself;
//   proxy   - POST /execute to a real `docrunch cli-proxy` (keep-alive HTTP
//             from this process);
//   http    - POST /execute with an unregistered model (400 before anything
//             runs): the proxy's HTTP + JSON cost and this client's alone.
// Reports the median over runs of p50 and p99 latency (ms) and throughput,
// and the proxy's overhead over the floor at p50 and p99.
//
//   ninja -C build docrunch docrunch_cli_spawn_floor
//   node bench/cli_proxy/run.mjs [--runs 5] [--requests 300] [--bin build/docrunch]
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';

const root = path.resolve(import.meta.dirname, '../..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const RUNS = Number(opt('runs', 5));
const REQUESTS = Number(opt('requests', 300));
const BIN = path.resolve(opt('bin', path.join(root, 'build/docrunch')));
const FLOOR = path.join(path.dirname(BIN), 'bench/cli_proxy/docrunch_cli_spawn_floor');
const PROMPT = 'Summarize the architecture of this repository in three sentences.';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docrunch-bench-cli-proxy-'));
const binDir = path.join(dir, 'bin');
fs.mkdirSync(binDir);
const fake = path.join(binDir, 'codex');
fs.writeFileSync(fake, '#!/bin/sh\ncat >/dev/null\necho ok\n');
fs.chmodSync(fake, 0o755);
fs.writeFileSync(path.join(dir, 'models.json'),
  JSON.stringify({ codex: { models: [{ id: 'gpt-5-codex' }] } }));

function startProxy() {
  const child = spawn(BIN, ['cli-proxy', '--port', '0', '--max-concurrent', '16',
    '--models', path.join(dir, 'models.json')],
  { cwd: dir, env: { PATH: `${binDir}:/usr/bin:/bin`, HOME: dir }, stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
      const m = err.match(/CLI proxy at http:\/\/[^:]+:(\d+) .*\)\n/);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.on('exit', (code) => reject(new Error(`cli-proxy exited ${code}: ${err}`)));
  });
}

function direct() {
  return new Promise((resolve, reject) => {
    const child = spawn(fake, ['exec', '--model', 'gpt-5-codex'], { stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 && out === 'ok\n' ? resolve() : reject(new Error(`exit ${code}`))));
    child.stdin.end(`${PROMPT}\n`);
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
function post(port, model, expect) {
  const body = JSON.stringify({ cli_type: 'codex', prompt: PROMPT, model });
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/execute', method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        if (res.statusCode !== expect) return reject(new Error(`HTTP ${res.statusCode}: ${text}`));
        if (expect === 200 && JSON.parse(text).content !== 'ok\n') return reject(new Error(text));
        resolve();
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

// `total` calls of fn spread over `concurrency` sequential workers.
async function measure(fn, concurrency, total) {
  const latencies = [];
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next++ < total) {
      const t = process.hrtime.bigint();
      await fn();
      latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return { p50: pct(0.5), p99: pct(0.99), rps: total / seconds };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// The floor's run of `total` at `concurrency`, in its own process.
function floor(concurrency, total) {
  return JSON.parse(execFileSync(FLOOR, [fake, String(total), String(concurrency)], { encoding: 'utf8' }));
}

const { child, port } = await startProxy();
try {
  const kinds = {
    floor: null,
    node: () => direct(),
    proxy: () => post(port, 'gpt-5-codex', 200),
    http: () => post(port, 'not-registered', 400),
  };
  for (const fn of Object.values(kinds)) if (fn) await measure(fn, 4, 40);  // warm-up
  const results = {};
  for (const concurrency of [1, 8]) {
    for (let run = 0; run < RUNS; run++) {
      for (const [name, fn] of Object.entries(kinds)) {
        const r = fn ? await measure(fn, concurrency, REQUESTS) : floor(concurrency, REQUESTS);
        ((results[concurrency] ??= {})[name] ??= []).push(r);
      }
    }
  }
  console.log(`cli-proxy overhead: ${RUNS} runs x ${REQUESTS} requests, medians over runs; ` +
    `${os.cpus().length} CPUs, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log('| concurrency | kind | p50 ms | p99 ms | requests/s |');
  console.log('| ---: | --- | ---: | ---: | ---: |');
  for (const [concurrency, byKind] of Object.entries(results)) {
    for (const [name, runs] of Object.entries(byKind)) {
      console.log(`| ${concurrency} | ${name} | ${median(runs.map((r) => r.p50)).toFixed(2)} | ` +
        `${median(runs.map((r) => r.p99)).toFixed(2)} | ${median(runs.map((r) => r.rps)).toFixed(0)} |`);
    }
    for (const q of ['p50', 'p99']) {
      const f = median(byKind.floor.map((r) => r[q]));
      const p = median(byKind.proxy.map((r) => r[q]));
      console.log(`concurrency ${concurrency}: proxy - floor at ${q} = ${(p - f).toFixed(2)} ms ` +
        `(${(p / f).toFixed(2)}x floor)`);
    }
  }
} finally {
  child.kill('SIGTERM');
  agent.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
}
