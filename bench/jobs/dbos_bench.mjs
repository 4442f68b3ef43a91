// The DBOS Transact side of bench/jobs: a workflow of three steps, each
// returning a small JSON object, registered with DBOS and run N times with
// at most C in flight, on the same PostgreSQL as Docrunch (its own system
// database). Timed from the first start until every workflow completed.
//
// Each workflow is called directly (durably: DBOS records its status, each
// step's output, and the result in its system database before returning),
// DBOS's fastest way to run one in process; a WorkflowQueue would add its
// polling. C async lanes each run one workflow after another.
//
//   node dbos_bench.mjs --postgres postgresql://.../dbname [-n N] [-c C]
// Prints one JSON line.
import { DBOS } from '@dbos-inc/dbos-sdk';

function parse(argv) {
  const a = { n: 2000, c: 8, postgres: '' };
  for (let i = 0; i + 1 < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--postgres') a.postgres = value;
    else if (flag === '-n') a.n = Number(value);
    else if (flag === '-c') a.c = Number(value);
    else throw new Error(`unknown flag ${flag}`);
  }
  if (!a.postgres) throw new Error('--postgres is required');
  return a;
}

const a = parse(process.argv.slice(2));

async function threeSteps(i) {
  const results = [];
  for (const name of ['one', 'two', 'three']) {
    results.push(await DBOS.runStep(async () => ({ step: name, i }), { name }));
  }
  return results;
}
const workflow = DBOS.registerWorkflow(threeSteps, { name: 'three-steps' });

DBOS.setConfig({ name: 'docrunch-jobs-bench', systemDatabaseUrl: a.postgres, logLevel: 'warn' });
await DBOS.launch();

let next = 0;
let completed = 0;
const start = performance.now();
await Promise.all(
  Array.from({ length: a.c }, async () => {
    for (let i = next++; i < a.n; i = next++) {
      const out = await workflow(i);
      if (out.length === 3) ++completed;
    }
  }),
);
const seconds = (performance.now() - start) / 1000;
await DBOS.shutdown();
if (completed !== a.n) throw new Error(`only ${completed} of ${a.n} workflows completed`);
console.log(
  JSON.stringify({
    system: 'dbos',
    mode: 'workflows',
    n: a.n,
    concurrency: a.c,
    seconds,
    per_second: a.n / seconds,
    ms_per_step: (seconds * 1000) / a.n / 3,
  }),
);
