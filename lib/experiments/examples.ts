/**
 * The examples of every track through the feature cache (lib/datasets/cache): one `.npy` per track
 * holding `[examples, ...shape]`, computed once per (dataset, example spec) and reused by every
 * experiment sharing them. Tracks not in the cache are computed on a FeaturePool (lib/features/batch),
 * one worker per core, from the spec alone: the same code as in-process, so the same numbers.
 */
import * as os from 'os';
import { AudioError } from '../audio/errors';
import { cacheFeatures, type CacheProgress, type CacheResult } from '../datasets/cache';
import type { Track } from '../datasets/types';
import { FeaturePool } from '../features/batch';
import { secondsNeeded, trackExamples, type ExampleSpec } from './features';

export interface CacheExamplesOptions {
  /** The dataset (its name and root select the cache folder). */
  dataset: { name: string; root: string };
  /** Cache root, default data/cache. */
  dir?: string;
  onProgress?: ((p: CacheProgress) => void) | false;
  /**
   * Worker threads for the tracks to compute (default: the number of cores); 1 computes them in
   * this thread. Fewer tracks than `minPoolTracks` (default 4) are computed in this thread too: a
   * worker's start costs about a track's features.
   */
  concurrency?: number;
  minPoolTracks?: number;
  /** A pool to use (the caller's, kept open) instead of one started and closed here. */
  pool?: FeaturePool;
}

/** Every track's examples under `spec`, from the cache where valid, computed where not. */
export function cacheExamples<T extends Track>(tracks: T[], spec: ExampleSpec, opts: CacheExamplesOptions): Promise<CacheResult<T>> {
  const sr = spec.features.sampleRate;
  const concurrency = Math.max(1, opts.concurrency ?? os.cpus().length);
  const inProcess = async (t: T) => trackExamples((await t.audio({ sr, duration: secondsNeeded(spec.cut) })).y, spec, t.id);
  return cacheFeatures(tracks, {
    dataset: opts.dataset,
    // the cache key: every setting that changes the numbers
    config: { features: spec.features, cut: spec.cut, layout: spec.layout, frames: spec.frames },
    compute: inProcess,
    computeAll: async (todo, done) => {
      if (!opts.pool && (concurrency === 1 || todo.length < (opts.minPoolTracks ?? 4))) {
        for (let i = 0; i < todo.length; i++) {
          try {
            done(i, await inProcess(todo[i]));
          } catch (e) {
            done(i, e as Error);
          }
        }
        return;
      }
      // Workers decode `track.path` with lib/audio's loadAudio at the spec's rate, as Track.audio does.
      const pool = opts.pool ?? new FeaturePool({ concurrency: Math.min(concurrency, todo.length) });
      try {
        await pool.each(todo.map((t) => t.path), { examples: spec }, {
          onResult: (i, r) => {
            // a worker's error names the file; name the track, as in-process
            done(i, r instanceof Error && !(r instanceof AudioError) ? new Error(`${todo[i].id}: ${r.message.replace(`${todo[i].path}: `, '')}`) : r);
          },
        });
      } finally {
        if (!opts.pool) await pool.close();
      }
    },
    onProgress: opts.onProgress,
    dir: opts.dir,
  });
}
