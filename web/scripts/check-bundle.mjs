#!/usr/bin/env node
// Checks a built dashboard (vite build's output folder):
// - index.html has no inline <script> (the server's CSP forbids them);
// - the initial JavaScript, index.html's module scripts and modulepreloads
//   plus everything they import statically (not dynamic import()), is at
//   most LIMIT_KB gzip (-9) together.
// Prints the measurement; exits 1 when a check fails.
//
//   node scripts/check-bundle.mjs OUT_DIR [LIMIT_KB=300]
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const [outDir, limitArg = '300'] = process.argv.slice(2);
if (!outDir) {
  console.error('usage: check-bundle.mjs OUT_DIR [LIMIT_KB]');
  process.exit(2);
}
const limit = Number(limitArg) * 1024;
const html = fs.readFileSync(path.join(outDir, 'index.html'), 'utf8');
let failed = false;

for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
  if (!/\bsrc=/.test(m[1]) || m[2].trim()) {
    console.error('check-bundle: index.html has an inline <script>, which the CSP refuses');
    failed = true;
  }
}
if (/\son[a-z]+=/i.test(html)) {
  console.error('check-bundle: index.html has an inline event handler attribute');
  failed = true;
}

const entries = [
  ...[...html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1]),
  ...[...html.matchAll(/<link\b[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)].map((m) => m[1]),
];
// Static imports and re-exports: `import"./a.js"`, `import{x}from"./a.js"`,
// `export{x}from"./a.js"`; a `(` right after `import` is a dynamic import.
const staticImport = /\b(?:import|export)\s*(?:[^"'();]*?\bfrom\s*)?["']([^"']+\.js)["']/g;

const seen = new Set();
const queue = entries.map((src) => path.join(outDir, src.replace(/^\//, '')));
while (queue.length) {
  const file = queue.pop();
  if (seen.has(file)) continue;
  seen.add(file);
  const code = fs.readFileSync(file, 'utf8');
  for (const m of code.matchAll(staticImport)) {
    const spec = m[1];
    if (spec.startsWith('.')) queue.push(path.resolve(path.dirname(file), spec));
    else if (spec.startsWith('/')) queue.push(path.join(outDir, spec.slice(1)));
  }
}

let raw = 0;
let gz = 0;
for (const file of [...seen].sort()) {
  const data = fs.readFileSync(file);
  const size = zlib.gzipSync(data, { level: 9 }).length;
  raw += data.length;
  gz += size;
  console.log(`  ${path.relative(outDir, file)}  ${(data.length / 1024).toFixed(1)} KB, ${(size / 1024).toFixed(1)} KB gzip`);
}
console.log(
  `check-bundle: initial JavaScript ${seen.size} file(s), ${(raw / 1024).toFixed(1)} KB, ` +
    `${(gz / 1024).toFixed(1)} KB gzip (limit ${limitArg} KB)`,
);
if (seen.size === 0) {
  console.error('check-bundle: index.html loads no JavaScript');
  failed = true;
}
if (gz > limit) {
  console.error(`check-bundle: the initial JavaScript is over ${limitArg} KB gzip; load the heavy pages lazily`);
  failed = true;
}
process.exit(failed ? 1 : 0);
