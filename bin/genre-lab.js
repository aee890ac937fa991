#!/usr/bin/env node
// The `genre-lab` command: runs lib/cli (TypeScript) through ts-node, type-stripping only
// (`npm test` type-checks the whole tree with tsc).
'use strict';
const path = require('path');
require('ts-node').register({ transpileOnly: true, project: path.join(__dirname, '..', 'tsconfig.json') });
require('../lib/cli').main(process.argv.slice(2)).then(
  (code) => process.exit(code ?? 0),
  (err) => {
    console.error(`genre-lab: ${err && err.message ? err.message : err}`);
    if (process.env.GENRE_LAB_DEBUG) console.error(err);
    process.exit(1);
  },
);
