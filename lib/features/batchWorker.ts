/**
 * Worker-thread side of FeaturePool: receives jobs (a file to load or samples), runs the named
 * extractor, an exported function of a module, or an `ExampleSpec` (a track's examples), and posts
 * the result back. The result is structured-cloned (copied), not transferred: copying keeps the
 * worker's arrays its own and costs little beside the features themselves.
 */
import { parentPort } from 'worker_threads';
import { loadAudio } from '../audio';
import { getExtractor, type Extractor } from './extractors';
import { secondsNeeded, trackExamples } from './spec';
import type { BatchJob, BatchReply, FeatureRef } from './batch';

const cache = new Map<string, Extractor>();

function resolve(ref: Exclude<FeatureRef, { examples: unknown }>): Extractor {
  const key = typeof ref === 'string' ? ref : `${ref.module}#${ref.name}`;
  let f = cache.get(key);
  if (!f) {
    if (typeof ref === 'string') f = getExtractor(ref);
    else {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const mod = require(ref.module) as Record<string, unknown>;
      const g = mod[ref.name];
      if (typeof g !== 'function') throw new Error(`${ref.module} has no exported function '${ref.name}'`);
      f = g as Extractor;
    }
    cache.set(key, f);
  }
  return f;
}

parentPort!.on('message', async (job: BatchJob) => {
  let reply: BatchReply;
  try {
    const ref = job.feature;
    if (typeof ref === 'object' && 'examples' in ref) {
      // a track's examples: decoded at the spec's rate, as Track.audio does (lib/experiments/examples.ts)
      const spec = ref.examples;
      const y = job.file !== undefined ? (await loadAudio(job.file, { sr: spec.features.sampleRate, duration: secondsNeeded(spec.cut) })).y : job.y!;
      const a = trackExamples(y, spec);
      reply = { id: job.id, ok: true, data: a.data, rows: a.shape[0], cols: a.data.length / Math.max(1, a.shape[0]), shape: a.shape };
    } else {
      const f = resolve(ref);
      let y: Float32Array, sr: number;
      if (job.file !== undefined) {
        const a = await loadAudio(job.file, { sr: job.sr });
        y = a.y;
        sr = a.sr;
      } else {
        y = job.y!;
        sr = job.sr ?? 22050;
      }
      const m = f(y, sr);
      reply = { id: job.id, ok: true, data: m.data, rows: m.rows, cols: m.cols };
    }
    parentPort!.postMessage(reply);
  } catch (e) {
    const err = e as Error & { reason?: string; file?: string };
    reply = { id: job.id, ok: false, error: err.message, reason: err.reason, file: err.file };
    parentPort!.postMessage(reply);
  }
});
