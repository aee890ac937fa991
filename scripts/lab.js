#!/usr/bin/env node
/*
 * `npm run lab`: setup (idempotent), then JupyterLab from the project venv on notebooks/, with the
 * tslab kernel registered there. Extra arguments go to `jupyter lab` (`npm run lab -- --port 9999`).
 * As root (containers, CI images) Jupyter refuses to start without --allow-root: add it there.
 */
'use strict';
const path = require('path');
const cp = require('child_process');

const ROOT = path.resolve(__dirname, '..');
const setup = cp.spawnSync(process.execPath, [path.join(__dirname, 'setup.js'), '--quiet'], { stdio: 'inherit' });
if (setup.status !== 0) process.exit(setup.status ?? 1);
const args = ['lab', `--notebook-dir=${path.join(ROOT, 'notebooks')}`, ...process.argv.slice(2)];
if (typeof process.getuid === 'function' && process.getuid() === 0 && !args.includes('--allow-root')) args.push('--allow-root');
const lab = cp.spawn(path.join(ROOT, '.venv', 'bin', 'jupyter'), args, { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => lab.kill(sig));
lab.on('exit', (code) => process.exit(code ?? 0));
