/**
 * Where the model looks in a file of any length: the window of samples one training example
 * covered, the step between windows as the training cut stepped, and which windows of a long file
 * are analysed. Then reading one window at the model's rate out of the file's native samples.
 */
import { resample } from '../audio/index';
import type { CutSpec } from '../experiments/features';

/** A window in samples at the model's rate: `length` samples every `stride` samples. */
export interface WindowShape {
  length: number;
  stride: number;
}

/**
 * The window one training example saw, from the experiment's cut (lib/experiments/features.ts
 * `cutTrack`), at `sr`, for clips of `clipSeconds`:
 * - `chunks`: pydub chunks every `ms` (seed 000: 3000 ms), each cut/padded to `samples` (66000);
 * - `segments`: clip / n (seed 003: 30 s / 10 = 66150 samples at 22050 Hz);
 * - `head` with seconds: the first `seconds` (seed 004's code: 1 s), `Math.round(seconds · sr)` as cutTrack;
 * - `head` null: the whole clip.
 */
export function trainingWindow(cut: CutSpec, sr: number, clipSeconds: number): WindowShape {
  switch (cut.kind) {
    case 'chunks':
      // makeChunks' slice boundaries are int(ms · (sr / 1000)) samples apart
      return { length: cut.samples, stride: Math.floor(cut.ms * (sr / 1000)) };
    case 'segments': {
      const len = Math.floor(Math.round(clipSeconds * sr) / cut.n);
      return { length: len, stride: len };
    }
    case 'head': {
      const len = cut.seconds === null ? Math.round(clipSeconds * sr) : Math.round(cut.seconds * sr);
      return { length: len, stride: len };
    }
  }
}

export interface WindowPlan {
  /** Start of each analysed window (in the same unit as n). */
  starts: number[];
  /** The signal is shorter than one window: the single window is zero-padded. */
  padded: boolean;
  /** Windows the whole signal has; more than starts.length when `max` capped them. */
  total: number;
}

/**
 * Windows over a signal of `n` samples (or frames): consecutive windows from the start, as the
 * training cuts step through a track; a leftover tail of at least half a stride gets one more
 * window aligned to the end (overlapping its neighbour) so the end of the file counts too, and a
 * shorter tail is dropped, as seed 003's `segments` drops its remainder. A signal shorter than a
 * window is one zero-padded window (seed 000 pads its last chunk that way). When there are more
 * than `max` windows, `max` of them are spread evenly from the first to the last.
 */
export function planWindows(n: number, w: WindowShape, max = Infinity): WindowPlan {
  if (!(w.length > 0 && w.stride > 0)) throw new Error(`planWindows: window length and stride must be > 0, got ${w.length}, ${w.stride}`);
  if (n <= w.length) return { starts: [0], padded: n < w.length, total: 1 };
  const count = Math.floor((n - w.length) / w.stride) + 1;
  const starts = Array.from({ length: count }, (_, i) => i * w.stride);
  const coveredEnd = (count - 1) * w.stride + w.length;
  if (n - coveredEnd >= w.stride / 2) starts.push(n - w.length);
  const total = starts.length;
  const cap = Math.max(1, Math.floor(max));
  if (total <= cap) return { starts, padded: false, total };
  const last = n - w.length;
  const spread = cap === 1 ? [Math.floor(last / 2)] : Array.from({ length: cap }, (_, i) => Math.round((i * last) / (cap - 1)));
  return { starts: spread, padded: false, total };
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * Samples [start, start + length) of `y` (`[samples]` at `srIn`) resampled to `srOut`, equal to
 * the same slice of `resample(y, srIn, srOut)` (up to float rounding) without resampling the whole
 * file: a 10-minute 44.1-kHz file takes ~20 s to resample on one core, one 3-s window a tenth of
 * a second. The region read is widened by a margin longer than the filter's reach (lib/audio
 * resample.ts: 64 zero crossings of the lower rate per wing) and starts on a native sample that
 * falls exactly on the output grid, so every output sample sees the inputs it sees in the full
 * resample. Past the end of the file the window is zero-padded to `length`.
 * @param start first output sample, at `srOut`
 */
export function readWindow(y: Float32Array, srIn: number, srOut: number, start: number, length: number): Float32Array {
  const out = new Float32Array(length);
  if (srIn === srOut) {
    out.set(y.subarray(Math.min(start, y.length), Math.min(start + length, y.length)));
    return out;
  }
  const g = gcd(srIn, srOut);
  const p = srOut / g; // output samples per grid step
  const q = srIn / g; // input samples per grid step
  const lower = Math.min(srIn, srOut);
  // 128 zero crossings of the lower rate (twice the filter's wing) or 50 ms, in input samples.
  const margin = Math.ceil(Math.max(128 * (srIn / lower), 0.05 * srIn));
  const startIn = (start * q) / p;
  const regionStart = Math.max(0, Math.floor((startIn - margin) / q) * q);
  const regionEnd = Math.min(y.length, Math.ceil(((start + length) * q) / p) + margin);
  if (regionEnd <= regionStart) return out;
  const r = resample(y.subarray(regionStart, regionEnd), srIn, srOut);
  const offset = start - (regionStart / q) * p;
  out.set(r.subarray(Math.min(offset, r.length), Math.min(offset + length, r.length)));
  return out;
}

/** Largest absolute sample value. */
export function peak(y: Float32Array): number {
  let m = 0;
  for (let i = 0; i < y.length; i++) {
    const a = Math.abs(y[i]);
    if (a > m) m = a;
  }
  return m;
}
