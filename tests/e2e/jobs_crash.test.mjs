// The scale and crash drill of issue 14 (item 9), with real processes on
// one PostgreSQL (a fresh database) and one Redis (keys under a fresh
// prefix): 2 `serve` and 3 `worker start --queue fast --workflows`
// processes; 10,000 fast `mark` jobs (each writes one row into job_marks in
// the transaction that records its idempotency key, and job_marks has no
// unique key, so an effect that happened twice would count twice) and 50
// `demo` workflows started through the two servers' REST API: 20 approved
// by a signal, 15 whose approval times out (compensated), 15 cancelled.
// Every couple of seconds a worker is killed with SIGKILL and restarted.
//
// Afterwards: every job's effect exactly once; every run in the status its
// kind calls for; no step ran again after it completed (the outbox is the
// append-only record: one "step:N:completed" event per completed step, and
// no attempt of a step after it); no run, job or lease held by a worker.
// Leases and visibility timeouts are 3 s (workflows.lease,
// jobs.visibility_timeout) so the drill ends in about a minute.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { bin, makeProject, serve, call } from './rest_server.mjs';

const JOBS = 10_000;
const CHUNKS = 4;
const KILL_EVERY_MS = 2_500;
const DEADLINE_MS = 150_000;
const redisUrl = process.env.DOCRUNCH_TEST_REDIS_URL;

let project;
const children = new Set();

after(() => {
  for (const child of children) child.kill('SIGKILL');
  project?.cleanup();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function sql(query) {
  return execFileSync('psql', [project.env.DOCRUNCH_E2E_PG_URL, '-Atqc', query],
    { encoding: 'utf8' }).trim();
}
const count = (query) => Number(sql(query));

// A worker process; its stderr goes to a log file kept for a failing run.
function startWorker(slot, logs) {
  const log = fs.openSync(path.join(project.dir, `worker-${slot}.log`), 'a');
  const child = spawn(bin, ['worker', 'start', '--queue', 'fast', '--workflows',
    '--concurrency', '4'], { cwd: project.dir, env: project.env, stdio: ['ignore', 'ignore', log] });
  fs.closeSync(log);
  children.add(child);
  child.on('exit', () => children.delete(child));
  logs.push(`worker-${slot}.log`);
  return child;
}

// The REST API of one server, signed in with its per-start token.
async function signIn(srv) {
  const link = await call(srv.api, 'GET', `/auth/local?token=${srv.token}`);
  assert.equal(link.status, 303, link.text);
  const cookie = link.headers.get('set-cookie').split(';')[0];
  const refreshed = await call(srv.api, 'POST', '/auth/refresh', { headers: { cookie } });
  assert.equal(refreshed.status, 200, refreshed.text);
  return { api: srv.api, token: refreshed.json.data.access_token };
}

async function rest(server, method, route, body) {
  const r = await call(server.api, method, route, { token: server.token, body });
  assert.ok(r.status < 300, `${method} ${route}: ${r.status} ${r.text}`);
  return r.json.data;
}

test('2 servers, 3 workers killed every few seconds: effects once, runs as expected', {
  timeout: 240_000,
}, async () => {
  const started = Date.now();
  project = makeProject('docrunch-crash-');
  Object.assign(project.env, {
    DOCRUNCH_JOBS__BACKEND: 'redis',
    DOCRUNCH_JOBS__REDIS_URL: redisUrl,
    DOCRUNCH_JOBS__QUEUE_NAME: `crash${crypto.randomBytes(4).toString('hex')}`,
    DOCRUNCH_JOBS__VISIBILITY_TIMEOUT: '3s',
    DOCRUNCH_WORKFLOWS__LEASE: '3s',
    // Each worker runs 4 fast-job threads, 4 workflow threads and their
    // heartbeats: more connections than the default 4 keep leases renewed.
    DOCRUNCH_STORAGE__POSTGRES_POOL_SIZE: '10',
    // Every worker runs a scheduler; one leads, and each minute's tick
    // must fire once however the kills fall.
    DOCRUNCH_JOBS__SCHEDULES: '[{name: drill, cron: "* * * * *", job: mark}]',
    DOCRUNCH_JOBS__SCHEDULER__LEASE: '3s',
  });
  const servers = [];
  for (let i = 0; i < 2; i++) {
    const srv = await serve(project);
    children.add(srv.server);
    servers.push(await signIn(srv));
  }
  const logs = [];
  const workers = [0, 1, 2].map((slot) => startWorker(slot, logs));

  // 50 runs through the two servers: 20 approve, 15 time out, 15 cancel.
  const runs = [];
  for (let i = 0; i < 50; i++) {
    const kind = i % 10 < 4 ? 'approve' : i % 10 < 7 ? 'timeout' : 'cancel';
    const input = { title: `run-${i}`, timeout_s: kind === 'timeout' ? 2 : 600 };
    const { id } = await rest(servers[i % 2], 'POST', '/workflows', { workflow: 'demo', input });
    runs.push({ id, kind });
  }

  // Jobs in chunks while the kills go on; signals and cancels too.
  let kills = 0;
  let enqueued = 0;
  let signalled = 0;
  const steering = runs.filter((r) => r.kind !== 'timeout');
  let done = false;
  const deadline = started + DEADLINE_MS;
  let nextKill = Date.now() + KILL_EVERY_MS;
  while (Date.now() < deadline) {
    if (enqueued < JOBS) {
      const lines = [];
      for (let i = enqueued; i < enqueued + JOBS / CHUNKS; i++) {
        lines.push(JSON.stringify({ key: `m-${i}`, payload: { work_ms: i % 50 === 0 ? 100 : 0 } }));
      }
      const ids = project.run(['jobs', 'enqueue', 'mark', '--batch', '-'], lines.join('\n'));
      assert.equal(ids.trim().split('\n').length, JOBS / CHUNKS);
      enqueued += JOBS / CHUNKS;
    }
    for (let n = 0; n < 5 && signalled < steering.length; n++, signalled++) {
      const run = steering[signalled];
      const server = servers[signalled % 2];
      if (run.kind === 'approve') {
        await rest(server, 'POST', `/workflows/${run.id}/signal`,
          { name: 'approve', data: { by: 'crash-drill' } });
      } else {
        await rest(server, 'POST', `/workflows/${run.id}/cancel`, {});
      }
    }
    if (Date.now() >= nextKill) {
      const slot = kills % 3;
      workers[slot].kill('SIGKILL');
      await new Promise((r) => (workers[slot].exitCode !== null || workers[slot].signalCode
        ? r() : workers[slot].once('exit', r)));
      workers[slot] = startWorker(slot, logs);
      kills += 1;
      nextKill = Date.now() + KILL_EVERY_MS;
    }
    const marked = count("SELECT count(DISTINCT idempotency_key) FROM job_marks " +
      "WHERE idempotency_key LIKE 'm-%'");
    const open = count("SELECT count(*) FROM workflow_runs WHERE status NOT IN " +
      "('completed', 'compensated', 'cancelled', 'failed')");
    const ticked = count("SELECT count(*) FROM schedule_ticks WHERE name = 'drill'");
    if (enqueued === JOBS && signalled === steering.length && marked === JOBS && open === 0 &&
        kills >= 10 && ticked >= 1) {
      done = true;
      break;
    }
    await sleep(250);
  }
  const drained = Date.now();

  // Stop everything the ordinary way, then look at what is left.
  const stopping = [...children];
  for (const child of stopping) child.kill('SIGTERM');
  const stuck = setTimeout(() => stopping.forEach((c) => c.kill('SIGKILL')), 15_000);
  await Promise.all(stopping.map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode
    ? r() : c.once('exit', r)))));
  clearTimeout(stuck);
  // A scheduled tick may have fired just before the stop: drain what is
  // left once the visibility timeout of anything a killed worker held passed.
  await sleep(3_500);
  project.run(['worker', 'start', '--queue', 'fast', '--once']);
  const status = JSON.parse(project.run(['jobs', 'status', '--json']));
  const marks = sql("SELECT count(*), count(DISTINCT idempotency_key) FROM job_marks " +
    "WHERE idempotency_key LIKE 'm-%'").split('|').map(Number);
  const finished = count("SELECT count(*) FROM finished_jobs WHERE idempotency_key LIKE 'm-%'");
  const byStatus = Object.fromEntries(sql(
    'SELECT status, count(*) FROM workflow_runs GROUP BY status ORDER BY status')
    .split('\n').filter(Boolean).map((l) => l.split('|')).map(([s, n]) => [s, Number(n)]));
  const markers = count('SELECT count(DISTINCT marked_by) FROM job_marks');
  const ticks = count("SELECT count(*) FROM schedule_ticks WHERE name = 'drill'");
  const tickMarks = sql("SELECT count(*), count(DISTINCT idempotency_key) FROM job_marks " +
    "WHERE idempotency_key LIKE 'schedule:drill@%'").split('|').map(Number);
  const attempts = sql("SELECT attempts, count(*) FROM workflow_steps WHERE kind = 'step' " +
    'GROUP BY attempts ORDER BY attempts');
  const summary = {
    jobs: JOBS, effects: marks[0], distinct_effects: marks[1], finished_keys: finished,
    queue: status.queues[0], workflows: byStatus, schedule_ticks: ticks, tick_effects: tickMarks[0], step_attempts: attempts.replace(/\n/g, ' '),
    kills, worker_processes_that_marked: markers, seconds_to_drain: Math.round((drained - started) / 100) / 10,
    seconds_total: Math.round((Date.now() - started) / 100) / 10,
  };
  console.log(`crash drill: ${JSON.stringify(summary)}`);
  assert.ok(done, `not done within ${DEADLINE_MS / 1000} s: ${JSON.stringify(summary)}; ` +
    `logs in ${project.dir}: ${[...new Set(logs)].join(', ')}`);

  // Every job's effect exactly once, and nothing left in the queue.
  assert.equal(marks[0], JOBS, 'each mark row is one effect: none twice, none lost');
  assert.equal(marks[1], JOBS);
  assert.equal(finished, JOBS);
  assert.deepEqual(status.queues[0], { name: 'fast', waiting: 0, taken: 0, dead: 0 });
  // Each scheduled tick fired once, and its job's effect happened once.
  assert.ok(ticks >= 1);
  assert.deepEqual(tickMarks, [ticks, ticks]);
  assert.equal(count("SELECT count(*) FROM schedule_ticks WHERE target NOT LIKE 'db:%'"), 0);

  // Every run in the status its kind calls for.
  const rows = new Map(sql('SELECT id, status, lease_owner IS NULL, result FROM workflow_runs')
    .split('\n').map((l) => l.split('|')).map(([id, s, free, result]) => [id, { s, free, result }]));
  const expected = { approve: 'completed', timeout: 'compensated', cancel: 'cancelled' };
  for (const run of runs) {
    const row = rows.get(run.id);
    assert.equal(row.s, expected[run.kind], `${run.id} (${run.kind})`);
    assert.equal(row.free, 't', `${run.id} still holds a lease`);
    if (run.kind === 'approve') assert.equal(JSON.parse(row.result).approved_by, 'crash-drill');
  }

  // No step ran after it completed: one completion event per completed
  // step, and no other event of that step after it but its compensation.
  const events = sql("SELECT entity_id, content_hash, id FROM sync_events " +
    "WHERE entity_type = 'workflow' AND content_hash LIKE 'step:%' ORDER BY id")
    .split('\n').filter(Boolean).map((l) => l.split('|'));
  const completedAt = new Map();
  for (const [run, hash] of events) {
    const [, seq, what] = hash.split(':');
    const key = `${run}:${seq}`;
    if (completedAt.has(key)) {
      assert.ok(what === 'compensating' || what === 'compensated',
        `${key} had "${what}" after it completed`);
    }
    if (what === 'completed') completedAt.set(key, true);
  }
  const completedSteps = count('SELECT count(*) FROM workflow_steps WHERE status IN ' +
    "('completed', 'compensating', 'compensated', 'compensation_failed')");
  assert.equal(completedAt.size, completedSteps, 'one completion event per completed step');
  assert.equal(events.filter(([, h]) => h.endsWith(':completed')).length, completedSteps);
  // Attempts are counted before each run: a completed step shows at least one.
  assert.equal(count("SELECT count(*) FROM workflow_steps WHERE kind = 'step' AND attempts < 1"), 0);

  // No lease held by a worker (all of them are gone now).
  assert.equal(count('SELECT count(*) FROM workflow_runs WHERE lease_owner IS NOT NULL'), 0);
  assert.equal(count("SELECT count(*) FROM fast_jobs WHERE status = 'taken'"), 0);
  assert.ok(kills >= 10, `only ${kills} kills`);
});
