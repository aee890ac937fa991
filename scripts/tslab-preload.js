/*
 * Loaded into every genre-lab tslab kernel (scripts/tslab-kernel sets NODE_OPTIONS=--require=this).
 * Fixes for tslab 1.0.22, applied in memory to the kernel process only (node_modules is not
 * modified):
 *
 * 1. Folder imports. tslab compiles the TypeScript files a cell imports and serves them from
 *    memory, but its lookup (executor.js, requireFromSideOutputs) only tries `<path>.js`, so a
 *    library file that imports a folder (`import { loadAudio } from '../audio'`, i.e.
 *    ../audio/index.ts) fails with "Cannot find module". The patch also tries `<path>/index.js`,
 *    as Node and TypeScript do.
 *
 * 2. Strict type-checking. tslab compiles with its own options, without `strict`, so a library
 *    file that type-checks under the project's tsconfig (strict) can fail inside the kernel:
 *    narrowing a union by a boolean field (`if (!r.ok) r.reason`) needs strictNullChecks. The
 *    kernel's compiler gets `strict: true`, as tsconfig.json has.
 *
 * 3. Kernel status. tslab's ZmqServer announces "busy" when a request ARRIVES and "idle" when it
 *    is done; cells queued behind a running one arrive at once, so the status went busy, busy, busy,
 *    then "idle" when the FIRST cell finished, and JupyterLab's status bar said Idle while the other
 *    cells still ran (a completion request answered meanwhile did the same). The patch publishes,
 *    for each execute request, "busy" when it starts (the previous cell finished) and "idle" when it
 *    ends, and after any idle re-announces "busy" for the cell still running: the status is busy
 *    until the queue drains, and every request still gets its own busy/idle pair, in that order.
 *    test/notebook-kernel.test.ts checks it with jupyter_client; test/jupyterlab-browser.test.ts
 *    in JupyterLab's status bar.
 *
 * 4. Headless runs only (GENRE_LAB_HEADLESS=1, set by scripts/nbrun.py): when a source file or
 *    folder that TypeScript watches (lib/, node_modules) changes on disk while a notebook runs,
 *    TypeScript schedules a rebuild timer that tslab never fires, and the NEXT cell fails with
 *    "Unexpected pending rebuildTimer" (converter.js). A headless run executes a fixed tree from
 *    start to end, so TypeScript's on-disk watchers are turned into no-ops there.
 */
'use strict';
const fs = require('fs');
const path = require('path');
const Module = require('module');

const EXECUTOR = path.join('tslab', 'dist', 'executor.js');
const NEEDLE = `        if (path_1.default.extname(filename) === "") {
            filename += ".js";
        }`;
const PATCH = `        if (path_1.default.extname(filename) === "") {
            // genre-lab (scripts/tslab-preload.js): fall back to <folder>/index.js like Node does
            const asIndex = (0, tspath_1.normalizeJoin)(filename, "index.js");
            const asFile = filename + ".js";
            filename = !sideOutputs.has(asFile) && !sideModules.has(asFile) && (sideOutputs.has(asIndex) || sideModules.has(asIndex)) ? asIndex : asFile;
        }`;

const CONVERTER = path.join('tslab', 'dist', 'converter.js');
const OPTIONS_NEEDLE = `        disableTopLevelAwait: true,`;
const OPTIONS_PATCH = `        disableTopLevelAwait: true,
        // genre-lab (scripts/tslab-preload.js): type-check like tsconfig.json
        strict: true,`;

const PATCHES = [
  { file: EXECUTOR, needle: NEEDLE, patch: PATCH, what: 'folder imports from lib/' },
  { file: CONVERTER, needle: OPTIONS_NEEDLE, patch: OPTIONS_PATCH, what: 'strict type-checking' },
];

const JUPYTER = path.join('tslab', 'dist', 'jupyter.js');

/** Patch 3: status busy from an execute request's start to the end of the queue (see above). */
function patchStatus(ZmqServer) {
  const proto = ZmqServer && ZmqServer.prototype;
  if (!proto || typeof proto.publishStatus !== 'function' || typeof proto.handleShellMessage !== 'function') {
    process.stderr.write('[genre-lab] tslab-preload: tslab/dist/jupyter.js is not the tslab 1.0.22 this patch expects (kernel status may say idle while cells run)\n');
    return;
  }
  const publish = proto.publishStatus;
  proto.publishStatus = function (status, parent) {
    const q = this.genreLabExecQueue || (this.genreLabExecQueue = []); // execute requests not finished, in order
    const isExec = parent && parent.header && parent.header.msg_type === 'execute_request';
    if (status === 'busy') {
      if (!isExec) return publish.call(this, status, parent);
      q.push({ msg: parent, started: q.length === 0 });
      if (q.length === 1) publish.call(this, 'busy', parent); // nothing ahead of it: it starts now
      return;
    }
    if (status === 'idle' && isExec) {
      const i = q.findIndex((e) => e.msg === parent);
      if (i >= 0) {
        if (!q[i].started) publish.call(this, 'busy', parent); // aborted before it started: keep busy → idle
        q.splice(i, 1);
      }
    }
    publish.call(this, status, parent);
    if (status === 'idle' && q.length) {
      // The next queued cell runs now (or the running one goes on after a completion request).
      q[0].started = true;
      publish.call(this, 'busy', q[0].msg);
    }
  };
}

const loadJs = Module._extensions['.js'];
Module._extensions['.js'] = function (module, filename) {
  if (filename.endsWith(JUPYTER)) {
    loadJs(module, filename);
    patchStatus(module.exports.ZmqServer);
    return;
  }
  const p = PATCHES.find((x) => filename.endsWith(x.file));
  if (p) {
    const src = fs.readFileSync(filename, 'utf8');
    if (src.includes(p.needle)) {
      module._compile(src.replace(p.needle, p.patch), filename);
      return;
    }
    process.stderr.write(`[genre-lab] tslab-preload: ${filename} is not the tslab 1.0.22 this patch expects (${p.what} may fail)\n`);
  }
  loadJs(module, filename);
};

if (process.env.GENRE_LAB_HEADLESS === '1') {
  try {
    const tsPath = require.resolve('@tslab/typescript-for-tslab', { paths: [path.resolve(__dirname, '..')] });
    const ts = require(tsPath);
    const idle = () => ({ close() {} });
    ts.sys.watchFile = idle;
    ts.sys.watchDirectory = idle;
  } catch (e) {
    // not a tslab kernel (a node child process that inherited NODE_OPTIONS): nothing to do
  }
}
