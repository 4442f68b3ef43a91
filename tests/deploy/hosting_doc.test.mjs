// docs/hosting.md, executed: every command block carries a mark, and the
// blocks marked `run` are run here in order, with the `file` blocks written
// where they say, against a real PostgreSQL (a fresh database) and Redis.
//
// The machine's paths are mapped into a temporary folder (/var/lib/docrunch,
// /etc/docrunch, /etc/prometheus, /mnt/backup, /home/dev); `runuser -u
// docrunch --` is dropped (the test runs as itself); `docrunch` is the
// binary under test. The few shell forms the guide uses are interpreted
// here, without a shell: `cd`, `set -a; . FILE; set +a`, NAME=value
// prefixes, "double" and 'single' quotes, $VAR and ${VAR}, and one `|`.
// Anything else in a `run` block fails the test, so the guide stays
// runnable as written.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const bin = process.env.DOCRUNCH_BIN ?? path.join(root, 'build/docrunch');
const guide = fs.readFileSync(path.join(root, 'docs/hosting.md'), 'utf8');
let tmp, database, env;

// The guide's blocks: {mark, lang, body, line}.
function blocks(text) {
  const out = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const fence = lines[i].match(/^```(\w*)$/);
    if (!fence) continue;
    let end = i + 1;
    while (end < lines.length && lines[end] !== '```') end++;
    let j = i - 1;
    while (j >= 0 && lines[j].trim() === '') j--;
    const mark = j >= 0 ? lines[j].match(/^<!-- (.*) -->$/) : null;
    out.push({ mark: mark ? mark[1] : null, lang: fence[1], body: lines.slice(i + 1, end).join('\n'), line: i + 1 });
    i = end;
  }
  return out;
}

function mapPath(word) {
  const maps = [['/var/lib/docrunch', 'var-lib-docrunch'], ['/etc/docrunch', 'etc-docrunch'],
    ['/etc/prometheus', 'etc-prometheus'], ['/mnt/backup', 'backup'], ['/home/dev', 'home-dev']];
  for (const [from, to] of maps) {
    if (word === from || word.startsWith(`${from}/`)) return path.join(tmp, to) + word.slice(from.length);
    word = word.replace(`=${from}`, `=${path.join(tmp, to)}`);
  }
  return word;
}

// Shell words of one command: quotes, $VAR expansion outside single quotes.
function words(line, vars) {
  const out = [];
  let cur = null;
  const expand = (s) => s.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => {
    const name = a ?? b;
    assert.ok(name in vars, `$${name} is not set`);
    return vars[name];
  });
  for (let i = 0; i < line.length;) {
    const c = line[i];
    if (c === ' ') {
      if (cur !== null) out.push(cur);
      cur = null;
      i++;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      assert.ok(end > i, `unterminated quote: ${line}`);
      cur = (cur ?? '') + line.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      const end = line.indexOf('"', i + 1);
      assert.ok(end > i, `unterminated quote: ${line}`);
      cur = (cur ?? '') + expand(line.slice(i + 1, end));
      i = end + 1;
    } else {
      let end = i;
      while (end < line.length && !" '\"".includes(line[end])) end++;
      const raw = line.slice(i, end);
      assert.doesNotMatch(raw, /[;&<>`|()*]/, `a shell form the guide's runnable blocks may not use: ${line}`);
      cur = (cur ?? '') + expand(raw);
      i = end;
    }
  }
  if (cur !== null) out.push(cur);
  return out.map(mapPath);
}

// Runs one command (already split), returns its stdout.
function runCommand(argv, state, input) {
  const extra = {};
  while (argv.length && /^[A-Z_][A-Z0-9_]*=/.test(argv[0])) {
    const [name, ...value] = argv.shift().split('=');
    extra[name] = value.join('=');
  }
  if (argv[0] === 'runuser') {
    assert.deepEqual(argv.slice(0, 4), ['runuser', '-u', 'docrunch', '--']);
    argv = argv.slice(4);
  }
  const program = argv[0] === 'docrunch' ? bin : argv[0];
  const r = spawnSync(program, argv.slice(1), { cwd: state.cwd, env: { ...state.env, ...extra },
    input, encoding: 'utf8' });
  assert.equal(r.status, 0, `${argv.join(' ')} (in ${state.cwd}) exited ${r.status}: ${r.stderr}${r.error ?? ''}`);
  return r.stdout;
}

function runBlock(body, state) {
  for (const raw of body.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    if (line === 'set -a; . /etc/docrunch/docrunch.env; set +a') {
      const file = mapPath('/etc/docrunch/docrunch.env');
      for (const l of fs.readFileSync(file, 'utf8').split('\n')) {
        const m = l.match(/^([A-Z_][A-Z0-9_]*)=(.*)$/);
        if (m) state.env[m[1]] = m[2];
      }
      continue;
    }
    const cd = line.match(/^cd (\S+)$/);
    if (cd) {
      state.cwd = mapPath(cd[1]);
      fs.mkdirSync(state.cwd, { recursive: true });
      continue;
    }
    const parts = line.split(' | ');
    assert.ok(parts.length <= 2, `at most one pipe: ${line}`);
    let input;
    for (const part of parts) input = runCommand(words(part, state.env), state, input);
    state.outputs.push(input);
  }
}

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'docrunch-hosting-'));
  database = `hosting_${crypto.randomBytes(5).toString('hex')}`;
  execFileSync('psql', [process.env.DOCRUNCH_TEST_POSTGRES_URL, '-qc', `CREATE DATABASE ${database}`]);
  const url = new URL(process.env.DOCRUNCH_TEST_POSTGRES_URL);
  url.pathname = `/${database}`;
  env = {
    DOCRUNCH_PG_URL: url.toString(),
    DOCRUNCH_REDIS_URL: process.env.DOCRUNCH_TEST_REDIS_URL,
    DOCRUNCH_KMS_KEY: crypto.randomBytes(32).toString('base64'),
    DOCRUNCH_JWT_SECRET: crypto.randomBytes(32).toString('hex'),
  };
  // The repository `git clone` would bring.
  const project = path.join(tmp, 'var-lib-docrunch/project');
  fs.mkdirSync(path.join(project, 'shop'), { recursive: true });
  fs.writeFileSync(path.join(project, 'shop/__init__.py'), '');
  fs.writeFileSync(path.join(project, 'shop/cart.py'), 'def total(items):\n    return sum(items)\n');
  fs.mkdirSync(path.join(tmp, 'home-dev/shop'), { recursive: true });
  fs.mkdirSync(path.join(tmp, 'backup'));  // the backup disk's mount point
});

after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  if (database) {
    execFileSync('psql', [process.env.DOCRUNCH_TEST_POSTGRES_URL, '-qc', `DROP DATABASE ${database} WITH (FORCE)`]);
  }
});

test('every command block of the guide is marked', () => {
  const all = blocks(guide).filter((b) => b.lang === 'sh');
  assert.ok(all.length >= 15);
  for (const b of all) {
    assert.ok(b.mark, `docs/hosting.md:${b.line}: a command block without a mark`);
    const ok = b.mark === 'run' || /^not run here: \S/.test(b.mark) || /^tested by tests\/\S+$/.test(b.mark);
    assert.ok(ok, `docs/hosting.md:${b.line}: unknown mark "${b.mark}"`);
    const tested = b.mark.match(/^tested by (\S+)$/);
    if (tested) assert.ok(fs.existsSync(path.join(root, tested[1])), `${tested[1]} does not exist`);
  }
  for (const b of blocks(guide).filter((x) => x.mark?.startsWith('file '))) {
    assert.ok(['ini', 'yaml'].includes(b.lang), `docs/hosting.md:${b.line}`);
  }
});

test('the guide\'s environment file names what the config and the example use', () => {
  const file = blocks(guide).find((b) => b.mark === 'file /etc/docrunch/docrunch.env');
  const keys = (text) => text.split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => l.split('=')[0]).sort();
  assert.deepEqual(keys(file.body), Object.keys(env).sort());
  assert.deepEqual(keys(fs.readFileSync(path.join(root, 'deploy/docrunch.env.example'), 'utf8')),
    Object.keys(env).sort());
});

test('the runnable blocks of the guide run as written', () => {
  const state = { cwd: tmp, env: { ...process.env }, outputs: [] };
  for (const name of Object.keys(env)) delete state.env[name];
  for (const b of blocks(guide)) {
    const file = b.mark?.match(/^file (\S+)$/);
    if (file) {
      let body = b.body;
      if (file[1] === '/etc/docrunch/docrunch.env') {
        // This run's services and secrets instead of the placeholders.
        body = body.split('\n').map((l) => {
          const name = l.split('=')[0];
          return name in env ? `${name}=${env[name]}` : l;
        }).join('\n');
      }
      const target = mapPath(file[1]);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, `${body}\n`);
      continue;
    }
    if (b.mark === 'run') runBlock(b.body, state);
  }
  // What the commands left behind.
  assert.match(state.outputs.find((o) => /^drt_/.test(o)) ?? '', /^drt_[A-Za-z0-9_-]+\n$/);
  const dump = path.join(tmp, 'backup/docrunch.dump');
  assert.ok(fs.statSync(dump).size > 1000);
  const mcp = JSON.parse(fs.readFileSync(path.join(tmp, 'home-dev/shop/.mcp.json'), 'utf8'));
  assert.equal(mcp.mcpServers.docrunch.url, 'https://docrunch.example.com/mcp');
  assert.equal(mcp.mcpServers.docrunch.headers.Authorization, 'Bearer ${DOCRUNCH_AGENT_TOKEN}');
  assert.match(fs.readFileSync(path.join(tmp, 'home-dev/.codex/config.toml'), 'utf8'),
    /bearer_token_env_var = "DOCRUNCH_AGENT_TOKEN"/);
  const users = JSON.parse(runCommand([bin, 'user', 'list', '--json'],
    { cwd: path.join(tmp, 'var-lib-docrunch/project'), env: state.env }));
  assert.ok(JSON.stringify(users).includes('"lead"'));
});
