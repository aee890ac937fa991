/**
 * lib/datasets: the generator, the GTZAN (both layouts) and FMA loaders on generated and
 * hand-made trees, bad files, resolveDataset, and `genre-lab data check`. Real samples in
 * ../shared/data are used when present.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { ROOT } from '../lib/paths';
import {
  GTZAN_GENRES, loadGtzan, loadFma, validateTracks, readGtzanFeatures, multiLabelTarget, resolveDataset, ensureGenerated, generate,
  gtzanLabel, readFmaTracks, type FmaTrack,
} from '../lib/datasets';
import { FMA_TRACKS_COLUMNS } from '../lib/datasets/generate';
import { encodeMp3 } from '../lib/datasets/mp3encode';
import { writeCsv } from '../lib/datasets/csv';
import { fmaRootFromSample, isFmaSample } from '../lib/datasets/fmaSample';
import { makeGtzanFixture, tmpDir, wavBytes } from './fixtures/datasets/make';
import { jsonFromCli } from './helpers/cli';

const SHARED = path.resolve(ROOT, '..', 'shared', 'data');
const TINY = { tracksPerGenre: 2, fmaTracksPerGenre: 2, durationS: 2 };

const hashTree = (dir: string): string => {
  const h = crypto.createHash('sha256');
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name !== 'generated.json') h.update(path.relative(dir, p)).update(fs.readFileSync(p));
    }
  };
  walk(dir);
  return h.digest('hex');
};

test('generator: GTZAN layout and format, FMA metadata and mp3s, deterministic from the seed', async () => {
  const a = tmpDir('gen-a');
  const b = tmpDir('gen-b');
  const c = tmpDir('gen-c');
  const ra = await generate({ ...TINY, out: a, seed: 7 });
  await generate({ ...TINY, out: b, seed: 7 });
  await generate({ ...TINY, out: c, seed: 8, sets: ['gtzan'] });
  assert.equal(ra.gtzan!.files, 20);
  assert.equal(ra.fma!.files, 16);
  assert.equal(hashTree(a), hashTree(b), 'same seed, same bytes');
  assert.notEqual(hashTree(path.join(a, 'gtzan')), hashTree(path.join(c, 'gtzan')), 'another seed, other audio');

  // The exact GTZAN layout: genres/<genre>/<genre>.000NN.wav, 22050 Hz mono 16-bit.
  assert.deepEqual(fs.readdirSync(path.join(a, 'gtzan', 'genres')).sort(), [...GTZAN_GENRES]);
  const wav = fs.readFileSync(path.join(a, 'gtzan', 'genres', 'jazz', 'jazz.00001.wav'));
  assert.equal(wav.toString('ascii', 0, 4), 'RIFF');
  assert.equal(wav.readUInt16LE(22), 1, 'mono');
  assert.equal(wav.readUInt32LE(24), 22050);
  assert.equal(wav.readUInt16LE(34), 16);
  assert.equal(wav.readUInt32LE(40), 2 * 22050 * 2, '2 s of 16-bit samples');

  // FMA: 3 header rows, 52 columns + track_id, mp3 files at fma_small/NNN/NNNNNN.mp3.
  const lines = fs.readFileSync(path.join(a, 'fma', 'fma_metadata', 'tracks.csv'), 'utf8').split('\n');
  assert.equal(lines[2].split(',')[0], 'track_id');
  assert.equal(lines[0].split(',').length, 53);
  assert.equal(FMA_TRACKS_COLUMNS.length, 52);
  const fma = await loadFma(path.join(a, 'fma'));
  assert.equal(fma.tracks.length, 16);
  assert.equal(fma.classes.length, 8);
  assert.deepEqual(fma.problems, []);
  for (const t of fma.tracks) {
    assert.match(path.relative(fma.root, t.path), /^fma_small\/\d{3}\/\d{6}\.mp3$/);
    assert.ok(t.genres.length >= 1);
    assert.ok(t.genreIdsAll.length >= t.genreIds.length);
  }
  const audio = await fma.tracks[0].audio({ sr: 16000 });
  assert.ok(Math.abs(audio.durationS - 2) < 0.2, `mp3 decodes to ~2 s, got ${audio.durationS}`);
  // The generated GTZAN set reads through the ordinary loader.
  const g = loadGtzan(path.join(a, 'gtzan'));
  assert.equal(g.layout, 'gtzan-original');
  assert.equal(g.tracks.length, 20);
  assert.deepEqual(g.problems, []);
  const y = await g.tracks[0].audio();
  assert.equal(y.sr, 22050);
  assert.ok(y.y.some((v) => Math.abs(v) > 0.1), 'not silence');
});

test('ensureGenerated renders once, reuses afterwards, re-renders on a new seed, and serialises concurrent callers', async () => {
  const out = tmpDir('ensure');
  let rendered = 0;
  const opts = { ...TINY, out, sets: ['gtzan' as const], onProgress: () => void rendered++ };
  const [d1, d2] = await Promise.all([ensureGenerated(opts), ensureGenerated(opts)]);
  assert.equal(d1.gtzan, d2.gtzan);
  assert.equal(rendered, 20, 'two concurrent callers: rendered once');
  const mtime = fs.statSync(path.join(out, 'gtzan', 'genres', 'pop', 'pop.00000.wav')).mtimeMs;
  await ensureGenerated(opts);
  assert.equal(rendered, 20, 'reused');
  assert.equal(fs.statSync(path.join(out, 'gtzan', 'genres', 'pop', 'pop.00000.wav')).mtimeMs, mtime);
  await ensureGenerated({ ...opts, seed: 99 });
  assert.equal(rendered, 40, 'another seed re-renders');
  assert.ok(!fs.existsSync(path.join(out, '.generate.lock')), 'lock released');
});

test('GTZAN original layout: labels from folders, fixed class order, bad files reported and skipped', async () => {
  const root = makeGtzanFixture(tmpDir('gtzan-orig'));
  const ds = loadGtzan(root);
  assert.equal(ds.layout, 'gtzan-original');
  assert.deepEqual([...ds.classes], [...GTZAN_GENRES]);
  assert.equal(gtzanLabel('rock'), 9);
  assert.throws(() => gtzanLabel('polka'), /unknown GTZAN genre 'polka'/);
  const reasons = (r: string) => ds.problems.filter((p) => p.reason === r).map((p) => path.basename(p.file));
  assert.deepEqual(reasons('missing-folder'), ['metal']);
  assert.deepEqual(reasons('stray-file'), ['notes.txt']);
  assert.deepEqual(reasons('unknown-folder'), ['polka']);
  assert.equal(ds.tracks.length, 15, 'every audio-named file is indexed; reading comes later');
  assert.equal(ds.tracks.find((t) => t.id === 'country.00003')!.genre, 'country');

  const v = await ds.validate();
  const bad = Object.fromEntries(v.problems.map((p) => [path.basename(p.file), p.reason]));
  assert.deepEqual(bad, { 'country.00000.wav': 'not-audio', 'country.00001.wav': 'empty', 'country.00002.wav': 'truncated' });
  assert.equal(v.ok.length, 12);
  for (const p of v.problems) assert.match(p.message, /country\.0000[012]\.wav/, 'the message names the file');
  const stat = (id: string) => v.stats.find((s) => s.id === id)!;
  assert.equal(stat('classical.00000').channels, 2);
  assert.equal(stat('classical.00002').sr, 44100);
  // 8-bit, stereo and 44.1 kHz files are all usable: loaded at 22050 Hz mono like librosa.load.
  for (const id of ['classical.00000', 'classical.00001', 'classical.00002']) {
    const a = await ds.tracks.find((t) => t.id === id)!.audio();
    assert.equal(a.sr, 22050);
    assert.ok(Math.abs(a.y.length - 22050) <= 1, `${id}: 1 s at 22050 Hz, got ${a.y.length}`);
  }
});

test('GTZAN Kaggle layout: Data/genres_original and features_30_sec.csv through danfojs', async () => {
  const root = makeGtzanFixture(tmpDir('gtzan-kaggle'), 'kaggle');
  for (const r of [root, path.join(root, 'Data')]) {
    const ds = loadGtzan(r);
    assert.equal(ds.layout, 'gtzan-kaggle');
    assert.equal(ds.tracks.length, 15);
  }
  const ds = loadGtzan(root);
  assert.equal(ds.featureCsv['3'], null);
  await assert.rejects(readGtzanFeatures(ds, '3'), /no features_3_sec\.csv/);
  const df = await readGtzanFeatures(ds, '30');
  assert.deepEqual(df.shape, [3, 5]);
  assert.deepEqual(df['label'].values, ['blues', 'blues', 'jazz']);
  assert.equal(df['chroma_stft_mean'].values[0], 0.35);
});

test('a folder with no GTZAN layout is an error naming the folder and the expected layout', () => {
  const d = tmpDir('empty');
  assert.throws(() => loadGtzan(d), (e: Error) => e.message.includes(d) && /genres\/<genre>/.test(e.message));
  assert.throws(() => loadGtzan(path.join(d, 'nope')), /does not exist/);
});

/** A hand-made FMA tree: 4 small tracks (one missing mp3, one broken mp3) and one 'medium' track. */
async function makeFmaFixture(root: string): Promise<void> {
  fs.mkdirSync(path.join(root, 'fma_metadata'), { recursive: true });
  const genres = [['genre_id', '#tracks', 'parent', 'title', 'top_level'], ['12', '10', '0', 'Rock', '12'], ['25', '5', '12', 'Punk', '12'], ['21', '8', '0', 'Hip-Hop', '21'], ['15', '9', '0', 'Electronic', '15']];
  writeCsv(path.join(root, 'fma_metadata', 'genres.csv'), genres);
  const header = [['', ...FMA_TRACKS_COLUMNS.map((c) => c[0])], ['', ...FMA_TRACKS_COLUMNS.map((c) => c[1])], ['track_id', ...FMA_TRACKS_COLUMNS.map(() => '')]];
  const row = (id: number, subset: string, split: string, top: string, g: string, gAll: string) => {
    const v: Record<string, string> = { 'set.subset': subset, 'set.split': split, 'track.genre_top': top, 'track.genres': g, 'track.genres_all': gAll, 'artist.name': `Artist, ${id}`, 'track.title': `Song "${id}"` };
    return [String(id), ...FMA_TRACKS_COLUMNS.map(([a, b]) => v[`${a}.${b}`] ?? '')];
  };
  writeCsv(path.join(root, 'fma_metadata', 'tracks.csv'), [
    ...header,
    row(2, 'small', 'training', 'Hip-Hop', '[21]', '[21]'),
    row(5, 'small', 'test', 'Rock', '[25, 21]', '[12, 21, 25]'),
    row(10, 'small', 'training', 'Electronic', '[15]', '[15]'),
    row(1402, 'small', 'validation', 'Rock', '[12]', '[12]'),
    row(3000, 'medium', 'training', 'Rock', '[12]', '[12]'),
  ]);
  const tone = new Float32Array(16000).map((_, i) => 0.3 * Math.sin(i / 5));
  const put = (rel: string, bytes: Uint8Array) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), bytes);
  };
  put('fma_small/000/000002.mp3', encodeMp3(tone, 16000, 32));
  put('fma_small/000/000005.mp3', encodeMp3(tone, 16000, 32));
  put('fma_small/001/001402.mp3', Buffer.from('ID3 this is not an mp3 at all'));
  // 000010.mp3 is missing.
  put('fma_medium/003/003000.mp3', encodeMp3(tone, 16000, 32));
}

test('FMA: tracks.csv two-level header, subsets, id → path, genre_top, multi-label target; missing and broken mp3s reported', async () => {
  const root = tmpDir('fma');
  await makeFmaFixture(root);
  const ds = await loadFma(root, { subset: 'small' });
  assert.deepEqual(ds.tracks.map((t) => t.id), ['2', '5', '1402'], 'medium track excluded, missing file left out');
  assert.deepEqual(ds.problems.map((p) => [p.reason, path.basename(p.file)]), [['missing', '000010.mp3']]);
  const t5 = ds.tracks[1];
  assert.equal(t5.genre, 'Rock');
  assert.deepEqual(t5.genres, ['Punk', 'Hip-Hop']);
  assert.deepEqual(t5.genreIdsAll, [12, 21, 25]);
  assert.equal(t5.artist, 'Artist, 5', 'quoted CSV field with a comma');
  assert.equal(t5.title, 'Song "5"');
  assert.equal(t5.split, 'test');
  assert.deepEqual(ds.classes, ['Hip-Hop', 'Rock']);
  assert.ok(ds.metadata.columns.includes('track.genre_top'));
  const tracksCsv = path.join(root, 'fma_metadata', 'tracks.csv');
  assert.deepEqual((await readFmaTracks(tracksCsv, { columns: 'all' })).shape, [5, 53]);
  const broken = path.join(tmpDir('fma-broken'), 'tracks.csv');
  fs.writeFileSync(broken, fs.readFileSync(tracksCsv, 'utf8').replace(/\n5,.*\n/, '\n5,0,oops\n'));
  await assert.rejects(readFmaTracks(broken), /tracks\.csv: row 5 has 3 fields, the header 53/);
  fs.writeFileSync(broken, 'genre_id,title\n1,Rock\n');
  await assert.rejects(readFmaTracks(broken), /not FMA's tracks\.csv layout/);

  const target = multiLabelTarget(ds, ds.tracks);
  assert.deepEqual(target.classes, ['Hip-Hop', 'Punk', 'Rock'], 'by frequency, ties by title');
  assert.deepEqual([...target.y], [1, 0, 0, 1, 1, 0, 0, 0, 1]);
  const all = multiLabelTarget(ds, ds.tracks, { field: 'genres_all', classes: ['Rock', 'Hip-Hop'] });
  assert.deepEqual([...all.y], [0, 1, 1, 1, 1, 0]);

  const v = await validateTracks<FmaTrack>(ds.tracks);
  assert.deepEqual(v.ok.map((t) => t.id), ['2', '5']);
  assert.equal(v.problems.length, 1);
  assert.equal(path.basename(v.problems[0].file), '001402.mp3');

  const medium = await loadFma(root, { subset: 'medium' });
  assert.equal(medium.subset, 'medium');
  assert.deepEqual(medium.tracks.map((t) => t.id), ['3000'], 'medium includes small tracks, but their files are under fma_medium/');
  await assert.rejects(loadFma(tmpDir('nofma')), /no fma_metadata\//);
});

test('resolveDataset: $GENRE_LAB_GTZAN, then a real copy in data/, then the generated set', async () => {
  const real = makeGtzanFixture(tmpDir('real'));
  const r1 = await resolveDataset('gtzan', { GENRE_LAB_GTZAN: real });
  assert.deepEqual([r1.source, r1.root], ['env', real]);
  await assert.rejects(resolveDataset('gtzan', { GENRE_LAB_GTZAN: tmpDir('none') }), /GENRE_LAB_GTZAN=.*no GTZAN/);
  const dataDir = tmpDir('data');
  fs.renameSync(path.join(real, 'genres'), path.join(dataDir, 'genres'));
  const r2 = await resolveDataset('gtzan', {}, { dataDir });
  assert.deepEqual([r2.source, r2.root], ['data', dataDir]);
  const out = tmpDir('gen');
  const r3 = await resolveDataset('gtzan', {}, { dataDir: tmpDir('nodata'), generate: { ...TINY, out } });
  assert.deepEqual([r3.source, r3.root], ['generated', path.join(out, 'gtzan')]);
  assert.equal(loadGtzan(r3.root).tracks.length, 20);
});

test('genre-lab data check: layout, counts, formats, unreadable files; exit 0 when usable, 1 when not', () => {
  const root = makeGtzanFixture(tmpDir('check'));
  const run = (dir: string) => jsonFromCli(['data', 'check', dir, '--json']);
  const r = run(root);
  assert.equal(r.status, 0, r.stderr);
  const rep = r.json as any;
  assert.equal(rep.layout, 'gtzan-original');
  assert.equal(rep.readable, 12);
  assert.equal(rep.perGenre.metal, 0);
  assert.equal(rep.perGenre.classical, 3);
  assert.equal(rep.formats['wav 22050 Hz mono 16-bit'], 9);
  assert.equal(rep.formats['wav 22050 Hz mono 8-bit'], 1);
  assert.deepEqual(rep.problems.map((p: { reason: string }) => p.reason).sort(), ['empty', 'missing-folder', 'not-audio', 'stray-file', 'truncated', 'unknown-folder']);
  const bad = run(tmpDir('check-empty'));
  assert.equal(bad.status, 1);
  assert.equal((bad.json as { layout: string }).layout, 'unknown');
});

test('real GTZAN samples (../shared/data/gtzan-sample)', { skip: !fs.existsSync(path.join(SHARED, 'gtzan-sample')) && 'no ../shared/data/gtzan-sample here' }, async () => {
  const root = path.join(SHARED, 'gtzan-sample');
  // Every .wav on disk, counted independently of the loader (the sample has grown before: 20 → 50).
  const onDisk = fs.readdirSync(path.join(root, 'genres')).flatMap((g) => fs.readdirSync(path.join(root, 'genres', g)).filter((f) => f.endsWith('.wav')));
  assert.ok(onDisk.length >= 10, `${onDisk.length} wav files`);
  const ds = loadGtzan(root);
  assert.equal(ds.layout, 'gtzan-original');
  assert.equal(ds.tracks.length, onDisk.length);
  assert.deepEqual(ds.problems, []);
  const v = await validateTracks(ds.tracks);
  assert.equal(v.ok.length, onDisk.length);
  for (const s of v.stats) {
    assert.equal(s.sr, 22050);
    assert.equal(s.channels, 1);
    assert.ok(s.durationS > 29.9 && s.durationS < 30.7, `${s.id}: ${s.durationS} s`);
  }
});

test('real FMA samples (../shared/data/fma-sample) through the FMA loader', { skip: !fs.existsSync(path.join(SHARED, 'fma-sample')) && 'no ../shared/data/fma-sample here' }, async () => {
  // The sample has the official genres.csv and mp3s but a flat tracks_sample.csv: rebuild FMA's tracks.csv from it.
  const src = path.join(SHARED, 'fma-sample');
  assert.ok(isFmaSample(src));
  const root = fmaRootFromSample(src, tmpDir('fma-real'));
  const sample = fs.readFileSync(path.join(src, 'tracks_sample.csv'), 'utf8').trim().split('\n').slice(1);
  const mp3s = fs.readdirSync(path.join(src, 'fma_small')).flatMap((d) => fs.readdirSync(path.join(src, 'fma_small', d)).filter((f) => f.endsWith('.mp3')));
  assert.equal(sample.length, mp3s.length, 'tracks_sample.csv lists every mp3 of the sample');
  const ds = await loadFma(root);
  assert.equal(ds.tracks.length, mp3s.length);
  assert.deepEqual(ds.problems, []);
  assert.ok(ds.genres.size > 150, `official genres.csv: ${ds.genres.size} genres`);
  const t2 = ds.tracks.find((t) => t.id === '2')!;
  assert.equal(t2.genre, 'Hip-Hop');
  assert.deepEqual(t2.genres, ['Hip-Hop']);
  const a = await t2.audio({ sr: 16000, duration: 5 });
  assert.equal(a.sr, 16000);
  assert.equal(a.channels, 2, 'FMA audio is 44.1 kHz stereo');
  assert.ok(Math.abs(a.y.length - 80000) <= 2);
});

test('wavBytes fixture helper writes what it says (guards the fixtures themselves)', () => {
  const b = wavBytes({ sr: 8000, seconds: 0.5, channels: 2, bits: 8 });
  assert.equal(b.length, 44 + 4000 * 2);
  assert.equal(b.readUInt16LE(22), 2);
  assert.equal(b.readUInt16LE(34), 8);
});
