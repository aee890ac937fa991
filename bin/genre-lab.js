#!/usr/bin/env node
// The `genre-lab` command: runs lib/cli (TypeScript) through sucrase's require hook, type-stripping
// only (`npm test` type-checks the whole tree with tsc). Not ts-node: it loads the TypeScript compiler
// into the process, ~60 MB of resident memory for a training run that never needs it.
'use strict';
require('sucrase/register/ts');
require('../lib/cli').main(process.argv.slice(2)).then(
  (code) => process.exit(code ?? 0),
  (err) => {
    console.error(`genre-lab: ${err && err.message ? err.message : err}`);
    if (process.env.GENRE_LAB_DEBUG) console.error(err);
    process.exit(1);
  },
);
