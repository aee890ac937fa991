#!/usr/bin/env node
/*
 * `npm run lab`: setup (idempotent), then JupyterLab from the project venv, rooted at the repository
 * (lib/, results/, data/ open from its file browser, beside the notebooks) and opening on
 * notebooks/, with the tslab kernel registered there. Extra arguments go to `jupyter lab`
 * (`npm run lab -- --port 9999`). As root (containers, CI images) Jupyter refuses to start without
 * --allow-root: add it there.
 *
 * The venv's JupyterLab gets settings overrides (.venv/share/jupyter/lab/settings/overrides.json,
 * this server only, the user's own settings win): no "get notified about Jupyter news?" prompt and
 * no news or update check (they would call a website).
 */
'use strict';
const fs = require('fs');
const path = require('path');
const cp = require('child_process');

const ROOT = path.resolve(__dirname, '..');
const VENV = path.join(ROOT, '.venv');

const OVERRIDES = {
  '@jupyterlab/apputils-extension:notification': { fetchNews: 'false', checkForUpdates: false },
};

/** Merges OVERRIDES into the venv's overrides.json (keeps anything else already there). Returns its path. */
function writeOverrides(venv = VENV) {
  const file = path.join(venv, 'share', 'jupyter', 'lab', 'settings', 'overrides.json');
  let cur = {};
  try {
    cur = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    // missing or unreadable: start afresh
  }
  for (const [plugin, settings] of Object.entries(OVERRIDES)) cur[plugin] = { ...(cur[plugin] || {}), ...settings };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(cur, null, 2) + '\n');
  return file;
}

/** `jupyter lab` arguments: rooted at the repository, opening on notebooks/, then the user's. */
function labArgs(extra) {
  const args = ['lab', `--ServerApp.root_dir=${ROOT}`, '--LabApp.default_url=/lab/tree/notebooks', ...extra];
  if (typeof process.getuid === 'function' && process.getuid() === 0 && !args.includes('--allow-root')) args.push('--allow-root');
  return args;
}

function main() {
  const setup = cp.spawnSync(process.execPath, [path.join(__dirname, 'setup.js'), '--quiet'], { stdio: 'inherit' });
  if (setup.status !== 0) process.exit(setup.status ?? 1);
  writeOverrides();
  const lab = cp.spawn(path.join(VENV, 'bin', 'jupyter'), labArgs(process.argv.slice(2)), { stdio: 'inherit', cwd: ROOT });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => lab.kill(sig));
  lab.on('exit', (code) => process.exit(code ?? 0));
}

if (require.main === module) main();
module.exports = { labArgs, writeOverrides, OVERRIDES };
