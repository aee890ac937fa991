#!/usr/bin/env node
/*
 * `npm run data:gtzan [-- --out DIR] [-- --url URL]`: downloads the GTZAN genre collection
 * (Tzanetakis & Cook 2002; genres.tar.gz, 1.2 GB, from the Marsyas host the seeds use), verifies
 * the SHA-256 torchaudio publishes for it, unpacks it into data/gtzan/genres/<genre>/ and converts
 * the archive's Sun .au files to 16-bit WAV (same samples; the seeds and lib/audio read WAV).
 * Resumes an interrupted download; offline it stops at once and says where to put the files.
 */
'use strict';
const fs = require('fs');
const path = require('path');
const { download, verify, unpack, parseArgs, runMain } = require('./download-common');

const ROOT = path.resolve(__dirname, '..');
const URL_DEFAULT = 'http://opihi.cs.uvic.ca/sound/genres.tar.gz';
// torchaudio/datasets/gtzan.py `_CHECKSUMS` for this URL.
const SHA256 = '24347e0223d2ba798e0a558c4c172d9d4a19c00bb7963fe055d183dadb4ef2c6';

const MANUAL = [
  'Put GTZAN in place by hand instead, in either layout:',
  `  ${path.join(ROOT, 'data', 'gtzan', 'genres')}/<genre>/<genre>.000NN.wav   (the original genres.tar.gz; .au files`,
  '      are converted by re-running this script after copying genres.tar.gz into data/gtzan/)',
  `  ${path.join(ROOT, 'data', 'gtzan', 'Data')}/genres_original/<genre>/…      (the Kaggle download,`,
  '      kaggle.com/datasets/andradaolteanu/gtzan-dataset-music-genre-classification, unzipped)',
  'or point GENRE_LAB_GTZAN at the folder. Check it with: npx genre-lab data check data/gtzan',
].join('\n');

/**
 * Sun/NeXT .au (big-endian header ".snd", data offset, size, encoding, rate, channels) with
 * 16-bit linear PCM (encoding 3, what GTZAN uses) → little-endian 16-bit PCM WAV bytes.
 */
function auToWav(au, name = 'file.au') {
  if (au.length < 24 || au.toString('latin1', 0, 4) !== '.snd') throw new Error(`${name}: not a Sun .au file`);
  const offset = au.readUInt32BE(4);
  let size = au.readUInt32BE(8);
  const encoding = au.readUInt32BE(12);
  const sr = au.readUInt32BE(16);
  const channels = au.readUInt32BE(20);
  if (encoding !== 3) throw new Error(`${name}: .au encoding ${encoding} is not 16-bit linear PCM (3)`);
  if (size === 0xffffffff || offset + size > au.length) size = au.length - offset; // unknown or overstated size
  size -= size % (2 * channels);
  const wav = Buffer.alloc(44 + size);
  wav.write('RIFF', 0, 'ascii');
  wav.writeUInt32LE(36 + size, 4);
  wav.write('WAVEfmt ', 8, 'ascii');
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20);
  wav.writeUInt16LE(channels, 22);
  wav.writeUInt32LE(sr, 24);
  wav.writeUInt32LE(sr * channels * 2, 28);
  wav.writeUInt16LE(channels * 2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36, 'ascii');
  wav.writeUInt32LE(size, 40);
  for (let i = 0; i < size; i += 2) wav.writeInt16LE(au.readInt16BE(offset + i), 44 + i);
  return wav;
}

/** Converts every .au under `dir` to .wav beside it and removes the .au; returns the count. */
function convertAuTree(dir) {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) n += convertAuTree(p);
    else if (e.name.endsWith('.au')) {
      fs.writeFileSync(p.replace(/\.au$/, '.wav'), auToWav(fs.readFileSync(p), e.name));
      fs.rmSync(p);
      n++;
    }
  }
  return n;
}

async function main() {
  const args = parseArgs(process.argv.slice(2), { out: 'value', url: 'value', help: 'flag' });
  if (args.help) {
    console.log('Usage: npm run data:gtzan [-- --out DIR] [-- --url URL]\n\n' + MANUAL);
    return;
  }
  const out = path.resolve(args.out || path.join(ROOT, 'data', 'gtzan'));
  const url = args.url || URL_DEFAULT;
  const genres = path.join(out, 'genres');
  const archive = path.join(out, path.basename(new URL(url).pathname) || 'genres.tar.gz');
  if (!fs.existsSync(genres)) {
    await download(url, archive);
    await verify(archive, 'sha256', url === URL_DEFAULT ? SHA256 : null);
    unpack(archive, out);
  }
  const n = convertAuTree(genres);
  if (n) console.log(`converted ${n} .au files to .wav`);
  console.log(`GTZAN is in ${genres}. Check it with: npx genre-lab data check ${path.relative(process.cwd(), out) || '.'}`);
  console.log(`(${path.basename(archive)} can be deleted once the check passes.)`);
}

if (require.main === module) runMain(main, MANUAL);
module.exports = { auToWav, convertAuTree };
