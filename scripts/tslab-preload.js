/*
 * Loaded into the tslab kernel by scripts/nbrun.py (NODE_OPTIONS=--require) for headless runs.
 *
 * tslab compiles cells with TypeScript's watch API. When a watched source file or folder (lib/,
 * node_modules) changes on disk while a notebook runs, TypeScript schedules a rebuild timer that
 * tslab never fires, and the NEXT cell fails with "Unexpected pending rebuildTimer" (tslab 1.0.22,
 * converter.js). Headless runs execute a fixed tree from start to end, so they do not need to
 * notice edits: this turns TypeScript's on-disk watchers into no-ops. Cells are still compiled
 * normally (tslab feeds cell sources to TypeScript through its own in-memory hooks).
 * Interactive JupyterLab sessions do not load this file.
 */
'use strict';
const path = require('path');
try {
  const tsPath = require.resolve('@tslab/typescript-for-tslab', { paths: [path.resolve(__dirname, '..')] });
  const ts = require(tsPath);
  const idle = () => ({ close() {} });
  ts.sys.watchFile = idle;
  ts.sys.watchDirectory = idle;
} catch (e) {
  // Not the tslab kernel (a node child process that inherited NODE_OPTIONS): nothing to do.
}
