/**
 * scripts/download-{gtzan,fma}.js against a local HTTP server (no network): resume with Range,
 * unpack, .au → .wav conversion, and the fail-fast offline message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { execFile, spawnSync } from 'child_process';
import type { AddressInfo } from 'net';
import { ROOT } from '../lib/paths';
import { loadGtzan } from '../lib/datasets';
import { loadAudioSync } from '../lib/audio/index';
import { tmpDir } from './fixtures/datasets/make';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { auToWav } = require('../scripts/download-gtzan.js') as { auToWav: (b: Buffer, name?: string) => Buffer };

/** A Sun .au file: 16-bit big-endian PCM (encoding 3), as in GTZAN's genres.tar.gz. */
function auBytes(samples: number[], sr = 22050): Buffer {
  const b = Buffer.alloc(24 + samples.length * 2);
  b.write('.snd', 0, 'latin1');
  b.writeUInt32BE(24, 4);
  b.writeUInt32BE(samples.length * 2, 8);
  b.writeUInt32BE(3, 12);
  b.writeUInt32BE(sr, 16);
  b.writeUInt32BE(1, 20);
  samples.forEach((s, i) => b.writeInt16BE(s, 24 + 2 * i));
  return b;
}

const run = (script: string, args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [path.join(ROOT, 'scripts', script), ...args], { timeout: 60000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });

test('auToWav keeps the samples (big-endian .au → little-endian WAV) and rejects other encodings', () => {
  const wav = auToWav(auBytes([0, 1000, -32768, 32767]));
  assert.equal(wav.toString('latin1', 0, 4), 'RIFF');
  assert.equal(wav.readUInt32LE(24), 22050);
  assert.deepEqual([0, 1, 2, 3].map((i) => wav.readInt16LE(44 + 2 * i)), [0, 1000, -32768, 32767]);
  const mulaw = auBytes([1, 2]);
  mulaw.writeUInt32BE(1, 12);
  assert.throws(() => auToWav(mulaw, 'x.au'), /x\.au: \.au encoding 1 is not 16-bit linear PCM/);
  assert.throws(() => auToWav(Buffer.from('RIFF....'), 'y.au'), /not a Sun \.au file/);
});

test('download-gtzan: resumes a partial download, unpacks, converts .au to .wav; the loader reads the result', async () => {
  const src = tmpDir('gtzan-src');
  for (const g of ['blues', 'jazz']) {
    fs.mkdirSync(path.join(src, 'genres', g), { recursive: true });
    for (let i = 0; i < 2; i++) fs.writeFileSync(path.join(src, 'genres', g, `${g}.0000${i}.au`), auBytes(Array.from({ length: 4000 }, (_, k) => ((k * (i + 3)) % 2000) - 1000)));
  }
  fs.writeFileSync(path.join(src, 'genres', 'bl.mf'), 'collection');
  const archive = path.join(src, 'genres.tar.gz');
  const tar = spawnSync('tar', ['-czf', archive, '-C', src, 'genres']);
  assert.equal(tar.status, 0, String(tar.stderr));
  const bytes = fs.readFileSync(archive);
  const ranges: string[] = [];
  const server = http.createServer((req, res) => {
    const range = req.headers.range;
    if (range) ranges.push(range);
    const start = range ? Number(/bytes=(\d+)-/.exec(range)![1]) : 0;
    res.writeHead(range ? 206 : 200, { 'Content-Length': bytes.length - start });
    res.end(bytes.subarray(start));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const out = tmpDir('gtzan-out');
    fs.writeFileSync(path.join(out, 'genres.tar.gz.part'), bytes.subarray(0, 100)); // an interrupted earlier run
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/genres.tar.gz`;
    const r = await run('download-gtzan.js', ['--out', out, '--url', url]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.deepEqual(ranges, ['bytes=100-'], 'resumed from the partial file');
    assert.deepEqual(fs.readFileSync(path.join(out, 'genres.tar.gz')), bytes);
    assert.match(r.stdout, /converted 4 \.au files to \.wav/);
    assert.match(r.stdout, /no published checksum/, 'a mirror URL has no known checksum');
    const ds = loadGtzan(out);
    assert.equal(ds.tracks.length, 4);
    assert.deepEqual(ds.problems.map((p) => p.reason).filter((x) => x !== 'missing-folder'), []);
    const a = loadAudioSync(ds.tracks[0].path, { sr: null });
    assert.equal(a.sr, 22050);
    assert.equal(a.y.length, 4000);
    assert.ok(Math.abs(a.y[1] - (3 - 1000) / 32768) < 1e-6);
    // A second run finds the data in place and does not download again.
    const again = await run('download-gtzan.js', ['--out', out, '--url', url]);
    assert.equal(again.code, 0);
    assert.equal(ranges.length, 1);
  } finally {
    server.close();
  }
});

test('downloads fail fast offline with where-to-put-the-files instructions', async () => {
  const out = tmpDir('offline');
  // Port 1 on loopback: nothing listens, the connection is refused at once (no network involved).
  const g = await run('download-gtzan.js', ['--out', out, '--url', 'http://127.0.0.1:1/genres.tar.gz']);
  assert.equal(g.code, 1);
  assert.match(g.stderr, /cannot reach the download server: .*ECONNREFUSED/);
  assert.match(g.stderr, /by hand/);
  assert.match(g.stderr, /genres_original/);
  const f = await run('download-fma.js', ['--subset', 'small', '--out', out, '--base-url', 'http://127.0.0.1:1/']);
  assert.equal(f.code, 1);
  assert.match(f.stderr, /fma_metadata\.zip/);
  assert.match(f.stderr, /unzip fma_small\.zip/);
  const bad = await run('download-fma.js', ['--subset', 'tiny']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--subset must be one of metadata, small, medium, large/);
});
