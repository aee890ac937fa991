/**
 * The examples of every track through the feature cache (lib/datasets/cache): one `.npy` per track
 * holding `[examples, ...shape]`, computed once per (dataset, example spec) and reused by every
 * experiment sharing them.
 */
import { cacheFeatures, type CacheProgress, type CacheResult } from '../datasets/cache';
import type { Track } from '../datasets/types';
import { secondsNeeded, trackExamples, type ExampleSpec } from './features';

export interface CacheExamplesOptions {
  /** The dataset (its name and root select the cache folder). */
  dataset: { name: string; root: string };
  /** Cache root, default data/cache. */
  dir?: string;
  onProgress?: ((p: CacheProgress) => void) | false;
}

/** Every track's examples under `spec`, from the cache where valid, computed where not. */
export function cacheExamples<T extends Track>(tracks: T[], spec: ExampleSpec, opts: CacheExamplesOptions): Promise<CacheResult<T>> {
  const sr = spec.features.sampleRate;
  return cacheFeatures(tracks, {
    dataset: opts.dataset,
    // the cache key: every setting that changes the numbers (the same object as before the Run existed)
    config: { features: spec.features, cut: spec.cut, layout: spec.layout, frames: spec.frames },
    compute: async (t) => trackExamples((await t.audio({ sr, duration: secondsNeeded(spec.cut) })).y, spec, t.id),
    onProgress: opts.onProgress,
    dir: opts.dir,
  });
}
