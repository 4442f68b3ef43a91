// Starting `docrunch serve --http` for the REST tests: a project folder on
// SQLite or (DOCRUNCH_E2E_BACKEND=postgres) a fresh PostgreSQL database,
// and the URLs and sign-in token the server announces on stderr.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

export const root = path.resolve(import.meta.dirname, '../..');
export const bin = process.env.DOCRUNCH_BIN ?? path.join(root, 'build/docrunch');
export const postgres = process.env.DOCRUNCH_E2E_BACKEND === 'postgres';
export const JWT_SECRET = 'e2e-secret-0123456789abcdef0123456789abcdef';

// A project folder with a little code, initialized (and migrated) on the
// chosen backend. Every docrunch started with `env` uses that backend.
export function makeProject(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const env = { ...process.env, DOCRUNCH_JWT_SECRET: JWT_SECRET };
  let database = null;
  if (postgres) {
    const adminUrl = process.env.DOCRUNCH_TEST_POSTGRES_URL;
    database = `rest_e2e_${crypto.randomBytes(6).toString('hex')}`;
    execFileSync('psql', [adminUrl, '-qc', `CREATE DATABASE ${database}`]);
    const url = new URL(adminUrl);
    url.pathname = `/${database}`;
    env.DOCRUNCH_E2E_PG_URL = url.toString();
    env.DOCRUNCH_STORAGE__BACKEND = 'postgres';
    env.DOCRUNCH_STORAGE__POSTGRES_URL_ENV = 'DOCRUNCH_E2E_PG_URL';
  }
  fs.mkdirSync(path.join(dir, 'shop/billing'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'shop/__init__.py'), '');
  fs.writeFileSync(path.join(dir, 'shop/billing/__init__.py'), '');
  fs.writeFileSync(path.join(dir, 'shop/billing/invoice.py'),
    'class InvoiceParser:\n    """Parses invoices."""\n    def parse(self, text):\n' +
    '        """Split an invoice into its lines."""\n        return text.split()\n');
  const run = (args, input) =>
    execFileSync(bin, args, { cwd: dir, env, encoding: 'utf8', input });
  run(['init', '.']);
  if (postgres) run(['db', 'migrate']);
  run(['scan', '--quiet']);
  const cleanup = () => {
    fs.rmSync(dir, { recursive: true, force: true });
    if (database) {
      execFileSync('psql', [process.env.DOCRUNCH_TEST_POSTGRES_URL, '-qc',
        `DROP DATABASE ${database} WITH (FORCE)`]);
    }
  };
  return { dir, env, run, cleanup };
}

// Starts `serve --http` (REST and MCP on free ports) with `--set` overlays;
// resolves to {server, api, mcp, token} once both listen. `token` is the
// per-start sign-in token (auth off), null otherwise.
export function serve(project, sets = [], extraEnv = {}) {
  const args = [...sets.flatMap((s) => ['--set', s]), 'serve', '--http', '--host', '127.0.0.1',
    '--port', '0', '--api-host', '127.0.0.1', '--api-port', '0'];
  const server = spawn(bin, args, { cwd: project.dir, env: { ...project.env, ...extraEnv },
    stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    server.stderr.on('data', (d) => {
      err += d;
      const api = err.match(/REST API at (http:\/\/\S+\/api)/);
      const mcp = err.match(/at (http:\/\/\S+\/mcp)/);
      const signedOff = /sign in: POST/.test(err);
      const token = err.match(/auth\/local\?token=([0-9a-f]+)/);
      if (api && mcp && (signedOff || token)) {
        resolve({ server, api: api[1], mcp: mcp[1], token: token ? token[1] : null });
      }
    });
    server.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
}

// fetch + the parsed envelope.
export async function call(api, method, route, { token, body, headers = {}, raw } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  let payload = raw;
  if (body !== undefined) {
    payload = JSON.stringify(body);
    h['content-type'] ??= 'application/json';
  }
  const res = await fetch(api + route, { method, headers: h, body: payload, redirect: 'manual' });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, headers: res.headers, json, text };
}

// Checks each recorded answer ([method, route, status, body]) against the
// schema the OpenAPI document declares for that route and status; answers of
// routes the document does not have (404/405 tests) are skipped unless
// `strict`. Returns how many were checked.
export function validateAnswers(openapi, answers, { strict = false } = {}) {
  const require = createRequire(path.join(root, 'third_party/package.json'));
  const Ajv2020 = require('ajv/dist/2020').default;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  // Literal paths before parameterized ones (/tasks/available before /tasks/{id}).
  const templates = Object.keys(openapi.paths)
    .map((p) => [p, new RegExp(`^${p.replace(/^\/api/, '').replace(/\{[^}]+\}/g, '[^/]+')}$`)])
    .sort((a, b) => (a[0].match(/\{/g) ?? []).length - (b[0].match(/\{/g) ?? []).length);
  let validated = 0;
  for (const [method, route, status, body] of answers) {
    if (body === null) continue;
    const pathOnly = route.split('?')[0];
    const match = templates.find(([p, re]) => re.test(pathOnly) && openapi.paths[p][method.toLowerCase()]);
    if (!match) {
      assert.ok(!strict, `${method} ${route} matches no path of the document`);
      continue;
    }
    const op = openapi.paths[match[0]][method.toLowerCase()];
    const response = op.responses[String(status)];
    assert.ok(response, `${method} ${route} answered ${status}, which it does not declare`);
    const schema = response.content['application/json'].schema;
    const resolved = schema.$ref ? openapi.components.schemas.Error : schema;
    assert.ok(ajv.validate(resolved, body),
      `${method} ${route} ${status}: ${ajv.errorsText()} in ${JSON.stringify(body).slice(0, 400)}`);
    validated++;
  }
  return validated;
}
