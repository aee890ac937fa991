/**
 * Per-frame spectral descriptors with librosa's definitions (librosa.feature.spectral_*,
 * zero_crossing_rate, rms). Each takes samples (or a precomputed magnitude spectrogram `S`)
 * and returns a Matrix `[rows, frames]` like librosa (1 row, or nBands + 1 for the contrast).
 * The `...FromFrames` variants take a frames-major |STFT| so one STFT feeds several features.
 */
import { fftFrequencies, magnitudeFrames, matrixToFrames, padSignal, type Frames, type PadMode, type StftOptions } from './stft';
import { powerToDb } from './db';
import { need } from './mel';
import type { Matrix } from './matrix';

/** np.finfo(np.float32).tiny: librosa.util.normalize leaves columns with a smaller norm unscaled. */
const FLT_TINY = 1.1754943508222875e-38;

export interface SpectralOptions extends StftOptions {
  sr?: number;
  /** A precomputed magnitude spectrogram `[1 + nFft/2, frames]` (librosa's `S=`). */
  S?: Matrix;
}

function magOf(y: Float32Array | null, opts: SpectralOptions, fn: string): { mag: Frames; nFft: number } {
  if (opts.S) return { mag: matrixToFrames(opts.S), nFft: 2 * (opts.S.rows - 1) };
  return { mag: magnitudeFrames(need(y, fn), opts), nFft: opts.nFft ?? 2048 };
}

/** Centroid of each frame's magnitude spectrum, in Hz: Σ f·S / Σ S. `[1, frames]`. */
export function centroidFromFrames(mag: Frames, sr: number, nFft: number): Matrix {
  const f = fftFrequencies(sr, nFft);
  const { frames, bins, data } = mag;
  const out = new Float32Array(frames);
  for (let t = 0; t < frames; t++) {
    const o = t * bins;
    // util.normalize(S, norm=1) works in float64 and sums bins in order; so do we.
    let L = 0;
    for (let k = 0; k < bins; k++) L += data[o + k];
    if (L < FLT_TINY) L = 1;
    let c = 0;
    for (let k = 0; k < bins; k++) c += f[k] * (data[o + k] / L);
    out[t] = c;
  }
  return { data: out, rows: 1, cols: frames };
}

/** librosa.feature.spectral_centroid: `[1, frames]` in Hz. */
export function spectralCentroid(y: Float32Array | null, opts: SpectralOptions = {}): Matrix {
  const { mag, nFft } = magOf(y, opts, 'spectralCentroid');
  return centroidFromFrames(mag, opts.sr ?? 22050, nFft);
}

/** Frequency (Hz) below which `rollPercent` of each frame's magnitude lies. `[1, frames]`. */
export function rolloffFromFrames(mag: Frames, sr: number, nFft: number, rollPercent = 0.85): Matrix {
  if (!(rollPercent > 0 && rollPercent < 1)) throw new Error(`spectralRolloff: rollPercent must be in (0, 1), got ${rollPercent}`);
  const f = fftFrequencies(sr, nFft);
  const { frames, bins, data } = mag;
  const out = new Float32Array(frames);
  const cum = new Float32Array(bins);
  const pct = Math.fround(rollPercent);
  for (let t = 0; t < frames; t++) {
    const o = t * bins;
    // np.cumsum in float32, threshold = roll_percent * total in float32: same rounding, same bin.
    let acc = 0;
    for (let k = 0; k < bins; k++) cum[k] = acc = Math.fround(acc + data[o + k]);
    const thr = Math.fround(pct * cum[bins - 1]);
    let k = 0;
    while (k < bins - 1 && cum[k] < thr) k++;
    out[t] = f[k];
  }
  return { data: out, rows: 1, cols: frames };
}

/** librosa.feature.spectral_rolloff (roll_percent 0.85): `[1, frames]` in Hz. */
export function spectralRolloff(y: Float32Array | null, opts: SpectralOptions & { rollPercent?: number } = {}): Matrix {
  const { mag, nFft } = magOf(y, opts, 'spectralRolloff');
  return rolloffFromFrames(mag, opts.sr ?? 22050, nFft, opts.rollPercent ?? 0.85);
}

export interface ContrastOptions {
  /** Lower edge of the first band (default 200 Hz). */
  fmin?: number;
  /** Octave bands above fmin (default 6 → 7 rows). */
  nBands?: number;
  /** Fraction of each band averaged for its peak and valley (default 0.02). */
  quantile?: number;
  /** peak − valley instead of their dB difference (default false). */
  linear?: boolean;
}

/** numpy's rint: round half to even. */
function rint(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Spectral contrast (Jiang et al. 2002, librosa.feature.spectral_contrast): per octave band, the
 * dB difference between the mean of the top and bottom `quantile` of magnitudes. `[nBands + 1, frames]`.
 * Band edges, the extra bin each band borrows, and power_to_db's 80-dB floor over the whole
 * peak / valley matrices follow librosa exactly.
 */
export function contrastFromFrames(mag: Frames, sr: number, nFft: number, opts: ContrastOptions = {}): Matrix {
  const fmin = opts.fmin ?? 200, nBands = opts.nBands ?? 6, quantile = opts.quantile ?? 0.02;
  if (!(fmin > 0)) throw new Error(`spectralContrast: fmin must be > 0, got ${fmin}`);
  if (!(quantile > 0 && quantile < 1)) throw new Error(`spectralContrast: quantile must be in (0, 1), got ${quantile}`);
  const freq = fftFrequencies(sr, nFft);
  const octa = new Float64Array(nBands + 2);
  for (let i = 1; i < nBands + 2; i++) octa[i] = fmin * 2.0 ** (i - 1);
  for (let i = 0; i < nBands + 1; i++) {
    if (octa[i] >= 0.5 * sr) throw new Error(`spectralContrast: frequency band ${i} starts at ${octa[i]} Hz, above Nyquist ${sr / 2} Hz (lower fmin or nBands)`);
  }
  const { frames, bins, data } = mag;
  const rows = nBands + 1;
  const peak = new Float64Array(rows * frames), valley = new Float64Array(rows * frames);
  for (let k = 0; k < rows; k++) {
    const fLow = octa[k], fHigh = octa[k + 1];
    let first = -1, last = -1;
    for (let b = 0; b < bins; b++) {
      if (freq[b] >= fLow && freq[b] <= fHigh) {
        if (first < 0) first = b;
        last = b;
      }
    }
    if (first < 0) throw new Error(`spectralContrast: band ${k} (${fLow}–${fHigh} Hz) holds no FFT bin; use a larger nFft`);
    let lo = first, hi = last + 1; // current_band as a range [lo, hi)
    if (k > 0) lo = first - 1;
    if (k === nBands) hi = bins;
    const count = hi - lo;
    if (k < nBands) hi -= 1; // sub_band drops its last bin
    const q = Math.max(1, rint(quantile * count));
    const n = hi - lo;
    const take = Math.min(q, n);
    // The q smallest and q largest values of the band (q is a handful): insertion into two short
    // sorted lists instead of sorting the band; the sums, hence the means, are the same.
    const small = new Float64Array(take), large = new Float64Array(take);
    for (let t = 0; t < frames; t++) {
      const o = t * bins;
      let ns = 0, nl = 0;
      for (let b = lo; b < hi; b++) {
        const v = data[o + b];
        if (ns < take || v < small[ns - 1]) {
          let i = ns < take ? ns++ : ns - 1;
          while (i > 0 && small[i - 1] > v) {
            small[i] = small[i - 1];
            i--;
          }
          small[i] = v;
        }
        if (nl < take || v > large[nl - 1]) {
          let i = nl < take ? nl++ : nl - 1;
          while (i > 0 && large[i - 1] < v) {
            large[i] = large[i - 1];
            i--;
          }
          large[i] = v;
        }
      }
      let sv = 0, sp = 0;
      // np.mean of float32 values: a float32 result
      for (let i = 0; i < take; i++) {
        sv += small[i];
        sp += large[i];
      }
      valley[k * frames + t] = Math.fround(sv / take);
      peak[k * frames + t] = Math.fround(sp / take);
    }
  }
  const out = new Float32Array(rows * frames);
  if (opts.linear) {
    for (let i = 0; i < out.length; i++) out[i] = peak[i] - valley[i];
  } else {
    const pdb = dbFloat64(peak), vdb = dbFloat64(valley);
    for (let i = 0; i < out.length; i++) out[i] = pdb[i] - vdb[i];
  }
  return { data: out, rows, cols: frames };
}

/** power_to_db(ref 1, amin 1e-10, top_db 80) on float64 data, as librosa does on peak/valley. */
function dbFloat64(x: Float64Array): Float64Array {
  const out = new Float64Array(x.length);
  let mx = -Infinity;
  for (let i = 0; i < x.length; i++) {
    out[i] = 10 * Math.log10(Math.max(1e-10, x[i]));
    if (out[i] > mx) mx = out[i];
  }
  for (let i = 0; i < x.length; i++) if (out[i] < mx - 80) out[i] = mx - 80;
  return out;
}

/** librosa.feature.spectral_contrast: `[nBands + 1, frames]` in dB. */
export function spectralContrast(y: Float32Array | null, opts: SpectralOptions & ContrastOptions = {}): Matrix {
  const { mag, nFft } = magOf(y, opts, 'spectralContrast');
  return contrastFromFrames(mag, opts.sr ?? 22050, nFft, opts);
}

export interface FrameOptions {
  /** Samples per frame (default 2048). */
  frameLength?: number;
  /** Samples between frames (default 512). */
  hopLength?: number;
  /** Pad frameLength/2 on both sides first (default true). */
  center?: boolean;
}

/** Pads (when centred) and counts the frames of `y` the way librosa frames it (`util.frame` after `np.pad`). */
export function frameSetup(y: Float32Array, o: FrameOptions, mode: PadMode, fn: string) {
  const frameLength = o.frameLength ?? 2048, hop = o.hopLength ?? 512, center = o.center ?? true;
  if (!Number.isInteger(frameLength) || frameLength < 1) throw new Error(`${fn}: frameLength must be a positive integer`);
  if (!Number.isInteger(hop) || hop < 1) throw new Error(`${fn}: hopLength must be a positive integer`);
  if (y.length === 0) throw new Error(`${fn}: empty signal`);
  const x = center ? padSignal(y, Math.floor(frameLength / 2), mode) : y;
  if (x.length < frameLength) throw new Error(`${fn}: signal of ${y.length} samples is shorter than frameLength=${frameLength}`);
  const frames = 1 + Math.floor((x.length - frameLength) / hop);
  return { x, frames, frameLength, hop };
}

/**
 * librosa.feature.zero_crossing_rate: fraction of sign changes per frame, `[1, frames]`.
 * Edge-padded when centred; |y| ≤ 1e-10 counts as +0 (librosa.zero_crossings' threshold).
 */
export function zeroCrossingRate(y: Float32Array, opts: FrameOptions = {}): Matrix {
  const { x, frames, frameLength, hop } = frameSetup(y, opts, 'edge', 'zeroCrossingRate');
  const thr = Math.fround(1e-10);
  const neg = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    neg[i] = Math.abs(v) <= thr ? 0 : v < 0 || Object.is(v, -0) ? 1 : 0;
  }
  const out = new Float32Array(frames);
  for (let t = 0; t < frames; t++) {
    const s = t * hop;
    let c = 0;
    for (let i = s + 1; i < s + frameLength; i++) c += neg[i] ^ neg[i - 1];
    out[t] = c / frameLength;
  }
  return { data: out, rows: 1, cols: frames };
}

/** librosa.feature.rms from samples: √(mean(y²)) per frame, `[1, frames]` (padMode default 'constant'). */
export function rms(y: Float32Array, opts: FrameOptions & { padMode?: PadMode } = {}): Matrix {
  const { x, frames, frameLength, hop } = frameSetup(y, opts, opts.padMode ?? 'constant', 'rms');
  const out = new Float32Array(frames);
  for (let t = 0; t < frames; t++) {
    const s = t * hop;
    let acc = 0;
    for (let i = s; i < s + frameLength; i++) acc += x[i] * x[i];
    out[t] = Math.sqrt(acc / frameLength);
  }
  return { data: out, rows: 1, cols: frames };
}
