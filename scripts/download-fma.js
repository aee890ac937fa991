#!/usr/bin/env node
/*
 * `npm run data:fma -- --subset metadata|small|medium|large [--out DIR] [--base-url URL ...]`:
 * downloads FMA (Defferrard et al. 2017) from the first base URL that answers (the dataset's own
 * host by default; GENRE_LAB_FMA_MIRRORS or repeated --base-url replace the list), verifies the
 * SHA-1 sums the mdeff/fma README publishes whichever one answered, and unpacks into data/fma/
 * (fma_metadata/, fma_<subset>/). Audio subsets also fetch the metadata (the loader needs
 * tracks.csv). Sizes: metadata 342 MiB, small 7.2 GiB, medium 22 GiB, large 93 GiB. Resumes; when
 * every mirror fails it names each one's reason and says where to put the files by hand.
 */
'use strict';
const fs = require('fs');
const path = require('path');
const { downloadFromMirrors, mirrorsFromEnv, unpack, parseArgs, runMain } = require('./download-common');

const ROOT = path.resolve(__dirname, '..');
const MIRRORS = ['https://os.unil.cloud.switch.ch/fma/'];
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

async function fetchPart(name, out, baseUrls, sha1) {
  const target = path.join(out, `fma_${name}`);
  if (fs.existsSync(target) && fs.readdirSync(target).length) {
    console.log(`fma_${name}/ already there`);
    return;
  }
  const archive = path.join(out, `fma_${name}.zip`);
  await downloadFromMirrors(baseUrls.map((b) => new URL(`fma_${name}.zip`, b).toString()), archive, sha1 ? { sha1 } : {});
  unpack(archive, out);
}

async function main() {
  const args = parseArgs(process.argv.slice(2), { subset: 'value', out: 'value', 'base-url': 'list', sha1: 'value', help: 'flag' });
  if (args.help || !args.subset) {
    console.log(
      'Usage: npm run data:fma -- --subset metadata|small|medium|large [--out DIR] [--base-url URL ...] [--sha1 HEX]\n\n' +
        `Mirrors (GENRE_LAB_FMA_MIRRORS or --base-url replaces them): ${MIRRORS.join(' ')}\n` +
        `SHA-1: ${Object.entries(SHA1).map(([k, v]) => `fma_${k}.zip ${v}`).join(', ')}\n\n${MANUAL}`,
    );
    if (!args.help) throw new Error('--subset is required');
    return;
  }
  if (!(args.subset in SHA1)) throw new Error(`--subset must be one of ${Object.keys(SHA1).join(', ')}, got '${args.subset}'`);
  const out = path.resolve(args.out || path.join(ROOT, 'data', 'fma'));
  const baseUrls = (args['base-url'] || mirrorsFromEnv('GENRE_LAB_FMA_MIRRORS', MIRRORS)).map((b) => b.replace(/\/?$/, '/'));
  // --sha1 replaces the published sum of the audio subset's zip (a re-packed copy of your own).
  await fetchPart('metadata', out, baseUrls, args.sha1 && args.subset === 'metadata' ? args.sha1 : SHA1.metadata);
  if (args.subset !== 'metadata') await fetchPart(args.subset, out, baseUrls, args.sha1 || SHA1[args.subset]);
  console.log(`FMA is in ${out}. Check it with: npx genre-lab data check ${path.relative(process.cwd(), out) || '.'}`);
}

if (require.main === module) runMain(main, MANUAL);
module.exports = { MIRRORS, SHA1 };
