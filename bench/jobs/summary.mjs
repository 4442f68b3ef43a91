// Medians of bench/jobs/run.sh's JSON lines, as a Markdown table, with the
// ratios Docrunch / peer. Usage: node summary.mjs results.jsonl
import { readFileSync } from 'node:fs';

const rows = readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean).map(JSON.parse);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const groups = new Map();
for (const r of rows) {
  const key = `${r.mode} ${r.system}`;
  if (!groups.has(key)) groups.set(key, []);
  groups.get(key).push(r);
}
const med = new Map();
console.log('| what | system | runs | median/s | ms per step | runs/s |');
console.log('| --- | --- | ---: | ---: | ---: | --- |');
for (const [key, rs] of groups) {
  const [mode, system] = key.split(' ');
  const m = median(rs.map((r) => r.per_second));
  med.set(key, m);
  const step = rs[0].ms_per_step !== undefined ? median(rs.map((r) => r.ms_per_step)).toFixed(2) : '';
  const all = rs.map((r) => Math.round(r.per_second)).join(', ');
  console.log(`| ${mode} | ${system} | ${rs.length} | ${Math.round(m)} | ${step} | ${all} |`);
}
// The ratio of the medians, then each run's own (the pair ran back to back).
const ratio = (a, b) => {
  if (!med.has(a) || !med.has(b)) return 'n/a';
  const [xs, ys] = [groups.get(a), groups.get(b)];
  const pairs = xs.slice(0, ys.length).map((x, i) => (x.per_second / ys[i].per_second).toFixed(2));
  return `${(med.get(a) / med.get(b)).toFixed(2)} (runs: ${pairs.join(', ')})`;
};
console.log('');
console.log(`jobs: docrunch-redis / bullmq = ${ratio('jobs docrunch-redis', 'jobs bullmq')} (target >= 2)`);
console.log(`jobs: docrunch-redis-bulk / bullmq-addbulk = ${ratio('jobs docrunch-redis-bulk', 'jobs bullmq-addbulk')}`);
console.log(`workflows: docrunch / dbos = ${ratio('workflows docrunch', 'workflows dbos')} (target >= 2)`);
console.log(`workflows: docrunch / floor = ${ratio('workflows docrunch', 'floor floor')}`);
