/**
 * scripts/download-{gtzan,fma}.js against a local HTTP server (no network): mirrors tried in order
 * (refused, 404, wrong bytes), the same checksum whichever answered, resume with Range, unpack,
 * .au → .wav conversion, and the by-hand routes when every mirror fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'crypto';
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

const run = (script: string, args: string[], env: Record<string, string> = {}) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [path.join(ROOT, 'scripts', script), ...args], { timeout: 60000, env: { ...process.env, ...env } }, (err, stdout, stderr) =>
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

/** A local HTTP server: `routes` maps a path to the bytes it serves (with Range); anything else is 404. */
async function serve(routes: Record<string, Buffer>): Promise<{ base: string; ranges: string[]; hits: string[]; close: () => void }> {
  const ranges: string[] = [];
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url!);
    const bytes = routes[req.url!];
    if (!bytes) {
      res.writeHead(404);
      res.end('not here');
      return;
    }
    const range = req.headers.range;
    if (range) ranges.push(`${req.url} ${range}`);
    const start = range ? Number(/bytes=(\d+)-/.exec(range)![1]) : 0;
    res.writeHead(range ? 206 : 200, { 'Content-Length': bytes.length - start });
    res.end(bytes.subarray(start));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, ranges, hits, close: () => server.close() };
}

const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

test('download-gtzan: tries the mirrors in order (one refused, one 404, one with other bytes), checks the same checksum, resumes, unpacks, converts .au to .wav', async () => {
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
  const other = Buffer.from(bytes);
  other[other.length - 1] ^= 0xff; // a mirror serving a different file of the same size
  const srv = await serve({ '/good/genres.tar.gz': bytes, '/other/genres.tar.gz': other });
  try {
    const out = tmpDir('gtzan-out');
    fs.writeFileSync(path.join(out, 'genres.tar.gz.part'), bytes.subarray(0, 100)); // an interrupted earlier run
    const mirrors = ['http://127.0.0.1:1/genres.tar.gz', `${srv.base}/gone/genres.tar.gz`, `${srv.base}/good/genres.tar.gz`];
    const sum = sha256(bytes);
    const r = await run('download-gtzan.js', ['--out', out, '--sha256', sum], { GENRE_LAB_GTZAN_MIRRORS: mirrors.join(' ') });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const log = r.stderr + r.stdout;
    mirrors.forEach((m, i) => assert.ok(log.includes(`${i + 1}. ${m}`), `names mirror ${m}`));
    assert.ok(log.includes(`expected sha256 ${sum}`), 'names the checksum it checks');
    assert.match(log, /127\.0\.0\.1:1\/genres\.tar\.gz failed: unreachable \(ECONNREFUSED/);
    assert.match(log, /\/gone\/genres\.tar\.gz failed: HTTP 404/);
    assert.ok(log.includes(`genres.tar.gz: sha256 ${sum} ok`));
    assert.ok(log.includes(`genres.tar.gz: from ${srv.base}/good/genres.tar.gz`));
    assert.deepEqual(srv.ranges, ['/good/genres.tar.gz bytes=100-'], 'resumed the partial file from the mirror that answered');
    assert.deepEqual(fs.readFileSync(path.join(out, 'genres.tar.gz')), bytes);
    assert.match(r.stdout, /converted 4 \.au files to \.wav/);
    const ds = loadGtzan(out);
    assert.equal(ds.tracks.length, 4);
    assert.deepEqual(ds.problems.map((p) => p.reason).filter((x) => x !== 'missing-folder'), []);
    const a = loadAudioSync(ds.tracks[0].path, { sr: null });
    assert.equal(a.sr, 22050);
    assert.equal(a.y.length, 4000);
    assert.ok(Math.abs(a.y[1] - (3 - 1000) / 32768) < 1e-6);
    // A second run finds the data in place and does not download again.
    const hits = srv.hits.length;
    const again = await run('download-gtzan.js', ['--out', out, '--sha256', sum], { GENRE_LAB_GTZAN_MIRRORS: mirrors.join(' ') });
    assert.equal(again.code, 0);
    assert.equal(srv.hits.length, hits);

    // A mirror whose bytes do not match is named, its copy set aside, and the next mirror is tried.
    const out2 = tmpDir('gtzan-out2');
    const r2 = await run('download-gtzan.js', ['--out', out2, '--sha256', sum, '--mirror', `${srv.base}/other/genres.tar.gz`, '--mirror', `${srv.base}/good/genres.tar.gz`]);
    assert.equal(r2.code, 0, r2.stderr + r2.stdout);
    assert.match(r2.stderr, /\/other\/genres\.tar\.gz failed: genres\.tar\.gz: sha256 [0-9a-f]{64} does not match the published/);
    assert.ok(r2.stdout.includes(`from ${srv.base}/good/genres.tar.gz`));
    assert.deepEqual(fs.readFileSync(path.join(out2, 'genres.tar.gz')), bytes);
  } finally {
    srv.close();
  }
});

test('download-gtzan: when every mirror fails, it names each reason, the published checksums and the Kaggle route', async () => {
  const srv = await serve({});
  try {
    const out = tmpDir('gtzan-none');
    const r = await run('download-gtzan.js', ['--out', out], { GENRE_LAB_GTZAN_MIRRORS: `http://127.0.0.1:1/genres.tar.gz,${srv.base}/data/genres.tar.gz` });
    assert.equal(r.code, 1);
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { CHECKSUMS, MIRRORS } = require('../scripts/download-gtzan.js') as { CHECKSUMS: Record<string, string>; MIRRORS: string[] };
    assert.equal(CHECKSUMS.md5, '5b3d6dddb579ab49814ab86dba69e7c7', "mirdata's MD5 of genres.tar.gz");
    assert.ok(MIRRORS.some((m) => m.startsWith('https://huggingface.co/datasets/marsyas/gtzan/')));
    assert.ok(r.stderr.includes(`sha256 ${CHECKSUMS.sha256}, md5 ${CHECKSUMS.md5}`), r.stderr);
    assert.match(r.stderr, /no mirror delivered genres\.tar\.gz:\n  http:\/\/127\.0\.0\.1:1\/genres\.tar\.gz: unreachable/);
    assert.ok(r.stderr.includes(`${srv.base}/data/genres.tar.gz: HTTP 404`));
    assert.match(r.stderr, /Data\/genres_original/);
    assert.match(r.stderr, /kaggle\.com\/datasets\/andradaolteanu/);
    assert.match(r.stderr, /jazz\.00054\.wav is damaged/);
    assert.ok(!fs.existsSync(path.join(out, 'genres.tar.gz')));
  } finally {
    srv.close();
  }
});

test('download-fma: tries the base URLs in order and checks the SHA-1 whichever answered', async () => {
  const zipSrc = tmpDir('fma-src');
  fs.mkdirSync(path.join(zipSrc, 'fma_metadata'));
  fs.writeFileSync(path.join(zipSrc, 'fma_metadata', 'genres.csv'), 'genre_id,title\n');
  const zip = spawnSync('python3', ['-m', 'zipfile', '-c', path.join(zipSrc, 'fma_metadata.zip'), path.join(zipSrc, 'fma_metadata')]);
  assert.equal(zip.status, 0, String(zip.stderr));
  const bytes = fs.readFileSync(path.join(zipSrc, 'fma_metadata.zip'));
  const sha1 = crypto.createHash('sha1').update(bytes).digest('hex');
  const srv = await serve({ '/b/fma_metadata.zip': bytes });
  try {
    const out = tmpDir('fma-out');
    const r = await run('download-fma.js', ['--subset', 'metadata', '--out', out, '--sha1', sha1], { GENRE_LAB_FMA_MIRRORS: `${srv.base}/a/ ${srv.base}/b` });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.ok(r.stderr.includes(`1. ${srv.base}/a/fma_metadata.zip`) && r.stderr.includes(`2. ${srv.base}/b/fma_metadata.zip`));
    assert.ok(r.stderr.includes(`expected sha1 ${sha1}`));
    assert.ok(r.stderr.includes(`${srv.base}/a/fma_metadata.zip failed: HTTP 404`));
    assert.ok(fs.existsSync(path.join(out, 'fma_metadata', 'genres.csv')));
    // Without --sha1 the published sum is checked, whatever mirror answered.
    const out2 = tmpDir('fma-out2');
    const bad = await run('download-fma.js', ['--subset', 'metadata', '--out', out2, '--base-url', `${srv.base}/b/`]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /sha1 [0-9a-f]{40} does not match the published f0df49ffe5f2a6008d7dc83c6915b31835dfe733/);
  } finally {
    srv.close();
  }
});

test('downloads fail fast offline with where-to-put-the-files instructions', async () => {
  const out = tmpDir('offline');
  // Port 1 on loopback: nothing listens, the connection is refused at once (no network involved).
  const g = await run('download-gtzan.js', ['--out', out, '--mirror', 'http://127.0.0.1:1/genres.tar.gz']);
  assert.equal(g.code, 1);
  assert.match(g.stderr, /unreachable \(ECONNREFUSED/);
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
