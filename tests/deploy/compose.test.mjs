// deploy/compose.yaml and deploy/Dockerfile promise ports, users, networks
// and health checks (docs/hosting.md). Docker is not installed on these
// machines, so the files are checked as data: the compose file parsed as
// YAML (js-yaml, pinned in third_party/package-lock.json), the Dockerfile
// read instruction by instruction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const root = path.resolve(import.meta.dirname, '../..');
const require = createRequire(path.join(root, 'third_party/package.json'));
const yaml = require('js-yaml');
const compose = yaml.load(fs.readFileSync(path.join(root, 'deploy/compose.yaml'), 'utf8'));
const s = compose.services;

// The Dockerfile's instructions as [KEYWORD, text], continuation lines joined.
function instructions(text) {
  const out = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!current && (line === '' || line.startsWith('#'))) continue;
    current += (current ? ' ' : '') + line.replace(/\\$/, '').trim();
    if (!line.endsWith('\\')) {
      const [keyword, ...rest] = current.split(/\s+/);
      out.push([keyword.toUpperCase(), rest.join(' ')]);
      current = '';
    }
  }
  return out;
}

test('the roadmap\'s services run on their ports', () => {
  assert.deepEqual(s.postgres.command, ['postgres', '-p', '5430']);
  assert.deepEqual(s.postgres.expose, ['5430']);
  assert.match(s.redis.command.join(' '), /--port 6370\b/);
  assert.deepEqual(s.redis.expose, ['6370']);
  assert.deepEqual(s.docrunch.expose, ['8000', '3334']);
  assert.deepEqual(s.lightrag.expose, ['9621']);
  assert.deepEqual(s.lightrag.profiles, ['lightrag']);
  assert.deepEqual(s.temporal.expose, ['7233']);
  assert.deepEqual(s.temporal.profiles, ['temporal']);
  assert.deepEqual(s['temporal-ui'].profiles, ['temporal']);
  assert.deepEqual(s['temporal-ui'].ports, ['127.0.0.1:8080:8080']);
  assert.deepEqual(s.nginx.ports, ['80:80', '443:443']);
});

test('only nginx (and the loopback Temporal UI) publish ports; databases stay internal', () => {
  const published = Object.entries(s).filter(([, v]) => v.ports).map(([k]) => k).sort();
  assert.deepEqual(published, ['nginx', 'temporal-ui']);
  assert.equal(compose.networks.internal.internal, true);
  for (const name of ['postgres', 'redis', 'lightrag', 'temporal']) {
    assert.deepEqual(s[name].networks, ['internal'], name);
  }
  assert.ok(s.nginx.networks.includes('edge') && s.nginx.networks.includes('internal'));
  // nginx runs the shipped site file with the upstreams of this network.
  assert.match(s.nginx.command.join(' '), /127\.0\.0\.1:3333\/docrunch:8000/);
  assert.match(s.nginx.command.join(' '), /127\.0\.0\.1:3334\/docrunch:3334/);
  assert.ok(s.nginx.volumes.includes('./nginx/docrunch.conf:/etc/docrunch/docrunch.conf:ro'));
  const site = fs.readFileSync(path.join(root, 'deploy/nginx/docrunch.conf'), 'utf8');
  assert.match(site, /server 127\.0\.0\.1:3333;/);
  assert.match(site, /server 127\.0\.0\.1:3334;/);
});

test('every service has a health check, Docrunch runs as its own user with secrets from files', () => {
  for (const [name, service] of Object.entries(s)) {
    assert.ok(Array.isArray(service.healthcheck?.test) && service.healthcheck.test[0] === 'CMD', name);
  }
  assert.match(s.docrunch.healthcheck.test.join(' '), /http:\/\/127\.0\.0\.1:8000\/api\/health/);
  assert.match(s.postgres.healthcheck.test.join(' '), /-p 5430/);
  for (const name of ['docrunch', 'worker']) {
    assert.equal(s[name].user, '10001:10001', name);
    assert.deepEqual(s[name].env_file, ['docrunch.env'], name);
    assert.equal(s[name].environment, undefined, `${name}: secrets belong in docrunch.env`);
  }
  assert.equal(s.postgres.environment.POSTGRES_PASSWORD, undefined);
  assert.equal(s.postgres.environment.POSTGRES_PASSWORD_FILE, '/run/secrets/postgres_password');
  assert.deepEqual(s.docrunch.depends_on, { postgres: { condition: 'service_healthy' },
    redis: { condition: 'service_healthy' } });
  assert.deepEqual(s.worker.command.slice(0, 2), ['worker', 'start']);
});

test('the Dockerfile builds on Debian 12 in stages and runs as a non-root user', () => {
  const steps = instructions(fs.readFileSync(path.join(root, 'deploy/Dockerfile'), 'utf8'));
  const froms = steps.filter(([k]) => k === 'FROM').map(([, v]) => v);
  assert.deepEqual(froms, ['debian:12 AS build', 'debian:12-slim AS runtime']);
  const runtime = steps.slice(steps.findIndex(([k, v]) => k === 'FROM' && /runtime/.test(v)));
  const users = runtime.filter(([k]) => k === 'USER').map(([, v]) => v);
  assert.deepEqual(users, ['docrunch:docrunch']);
  assert.ok(runtime.some(([k, v]) => k === 'RUN' && /--uid 10001/.test(v)),
    'the user has the uid compose runs it as');
  assert.ok(runtime.some(([k, v]) => k === 'COPY' && v.startsWith('--from=build ')));
  assert.deepEqual(runtime.filter(([k]) => k === 'EXPOSE').map(([, v]) => v), ['8000 3334']);
  const health = runtime.find(([k]) => k === 'HEALTHCHECK');
  assert.ok(health);
  assert.match(health[1], /CMD \["curl", "-fsS", "-H", "Host: localhost", "http:\/\/127\.0\.0\.1:8000\/api\/health"\]/);
  const cmd = JSON.parse(runtime.find(([k]) => k === 'CMD')[1]);
  assert.deepEqual(cmd, ['serve', '--http', '--host', '0.0.0.0', '--port', '3334',
    '--api-host', '0.0.0.0', '--api-port', '8000']);
  assert.equal(JSON.parse(runtime.find(([k]) => k === 'ENTRYPOINT')[1])[0], '/usr/bin/docrunch');
});
