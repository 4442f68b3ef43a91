// The LLM provider stand-in (tests/support/llm_standin.py, the one the C++
// llm tests use: each provider's real wire format) for the node tests.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { root } from './rest_server.mjs';

// Resolves to {url, base (its OpenAI-compatible base URL), script(items),
// stats(), last(), stop()} once it listens. `key`: the bearer key it wants.
export function startStandIn(key) {
  const child = spawn('python3', [path.join(root, 'tests/support/llm_standin.py'), '--key', key],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/^(\d+)\n/);
      if (!m) return;
      const url = `http://127.0.0.1:${m[1]}`;
      const post = (route, body) => fetch(url + route, { method: 'POST',
        headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      resolve({
        url,
        base: `${url}/v1`,
        script: (items) => post('/control', { script: items }),
        stats: async () => (await fetch(`${url}/stats`)).json(),
        last: async () => (await fetch(`${url}/last`)).json(),
        stop: () => child.kill('SIGKILL'),
      });
    });
    child.on('exit', (code) => reject(new Error(`llm_standin.py exited ${code}: ${out}`)));
  });
}
