// WebSocket fan-out: N clients on /ws/tasks of one `docrunch serve`, then M
// task moves through REST; for each move, how long until every client has
// the event (from just before the PATCH is sent to each client's receipt).
// Prints one JSON line: {clients, events, p50_ms, p99_ms, max_ms, missing}.
//
//   node ws_fanout.mjs API_URL TOKEN CLIENTS EVENTS
// (Node 22: WebSocket is built in.)
const [api, token, clientsArg, eventsArg] = process.argv.slice(2);
const CLIENTS = Number(clientsArg ?? 1000);
const EVENTS = Number(eventsArg ?? 20);
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

async function post(path, body, method = 'POST') {
  const r = await fetch(api + path, { method, headers, body: JSON.stringify(body) });
  const j = await r.json();
  if (!j.success) throw new Error(`${method} ${path}: ${JSON.stringify(j.error)}`);
  return j.data;
}

const task = await post('/tasks', { type: 'feature', title: 'fan-out probe' });
const wsBase = api.replace(/^http/, 'ws').replace(/\/api$/, '');
const received = [];  // per event: array of receipt times
const sockets = [];
let hellos = 0;
for (let i = 0; i < CLIENTS; i++) {
  const { ticket } = await post('/auth/ws-ticket', {});
  const ws = new WebSocket(`${wsBase}/ws/tasks?ticket=${ticket}`);
  ws.onmessage = (e) => {
    const now = performance.now();
    const m = JSON.parse(e.data);
    if (m.type === 'hello') { hellos++; return; }
    if (m.type !== 'task.changed' || m.data.id !== task.id) return;
    const k = Number(String(m.data.assigned_to).replace('fanout-', ''));
    (received[k] ??= []).push(now);
  };
  ws.onerror = () => { console.error('socket error'); };
  sockets.push(ws);
}
const deadline = Date.now() + 60_000;
while (hellos < CLIENTS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
if (hellos < CLIENTS) throw new Error(`only ${hellos} of ${CLIENTS} sockets opened`);

const latencies = [];
let missing = 0;
for (let k = 0; k < EVENTS; k++) {
  const sent = performance.now();
  await post(`/tasks/${task.id}`, { assigned_to: `fanout-${k}` }, 'PATCH');
  const until = Date.now() + 5000;
  while ((received[k]?.length ?? 0) < CLIENTS && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 2));
  }
  const got = received[k] ?? [];
  missing += CLIENTS - got.length;
  for (const t of got) latencies.push(t - sent);
  await new Promise((r) => setTimeout(r, 50));
}
latencies.sort((a, b) => a - b);
const pick = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
console.log(JSON.stringify({ clients: CLIENTS, events: EVENTS, p50_ms: +pick(0.5).toFixed(1),
  p99_ms: +pick(0.99).toFixed(1), max_ms: +latencies.at(-1).toFixed(1), missing }));
for (const ws of sockets) ws.close();
process.exit(0);
