/** lib/datasets splits (seeded, leakage-free, fault-filtered) and the .npy feature cache. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import {
  randomSplit, stratifiedGroupSplit, faultFilteredSplit, faultFilteredLists, leakedGroups, take, cacheFeatures, cachedBatches, cacheKey,
  readCached, GTZAN_GENRES, type Track, type Split,
} from '../lib/datasets';
import { loadAudio } from '../lib/audio';
import { makeGtzanFixture, tmpDir, wavBytes } from './fixtures/datasets/make';
import { loadGtzan } from '../lib/datasets/gtzan';

/** 10 genres x 10 tracks x 10 chunks, GTZAN-style ids. */
function chunks(): { labels: number[]; groups: string[] } {
  const labels: number[] = [];
  const groups: string[] = [];
  GTZAN_GENRES.forEach((g, gi) => {
    for (let t = 0; t < 10; t++) for (let c = 0; c < 10; c++) {
      labels.push(gi);
      groups.push(`${g}.${String(t).padStart(5, '0')}`);
    }
  });
  return { labels, groups };
}

function assertPartition(s: Split, n: number): void {
  const all = [...s.train, ...s.val, ...s.test, ...(s.excluded ?? [])].sort((a, b) => a - b);
  assert.deepEqual(all, [...Array(n).keys()], 'every item exactly once');
}

test('randomSplit: sklearn sizes, seeded, and it leaks chunks of one track across sides', () => {
  const { groups } = chunks();
  const s = randomSplit(1000, { testSize: 0.3, valSize: 0.1, seed: 17 });
  assertPartition(s, 1000);
  assert.equal(s.test.length, 300);
  assert.equal(s.val.length, 70);
  assert.equal(s.train.length, 630);
  assert.deepEqual(randomSplit(1000, { testSize: 0.3, valSize: 0.1, seed: 17 }), s, 'same seed, same split');
  assert.notDeepEqual(randomSplit(1000, { testSize: 0.3, valSize: 0.1, seed: 18 }).test, s.test);
  // seed 003: test_size=0.25, then validation_size=0.2 of the rest; sklearn rounds the test part up.
  const s3 = randomSplit(999, { testSize: 0.25, valSize: 0.2 });
  assert.deepEqual([s3.test.length, s3.val.length, s3.train.length], [250, 150, 599]);
  assert.ok(leakedGroups(s, groups).length > 90, 'random chunk split puts most tracks on both sides');
  assert.throws(() => randomSplit(10, { testSize: 1 }), /testSize must be in \[0, 1\)/);
});

test('stratifiedGroupSplit: no track on two sides, every class on every side, seeded', () => {
  const { labels, groups } = chunks();
  const s = stratifiedGroupSplit(labels, groups, { testSize: 0.3, valSize: 0.15, seed: 3 });
  assertPartition(s, labels.length);
  assert.deepEqual(leakedGroups(s, groups), []);
  for (let c = 0; c < 10; c++) {
    const count = (part: number[]) => new Set(part.filter((i) => labels[i] === c).map((i) => groups[i])).size;
    assert.equal(count(s.test), 3, `class ${c}: 3 of 10 tracks in test`);
    assert.equal(count(s.val), 2, `class ${c}: ceil(0.15 * 7) = 2 tracks in val`);
    assert.equal(count(s.train), 5);
  }
  assert.deepEqual(stratifiedGroupSplit(labels, groups, { testSize: 0.3, valSize: 0.15, seed: 3 }), s);
  assert.notDeepEqual(stratifiedGroupSplit(labels, groups, { testSize: 0.3, valSize: 0.15, seed: 4 }).test, s.test);
  // A class with only two tracks still gets one on each side.
  const tiny = stratifiedGroupSplit([0, 0, 1, 1], ['a', 'b', 'c', 'd'], { testSize: 0.1 });
  assert.deepEqual([tiny.train.length, tiny.test.length], [2, 2]);
  assert.throws(() => stratifiedGroupSplit([0, 1], ['a', 'a']), /group 'a' has items of classes 0 and 1/);
  assert.throws(() => stratifiedGroupSplit([0], ['a', 'b']), /1 labels but 2 groups/);
});

test('fault-filtered GTZAN partition: the shipped lists (443/197/290, disjoint), applied to chunks', () => {
  const lists = faultFilteredLists();
  const count = (p: string) => [...lists.values()].filter((v) => v === p).length;
  assert.deepEqual([count('train'), count('valid'), count('test')], [443, 197, 290]);
  assert.equal(lists.get('jazz.00054'), 'train');
  assert.equal(lists.get('blues.00000'), 'valid');
  assert.equal(lists.get('rock.00099'), 'train');
  const ids = GTZAN_GENRES.flatMap((g) => Array.from({ length: 100 }, (_, i) => `${g}.${String(i).padStart(5, '0')}`));
  const chunkIds = ids.flatMap((id) => Array(3).fill(id) as string[]);
  const s = faultFilteredSplit(chunkIds);
  assertPartition(s, 3000);
  assert.equal(s.excluded!.length, 70 * 3, '70 excerpts are left out of the filtered partition');
  assert.equal(s.test.length, 290 * 3);
  assert.deepEqual(leakedGroups(s, chunkIds), []);
  assert.deepEqual(take(['a', 'b', 'c'], [2, 0]), ['c', 'a']);
  assert.throws(() => take(['a'], [1]), /index 1 out of range/);
});

/** Tracks of the hand-made GTZAN fixture (3 unreadable) with a feature function that counts its calls. */
function cacheSetup() {
  const root = makeGtzanFixture(tmpDir('cache-data'));
  const ds = loadGtzan(root);
  const dir = tmpDir('cache');
  const calls: string[] = [];
  // A cheap "feature": mean and RMS of each 0.25-s chunk of the first second ([4, 2]).
  const compute = async (t: Track) => {
    calls.push(t.id);
    const { y, sr } = await loadAudio(t.path, { sr: 8000 });
    const n = sr / 4;
    const data = new Float32Array(8);
    for (let c = 0; c < 4; c++) {
      const seg = y.subarray(c * n, (c + 1) * n);
      data[2 * c] = seg.reduce((a, b) => a + b, 0) / seg.length;
      data[2 * c + 1] = Math.sqrt(seg.reduce((a, b) => a + b * b, 0) / seg.length);
    }
    return { data, shape: [4, 2] };
  };
  return { ds, dir, calls, compute, opts: { dataset: ds, config: { feature: 'chunk-rms', sr: 8000 }, dir, compute, onProgress: false as const } };
}

test('feature cache: miss then hit, bad tracks recorded, a changed file or setting recomputes only what it touches', async () => {
  const { ds, calls, opts } = cacheSetup();
  const r1 = await cacheFeatures(ds.tracks, opts);
  assert.equal(r1.computed, 12);
  assert.equal(r1.hits, 0);
  assert.deepEqual(r1.problems.map((p) => p.reason).sort(), ['empty', 'not-audio', 'truncated']);
  assert.equal(r1.entries.length, 12);
  assert.deepEqual(r1.entries[0].shape, [4, 2]);
  assert.ok(fs.existsSync(path.join(r1.dir, 'cache.json')));
  const first = readCached(r1.entries[0]);
  assert.deepEqual(first.shape, [4, 2]);
  assert.ok(Math.abs(first.data[1] - 0.5 / Math.SQRT2) < 0.01, `RMS of a 0.5 sine ≈ 0.354, got ${first.data[1]}`);

  calls.length = 0;
  const r2 = await cacheFeatures(ds.tracks, opts);
  assert.deepEqual([r2.hits, r2.computed, calls.length], [12, 0, 0], 'second run: all from the cache, bad tracks not retried');
  assert.equal(r2.problems.length, 3, 'bad tracks still reported');
  assert.equal(r2.dir, r1.dir);

  // Replace one file: only it is recomputed, its stale .npy removed.
  const changed = ds.tracks.find((t) => t.id === 'jazz.00000')!;
  fs.writeFileSync(changed.path, wavBytes({ freq: 1000, seconds: 1.5 }));
  fs.utimesSync(changed.path, new Date(), new Date(Date.now() + 5000));
  calls.length = 0;
  const r3 = await cacheFeatures(ds.tracks, opts);
  assert.deepEqual(calls, ['jazz.00000']);
  assert.equal(r3.removed, 1);
  assert.equal(fs.readdirSync(r3.dir).filter((f) => f.startsWith('jazz.00000.')).length, 1);

  // Retrying bad tracks on request.
  calls.length = 0;
  await cacheFeatures(ds.tracks, { ...opts, retryBad: true });
  assert.deepEqual(calls.sort(), ['country.00000', 'country.00001', 'country.00002']);

  // A different setting is another folder: everything recomputed there, the old one untouched.
  calls.length = 0;
  const r4 = await cacheFeatures(ds.tracks, { ...opts, config: { feature: 'chunk-rms', sr: 8000, chunks: 4 } });
  assert.notEqual(r4.dir, r1.dir);
  assert.equal(calls.length, 15);
  assert.equal(cacheKey(ds, { a: 1, b: 2 }), cacheKey(ds, { b: 2, a: 1 }), 'key ignores key order');
});

test('feature cache: an interrupted run resumes without recomputing finished tracks', async () => {
  const { ds, calls, opts } = cacheSetup();
  const good = ds.tracks.filter((t) => !t.id.startsWith('country.0000') || t.id === 'country.00003');
  // "Interrupted" after 5 tracks: those are stored, a half-written temp file and a torn .npy are left behind.
  const r1 = await cacheFeatures(good.slice(0, 5), opts);
  fs.writeFileSync(path.join(r1.dir, 'x.0123456789ab.npy.tmp-999'), 'partial');
  const torn = r1.entries[4].file;
  fs.writeFileSync(torn, fs.readFileSync(torn).subarray(0, 20));
  calls.length = 0;
  const r2 = await cacheFeatures(good, opts);
  assert.equal(r2.hits, 4);
  assert.deepEqual(calls, good.slice(4).map((t) => t.id), 'the torn file and the unfinished tracks only');
  assert.equal(r2.entries.length, good.length);
});

test('feature cache: a .npy damaged after it was written (header intact, data cut) is recomputed, said in one stderr line', async () => {
  const { ds, calls, opts } = cacheSetup();
  const good = ds.tracks.filter((t) => !t.id.startsWith('country.0000'));
  const r1 = await cacheFeatures(good, opts);
  const hurt = r1.entries[2];
  const bytes = fs.readFileSync(hurt.file);
  fs.writeFileSync(hurt.file, bytes.subarray(0, 128)); // the 128-byte header alone: "0 bytes of data"
  assert.throws(() => readCached(hurt), /truncated \(0 bytes of data, shape \[4,2\] needs 32\)/);
  const grown = r1.entries[3].file;
  fs.writeFileSync(grown, Buffer.concat([fs.readFileSync(grown), Buffer.alloc(8)])); // a copied-over tail
  const lines: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((s: string) => (lines.push(String(s)), true)) as typeof process.stderr.write;
  calls.length = 0;
  let r2: Awaited<ReturnType<typeof cacheFeatures>>;
  try {
    r2 = await cacheFeatures(good, opts);
  } finally {
    process.stderr.write = write;
  }
  assert.deepEqual(calls, [hurt.track.id, r1.entries[3].track.id], 'only the damaged entries are recomputed');
  assert.deepEqual([r2.hits, r2.computed, r2.repaired], [good.length - 2, 2, 2]);
  const said = lines.join('').split('\n').filter(Boolean);
  assert.equal(said.length, 2, said.join('\n'));
  assert.match(said[0], new RegExp(`^\\[cache gtzan\\] ${path.basename(hurt.file).replace(/\./g, '\\.')} is damaged \\(truncated \\(0 bytes of data, shape \\[4,2\\] needs 32\\)\\): recomputing it$`));
  assert.match(said[1], /is damaged \(8 bytes more than shape \[4,2\] needs\): recomputing it/);
  assert.deepEqual(fs.readFileSync(hurt.file), bytes, 'the recomputed entry is the original one');
  assert.deepEqual(readCached(r2.entries[2]).shape, [4, 2]);
  // A third run trusts them again.
  calls.length = 0;
  const r3 = await cacheFeatures(good, opts);
  assert.deepEqual([r3.hits, r3.repaired, calls.length], [good.length, 0, 0]);
});

test('cachedBatches streams fixed-size batches, rows as examples, shuffled per epoch and reproducibly', async () => {
  const { ds, opts } = cacheSetup();
  const { entries } = await cacheFeatures(ds.tracks, opts);
  const labels = entries.map((e) => GTZAN_GENRES.indexOf(e.track.genre as (typeof GTZAN_GENRES)[number]));
  const collect = async (o: Parameters<typeof cachedBatches>[1]) => {
    const out = [];
    for await (const b of cachedBatches(entries, o)) out.push(b);
    return out;
  };
  const plain = await collect({ batchSize: 5, labels });
  assert.deepEqual(plain.map((b) => b.size), [5, 5, 2]);
  assert.deepEqual(plain[0].shape, [4, 2]);
  assert.equal(plain[0].x.length, 5 * 8);
  assert.deepEqual([...plain[0].labels!], labels.slice(0, 5));

  const rows = await collect({ batchSize: 10, rows: true, shuffle: true, seed: 1, epoch: 0, labels, shuffleBufferTracks: 4 });
  assert.equal(rows.reduce((a, b) => a + b.size, 0), 48, '12 tracks x 4 rows');
  assert.deepEqual(rows[0].shape, [2]);
  const seen = rows.flatMap((b) => b.ids);
  for (const e of entries) assert.equal(seen.filter((id) => id === e.track.id).length, 4);
  rows.forEach((b) => b.ids.forEach((id, i) => assert.equal(b.labels![i], labels[entries.findIndex((e) => e.track.id === id)])));
  const again = await collect({ batchSize: 10, rows: true, shuffle: true, seed: 1, epoch: 0, labels, shuffleBufferTracks: 4 });
  assert.deepEqual(again.map((b) => b.ids), rows.map((b) => b.ids), 'same seed and epoch, same order');
  const next = await collect({ batchSize: 10, rows: true, shuffle: true, seed: 1, epoch: 1, labels, shuffleBufferTracks: 4 });
  assert.notDeepEqual(next.map((b) => b.ids), rows.map((b) => b.ids), 'a new order each epoch');
  const dropped = await collect({ batchSize: 10, rows: true, dropLast: true });
  assert.deepEqual(dropped.map((b) => b.size), [10, 10, 10, 10]);
  await assert.rejects(collect({ batchSize: 0 }), /batchSize must be a positive integer/);
});
