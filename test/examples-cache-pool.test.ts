/**
 * The feature cache's engine: tracks not in the cache are computed on a FeaturePool (one worker per
 * core) from the experiment's ExampleSpec alone. Every experiment's examples must be bit-identical to
 * the in-process computation, and a corrupt track must be skipped with the same report.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EXPERIMENTS, cacheExamples, type ExampleSpec } from '../lib/experiments';
import { generateGtzan } from '../lib/datasets/generate';
import { loadGtzan } from '../lib/datasets/gtzan';
import { readCached, stableStringify } from '../lib/datasets/cache';
import { FeaturePool } from '../lib/features/batch';

test('cacheExamples on worker threads = in-process, for every experiment\'s example spec; bad tracks reported alike', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'genre-lab-pool-'));
  try {
    generateGtzan({ out: tmp, tracksPerGenre: 1, durationS: 4, onProgress: () => {} });
    const ds = loadGtzan(path.join(tmp, 'gtzan'));
    const tracks = ds.tracks.slice(0, 5);
    // one corrupt file among them
    fs.writeFileSync(tracks[2].path, 'RIFF not really a wav');
    const specs = new Map<string, ExampleSpec>();
    for (const e of EXPERIMENTS) {
      const spec = { cut: e.cut, features: e.features, layout: e.layout, frames: e.frames };
      specs.set(stableStringify(spec), spec);
    }
    assert.ok(specs.size >= 6, `${specs.size} distinct example specs`);
    const dataset = { name: 'gtzan', root: ds.root };
    const shared = new FeaturePool({ concurrency: 2 });
    try {
      for (const spec of specs.values()) {
        const one = await cacheExamples(tracks, spec, { dataset, dir: path.join(tmp, 'one'), onProgress: false, concurrency: 1 });
        const pool = await cacheExamples(tracks, spec, { dataset, dir: path.join(tmp, 'pool'), onProgress: false, pool: shared });
        const what = spec.features.kind;
        assert.deepEqual([pool.computed, pool.hits, pool.entries.length], [4, 0, 4], what);
        assert.deepEqual(pool.problems, one.problems, `${what}: the corrupt track is reported alike`);
        assert.equal(pool.problems[0].file, tracks[2].path);
        pool.entries.forEach((e, i) => {
          assert.equal(e.track, one.entries[i].track, `${what}: input order kept`);
          assert.deepEqual(e.shape, one.entries[i].shape, `${what} ${e.track.id} shape`);
          assert.deepEqual(readCached(e).data, readCached(one.entries[i]).data, `${what} ${e.track.id}: bit-identical`);
        });
        // the second call reads the cache
        const again = await cacheExamples(tracks, spec, { dataset, dir: path.join(tmp, 'pool'), onProgress: false, minPoolTracks: 1 });
        assert.deepEqual([again.hits, again.computed], [4, 0]);
      }
    } finally {
      await shared.close();
    }
    // without a pool of its own, cacheExamples starts and closes one (here for 4 tracks, 2 workers)
    const spec = specs.values().next().value!;
    const own = await cacheExamples(tracks, spec, { dataset, dir: path.join(tmp, 'own'), onProgress: false, concurrency: 2, minPoolTracks: 1 });
    assert.deepEqual([own.computed, own.problems.length], [4, 1]);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
