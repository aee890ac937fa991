#!/usr/bin/env node
/*
 * `npm test`: setup (idempotent), type-check the whole tree with tsc, then node's test runner
 * over test/**\/*.test.ts (TypeScript through ts-node, type-stripping only).
 * `npm test -- test/foo.test.ts` runs only the files named.
 */
'use strict';
const fs = require('fs');
const path = require('path');
const cp = require('child_process');

const ROOT = path.resolve(__dirname, '..');
const run = (cmd, argv, env) => cp.spawnSync(cmd, argv, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...env } }).status;

function findTests(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'fixtures' || e.name === 'notebooks' ? [] : findTests(p);
    return e.name.endsWith('.test.ts') ? [path.relative(ROOT, p)] : [];
  });
}

const named = process.argv.slice(2);
if (run(process.execPath, ['scripts/setup.js', '--quiet']) !== 0) process.exit(1);
if (!named.length || process.env.GENRE_LAB_TYPECHECK === '1') {
  console.log('[test] type-checking with tsc…');
  if (run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', '.']) !== 0) process.exit(1);
}
const files = named.length ? named : findTests(path.join(ROOT, 'test')).sort();
const status = run(process.execPath, ['--require', 'ts-node/register', '--test', ...files], {
  TS_NODE_TRANSPILE_ONLY: '1',
  TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'),
});
process.exit(status);
