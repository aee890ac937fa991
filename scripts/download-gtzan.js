#!/usr/bin/env node
/*
 * `npm run data:gtzan [-- --out DIR] [-- --mirror URL ...] [-- --sha256 HEX --md5 HEX]`: downloads
 * the GTZAN genre collection (Tzanetakis & Cook 2002; genres.tar.gz, 1.2 GB) from the first mirror
 * that answers, verifies the archive's published checksums whichever mirror it came from, unpacks
 * it into data/gtzan/genres/<genre>/ and converts the archive's Sun .au files to 16-bit WAV (same
 * samples; the seeds and lib/audio read WAV). Resumes an interrupted download (from any mirror);
 * when every mirror fails it names each one's reason and prints the by-hand routes (Kaggle).
 * GENRE_LAB_GTZAN_MIRRORS (URLs separated by spaces or commas) replaces the mirror list.
 */
'use strict';
const fs = require('fs');
const path = require('path');
const { downloadFromMirrors, mirrorsFromEnv, unpack, parseArgs, runMain } = require('./download-common');

const ROOT = path.resolve(__dirname, '..');
/**
 * The same genres.tar.gz, in the order tried. The Marsyas host the seeds (and torchaudio, mirdata)
 * use has not answered since 2022 (mirdata #549, torchaudio #2763); the Hugging Face dataset
 * marsyas/gtzan serves the archive unchanged.
 */
const MIRRORS = [
  'http://opihi.cs.uvic.ca/sound/genres.tar.gz',
  'https://huggingface.co/datasets/marsyas/gtzan/resolve/main/data/genres.tar.gz',
];
// genres.tar.gz: SHA-256 from torchaudio/datasets/gtzan.py `_CHECKSUMS`, MD5 from mirdata's
// gtzan_genre REMOTES (and torchaudio before 0.13): both are checked.
const CHECKSUMS = {
  sha256: '24347e0223d2ba798e0a558c4c172d9d4a19c00bb7963fe055d183dadb4ef2c6',
  md5: '5b3d6dddb579ab49814ab86dba69e7c7',
};

const MANUAL = [
  'Put GTZAN in place by hand instead, in either layout:',
  `  ${path.join(ROOT, 'data', 'gtzan', 'genres')}/<genre>/<genre>.000NN.wav   (the original genres.tar.gz: copy it`,
  '      into data/gtzan/ and re-run this script, which checks it, unpacks it and converts the .au files)',
  `  ${path.join(ROOT, 'data', 'gtzan', 'Data')}/genres_original/<genre>/<genre>.000NN.wav   (Kaggle's re-upload,`,
  '      kaggle.com/datasets/andradaolteanu/gtzan-dataset-music-genre-classification, unzipped into data/gtzan/;',
  '      its jazz.00054.wav is damaged: `data check` reports it, training skips it)',
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
  const args = parseArgs(process.argv.slice(2), { out: 'value', mirror: 'list', url: 'list', sha256: 'value', md5: 'value', help: 'flag' });
  if (args.help) {
    console.log(
      'Usage: npm run data:gtzan [-- --out DIR] [-- --mirror URL ...] [-- --sha256 HEX] [-- --md5 HEX]\n\n' +
        `Mirrors (GENRE_LAB_GTZAN_MIRRORS or --mirror replaces them):\n${MIRRORS.map((u) => `  ${u}`).join('\n')}\n` +
        `Checksums: sha256 ${CHECKSUMS.sha256}, md5 ${CHECKSUMS.md5}\n\n${MANUAL}`,
    );
    return;
  }
  const out = path.resolve(args.out || path.join(ROOT, 'data', 'gtzan'));
  const given = [...(args.mirror || []), ...(args.url || [])];
  const mirrors = given.length ? given : mirrorsFromEnv('GENRE_LAB_GTZAN_MIRRORS', MIRRORS);
  // --sha256 / --md5 replace the published sums (a re-packed archive of your own); either alone checks only that one.
  const sums = args.sha256 || args.md5 ? { ...(args.sha256 && { sha256: args.sha256 }), ...(args.md5 && { md5: args.md5 }) } : CHECKSUMS;
  const genres = path.join(out, 'genres');
  const archive = path.join(out, 'genres.tar.gz');
  if (!fs.existsSync(genres)) {
    await downloadFromMirrors(mirrors, archive, sums);
    unpack(archive, out);
  }
  const n = convertAuTree(genres);
  if (n) console.log(`converted ${n} .au files to .wav`);
  console.log(`GTZAN is in ${genres}. Check it with: npx genre-lab data check ${path.relative(process.cwd(), out) || '.'}`);
  console.log(`(${path.basename(archive)} can be deleted once the check passes.)`);
}

if (require.main === module) runMain(main, MANUAL);
module.exports = { auToWav, convertAuTree, MIRRORS, CHECKSUMS };
