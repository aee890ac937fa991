#!/usr/bin/env node
/*
 * `npm run data:fma -- --subset metadata|small|medium|large [--out DIR] [--base-url URL]`:
 * downloads FMA (Defferrard et al. 2017) from the dataset's own host, verifies the SHA-1 sums the
 * mdeff/fma README publishes, and unpacks into data/fma/ (fma_metadata/, fma_<subset>/). Audio
 * subsets also fetch the metadata (the loader needs tracks.csv). Sizes: metadata 342 MiB, small
 * 7.2 GiB, medium 22 GiB, large 93 GiB. Resumes; offline it stops at once and says where to put the files.
 */
'use strict';
const fs = require('fs');
const path = require('path');
const { download, verify, unpack, parseArgs, runMain } = require('./download-common');

const ROOT = path.resolve(__dirname, '..');
const BASE_URL = 'https://os.unil.cloud.switch.ch/fma/';
// SHA-1 sums from github.com/mdeff/fma README ("Data" section).
const SHA1 = {
  metadata: 'f0df49ffe5f2a6008d7dc83c6915b31835dfe733',
  small: 'ade154f733639d52e35e32f5593efe5be76c6d70',
  medium: 'c67b69ea232021025fca9231fc1c7c1a063ab50b',
  large: '497109f4dd721066b5ce5e5f250ec604dc78939e',
};

const MANUAL = [
  'Put FMA in place by hand instead (from https://github.com/mdeff/fma, "Data"):',
  `  unzip fma_metadata.zip into ${path.join(ROOT, 'data', 'fma')}   → data/fma/fma_metadata/tracks.csv, genres.csv`,
  `  unzip fma_small.zip    into ${path.join(ROOT, 'data', 'fma')}   → data/fma/fma_small/000/000002.mp3 …`,
  'or point GENRE_LAB_FMA at the folder holding fma_metadata/. Check it with: npx genre-lab data check data/fma',
].join('\n');

async function fetchPart(name, out, baseUrl) {
  const target = path.join(out, `fma_${name}`);
  if (fs.existsSync(target) && fs.readdirSync(target).length) {
    console.log(`fma_${name}/ already there`);
    return;
  }
  const archive = path.join(out, `fma_${name}.zip`);
  await download(new URL(`fma_${name}.zip`, baseUrl).toString(), archive);
  await verify(archive, 'sha1', baseUrl === BASE_URL ? SHA1[name] : null);
  unpack(archive, out);
}

async function main() {
  const args = parseArgs(process.argv.slice(2), { subset: 'value', out: 'value', 'base-url': 'value', help: 'flag' });
  if (args.help || !args.subset) {
    console.log('Usage: npm run data:fma -- --subset metadata|small|medium|large [--out DIR]\n\n' + MANUAL);
    if (!args.help) throw new Error('--subset is required');
    return;
  }
  if (!(args.subset in SHA1)) throw new Error(`--subset must be one of ${Object.keys(SHA1).join(', ')}, got '${args.subset}'`);
  const out = path.resolve(args.out || path.join(ROOT, 'data', 'fma'));
  const baseUrl = args['base-url'] ? args['base-url'].replace(/\/?$/, '/') : BASE_URL;
  await fetchPart('metadata', out, baseUrl);
  if (args.subset !== 'metadata') await fetchPart(args.subset, out, baseUrl);
  console.log(`FMA is in ${out}. Check it with: npx genre-lab data check ${path.relative(process.cwd(), out) || '.'}`);
}

if (require.main === module) runMain(main, MANUAL);
