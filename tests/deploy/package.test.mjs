// The Debian package (cmake/Packaging.cmake), built with CPack from this
// build and installed for real: its contents and control data, the
// extracted binary serving the packaged dashboard, `systemd-analyze verify`
// on the units, and, as root (the CI machine), `dpkg -i` onto the system:
// the docrunch user and folders, `docrunch --version`, then `dpkg --purge`.
// Labelled `package` (ctest -L package runs it alone, -LE package leaves it
// out); it needs the whole build, the dashboard included. About 22 s here,
// 15 of them in cpack (stripping and zstd).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const build = process.env.DOCRUNCH_BUILD_DIR;
const version = process.env.DOCRUNCH_VERSION;
let tmp, deb, extracted, buildSeconds;

const run = (program, args, options = {}) =>
  execFileSync(program, args, { encoding: 'utf8', ...options });

before(() => {
  assert.ok(build && version, 'DOCRUNCH_BUILD_DIR and DOCRUNCH_VERSION are set by CTest');
  assert.ok(fs.existsSync(path.join(build, 'web/index.html')),
    'the dashboard is built (the package ships it): build the dashboard target first');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'docrunch-package-'));
  const started = process.hrtime.bigint();
  run('cpack', ['-G', 'DEB', '-B', tmp, '--config', path.join(build, 'CPackConfig.cmake')]);
  buildSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`# cpack took ${buildSeconds.toFixed(1)} s`);
  deb = path.join(tmp, fs.readdirSync(tmp).find((f) => f.endsWith('.deb')));
  extracted = path.join(tmp, 'root');
  run('dpkg-deb', ['-x', deb, extracted]);
});

after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('the package holds the binary, the dashboard, the deploy files and the units', () => {
  assert.equal(path.basename(deb), `docrunch_${version}_amd64.deb`);
  const field = (name) => run('dpkg-deb', ['--field', deb, name]).trim();
  assert.equal(field('Package'), 'docrunch');
  assert.equal(field('Version'), version);
  const depends = field('Depends');
  for (const dep of ['adduser', 'libpq5', 'libsqlite3-0', 'libhiredis0.14', 'libsodium23']) {
    assert.match(depends, new RegExp(`\\b${dep.replace('.', '\\.')}\\b`), depends);
  }
  const files = run('dpkg-deb', ['--contents', deb]).split('\n').map((l) => l.split(/\s+/).pop());
  for (const f of ['./usr/bin/docrunch', './usr/share/docrunch/web/index.html',
    './usr/lib/systemd/system/docrunch-serve.service',
    './usr/lib/systemd/system/docrunch-worker@.service',
    './usr/lib/systemd/system/docrunch-cli-proxy.service',
    './usr/share/docrunch/deploy/nginx/docrunch.conf',
    './usr/share/docrunch/deploy/compose.yaml', './usr/share/docrunch/deploy/Dockerfile',
    './usr/share/docrunch/deploy/docrunch.env.example', './usr/share/doc/docrunch/hosting.md']) {
    assert.ok(files.includes(f), `${f} is missing`);
  }
  const control = path.join(tmp, 'control');
  run('dpkg-deb', ['-e', deb, control]);
  for (const script of ['postinst', 'prerm', 'postrm']) {
    assert.equal(fs.statSync(path.join(control, script)).mode & 0o777, 0o755, script);
  }
  // Stripped: a RelWithDebInfo binary is several times larger.
  const file = run('file', ['-b', path.join(extracted, 'usr/bin/docrunch')]);
  assert.match(file, /stripped/);
  assert.doesNotMatch(file, /not stripped/);
});

test('the extracted binary runs and serves the packaged dashboard', async () => {
  const binary = path.join(extracted, 'usr/bin/docrunch');
  assert.equal(run(binary, ['--version']).trim(), `docrunch ${version}`);
  const project = path.join(tmp, 'project');
  fs.mkdirSync(project);
  run(binary, ['init', '.'], { cwd: project });
  run(binary, ['config', 'validate'], { cwd: project });
  const server = spawn(binary, ['serve', '--http', '--host', '127.0.0.1', '--port', '0',
    '--api-host', '127.0.0.1', '--api-port', '0'], { cwd: project, stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    const api = await new Promise((resolve, reject) => {
      let err = '';
      server.stderr.on('data', (d) => {
        err += d;
        const m = err.match(/REST API at (http:\/\/\S+)\/api/);
        if (m) resolve(m[1]);
      });
      server.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
    });
    const page = await fetch(`${api}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type'), /text\/html/);
    assert.match(await page.text(), /<div id="root">|<script type="module"/);
  } finally {
    server.kill('SIGTERM');
  }
});

test('systemd-analyze verify accepts the units', (t) => {
  if (!fs.existsSync('/usr/bin/systemd-analyze')) return t.skip('systemd-analyze is not installed');
  const units = path.join(extracted, 'usr/lib/systemd/system');
  const dir = path.join(tmp, 'units');
  fs.mkdirSync(dir);
  // A template is verified through an instance of it; the units' binary is
  // the extracted one (verify checks that ExecStart's program runs).
  const binary = path.join(extracted, 'usr/bin/docrunch');
  for (const [from, to] of [['docrunch-serve.service', 'docrunch-serve.service'],
    ['docrunch-worker@.service', 'docrunch-worker@sync.service'],
    ['docrunch-cli-proxy.service', 'docrunch-cli-proxy.service']]) {
    const text = fs.readFileSync(path.join(units, from), 'utf8');
    assert.match(text, /^ExecStart=\/usr\/bin\/docrunch /m, from);
    for (const setting of ['NoNewPrivileges=yes', 'ProtectSystem=strict', 'PrivateTmp=yes',
      'User=docrunch', 'CapabilityBoundingSet=']) {
      assert.ok(text.split('\n').includes(setting), `${from}: ${setting}`);
    }
    fs.writeFileSync(path.join(dir, to), text.replaceAll('/usr/bin/docrunch', binary));
  }
  const r = spawnSync('systemd-analyze', ['verify', '--man=no',
    ...fs.readdirSync(dir).map((u) => path.join(dir, u))], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.equal(`${r.stdout}${r.stderr}`.trim(), '');
});

test('dpkg -i installs it with its user and folders; purge removes it', (t) => {
  if (process.getuid() !== 0) return t.skip('installing needs root (the CI machine runs as root)');
  if (spawnSync('dpkg-query', ['-W', 'docrunch']).status === 0) {
    return t.skip('a docrunch package is already installed here; not replacing it');
  }
  const hadUser = spawnSync('getent', ['passwd', 'docrunch']).status === 0;
  try {
    run('dpkg', ['-i', deb]);
    assert.equal(run('/usr/bin/docrunch', ['--version']).trim(), `docrunch ${version}`);
    const user = run('getent', ['passwd', 'docrunch']).trim().split(':');
    assert.equal(user[5], '/var/lib/docrunch');
    assert.equal(user[6], '/usr/sbin/nologin');
    const state = fs.statSync('/var/lib/docrunch');
    assert.equal(state.mode & 0o777, 0o750);
    assert.equal(state.uid, Number(user[2]));
    assert.equal(fs.statSync('/etc/docrunch').mode & 0o777, 0o750);
    if (fs.existsSync('/usr/bin/systemd-analyze')) {
      const verify = spawnSync('systemd-analyze', ['verify', '--man=no',
        '/usr/lib/systemd/system/docrunch-serve.service',
        '/usr/lib/systemd/system/docrunch-cli-proxy.service'], { encoding: 'utf8' });
      assert.equal(verify.status, 0, `${verify.stdout}${verify.stderr}`);
    }
    // The readiness checks of the installed binary on a new project: a
    // warning (no snapshot yet, say) is fine, a failure is not.
    const project = path.join(tmp, 'installed-project');
    fs.mkdirSync(project);
    run('/usr/bin/docrunch', ['init', '.'], { cwd: project });
    const doctor = spawnSync('/usr/bin/docrunch', ['doctor', '--json'], { cwd: project, encoding: 'utf8' });
    assert.ok([0, 1].includes(doctor.status), `${doctor.stdout}${doctor.stderr}`);
    const checks = JSON.parse(doctor.stdout).checks;
    assert.ok(checks.length > 5, doctor.stdout);
    for (const check of checks) assert.notEqual(check.status, 'fail', JSON.stringify(check));
    run('dpkg', ['--purge', 'docrunch']);
    assert.ok(!fs.existsSync('/usr/bin/docrunch'));
    assert.ok(!fs.existsSync('/usr/lib/systemd/system/docrunch-serve.service'));
  } finally {
    if (spawnSync('dpkg-query', ['-W', 'docrunch']).status === 0) spawnSync('dpkg', ['--purge', 'docrunch']);
    if (!hadUser && spawnSync('getent', ['passwd', 'docrunch']).status === 0) {
      spawnSync('deluser', ['--system', 'docrunch']);
      spawnSync('delgroup', ['--system', 'docrunch']);
    }
  }
});
