// The BullMQ side of bench/jobs: a Queue and a Worker (concurrency C, a no-op
// processor) on the same Redis as Docrunch; N jobs of the same payload added
// while the worker runs, by P lanes of one add at a time (--producers P, as
// Docrunch's producer threads) or, without --producers, with addBulk in
// chunks (BullMQ's fastest way in; Docrunch has no bulk enqueue);
// timed from the first add until every job completed (moved to finished,
// removeOnComplete: the job leaves Redis as Docrunch's Ack does).
//
//   node bullmq_bench.mjs --redis redis://127.0.0.1:6462/0 [-n N] [-c C] [--producers P | --bulk 1000]
// Prints one JSON line.
import { Queue, Worker } from 'bullmq';

const PAYLOAD = { task_id: 'task-3', path: 'src/app/main.cpp', size: 4096 };

function parse(argv) {
  const a = { n: 10000, c: 8, bulk: 1000, producers: 0, redis: '' };
  for (let i = 0; i + 1 < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--redis') a.redis = value;
    else if (flag === '-n') a.n = Number(value);
    else if (flag === '-c') a.c = Number(value);
    else if (flag === '--bulk') a.bulk = Number(value);
    else if (flag === '--producers') a.producers = Number(value);
    else throw new Error(`unknown flag ${flag}`);
  }
  if (!a.redis) throw new Error('--redis is required');
  return a;
}

const a = parse(process.argv.slice(2));
const url = new URL(a.redis);
const connection = {
  host: url.hostname,
  port: Number(url.port || 6379),
  db: Number(url.pathname.slice(1) || 0),
  maxRetriesPerRequest: null,
};
const name = `jobsbench-${process.pid}`;
const queue = new Queue(name, {
  connection,
  defaultJobOptions: { removeOnComplete: true, removeOnFail: true },
});
await queue.waitUntilReady();

let completed = 0;
let allDone;
const finished = new Promise((resolve) => (allDone = resolve));
const worker = new Worker(name, async () => {}, { connection, concurrency: a.c, autorun: false });
worker.on('completed', () => {
  if (++completed === a.n) allDone();
});
worker.on('error', (e) => console.error('bullmq worker:', e));
await worker.waitUntilReady();
worker.run();

const start = performance.now();
if (a.producers > 0) {
  // As Docrunch's producers: that many lanes, one add at a time each.
  let next = 0;
  await Promise.all(
    Array.from({ length: a.producers }, async () => {
      for (let i = next++; i < a.n; i = next++) await queue.add('bench', PAYLOAD);
    }),
  );
} else {
  for (let i = 0; i < a.n; i += a.bulk) {
    const chunk = [];
    for (let j = i; j < Math.min(a.n, i + a.bulk); ++j) chunk.push({ name: 'bench', data: PAYLOAD });
    await queue.addBulk(chunk);
  }
}
await finished;
const seconds = (performance.now() - start) / 1000;

await worker.close();
await queue.obliterate({ force: true });
await queue.close();
console.log(
  JSON.stringify({ system: a.producers > 0 ? 'bullmq' : 'bullmq-addbulk', mode: 'jobs', n: a.n, concurrency: a.c, seconds, per_second: a.n / seconds }),
);
