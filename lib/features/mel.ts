/**
 * Mel scales and filterbanks (librosa.filters.mel, librosa.hz_to_mel / mel_to_hz) and
 * librosa.feature.melspectrogram. Slaney's scale (linear below 1 kHz, logarithmic above, from the
 * Auditory Toolbox) and Slaney's area normalisation are librosa's defaults; HTK's scale
 * 2595·log10(1 + f/700) without normalisation is torchaudio's.
 */
import { fftFrequencies, matrixToFrames, resolveStft, stftRunner, type Frames, type StftOptions } from './stft';
import { realFFT, type RealFFT } from './fft';
import type { Matrix } from './matrix';

// Slaney scale constants (librosa.core.convert.hz_to_mel).
const F_SP = 200.0 / 3;
const MIN_LOG_HZ = 1000.0;
const MIN_LOG_MEL = MIN_LOG_HZ / F_SP;
const LOGSTEP = Math.log(6.4) / 27.0;

export function hzToMel(f: number, htk = false): number {
  if (htk) return 2595.0 * Math.log10(1.0 + f / 700.0);
  return f >= MIN_LOG_HZ ? MIN_LOG_MEL + Math.log(f / MIN_LOG_HZ) / LOGSTEP : f / F_SP;
}

export function melToHz(m: number, htk = false): number {
  if (htk) return 700.0 * (10.0 ** (m / 2595.0) - 1.0);
  return m >= MIN_LOG_MEL ? MIN_LOG_HZ * Math.exp(LOGSTEP * (m - MIN_LOG_MEL)) : F_SP * m;
}

/** np.linspace(start, stop, n) with numpy's arithmetic (i·step + start, last point exact). */
export function linspace(start: number, stop: number, n: number): Float64Array {
  const out = new Float64Array(n);
  if (n === 1) {
    out[0] = start;
    return out;
  }
  const step = (stop - start) / (n - 1);
  for (let i = 0; i < n; i++) out[i] = i * step + start;
  out[n - 1] = stop;
  return out;
}

/** `n` frequencies (Hz) evenly spaced on the mel scale from fmin to fmax (librosa.mel_frequencies). */
export function melFrequencies(n: number, fmin: number, fmax: number, htk = false): Float64Array {
  return linspace(hzToMel(fmin, htk), hzToMel(fmax, htk), n).map((m) => melToHz(m, htk));
}

export interface MelOptions {
  sr: number;
  nFft: number;
  /** Number of mel bands (default 128). */
  nMels?: number;
  fmin?: number;
  /** Default sr / 2. */
  fmax?: number;
  /** HTK mel scale instead of Slaney's (default false). */
  htk?: boolean;
  /** 'slaney' divides each triangle by its width in Hz (constant energy per band); null leaves peaks at 1. */
  norm?: 'slaney' | null;
}

/**
 * A mel filterbank `[nMels, 1 + nFft/2]` (librosa.filters.mel), float32 as librosa returns it, plus
 * for each band the range [lo, hi) of its non-zero bins, so applying it costs O(nonzeros).
 */
export interface MelFilterbank extends Matrix {
  lo: Int32Array;
  hi: Int32Array;
}

const fbCache = new Map<string, MelFilterbank>();

export function melFilterbank(opts: MelOptions): MelFilterbank {
  const { sr, nFft } = opts;
  const nMels = opts.nMels ?? 128, fmin = opts.fmin ?? 0, fmax = opts.fmax ?? sr / 2, htk = opts.htk ?? false;
  const norm = opts.norm === undefined ? 'slaney' : opts.norm;
  if (!(sr > 0)) throw new Error(`melFilterbank: sr must be > 0, got ${sr}`);
  if (!Number.isInteger(nMels) || nMels < 1) throw new Error(`melFilterbank: nMels must be a positive integer, got ${nMels}`);
  if (!(fmin >= 0 && fmax > fmin)) throw new Error(`melFilterbank: need 0 ≤ fmin < fmax, got fmin=${fmin} fmax=${fmax}`);
  const key = JSON.stringify([sr, nFft, nMels, fmin, fmax, htk, norm]);
  const hit = fbCache.get(key);
  if (hit) return hit;
  const bins = Math.floor(nFft / 2) + 1;
  const fftf = fftFrequencies(sr, nFft);
  const melf = melFrequencies(nMels + 2, fmin, fmax, htk);
  const data = new Float32Array(nMels * bins);
  const lo = new Int32Array(nMels), hi = new Int32Array(nMels);
  for (let i = 0; i < nMels; i++) {
    const d0 = melf[i + 1] - melf[i], d1 = melf[i + 2] - melf[i + 1];
    const enorm = norm === 'slaney' ? 2.0 / (melf[i + 2] - melf[i]) : 1;
    let first = -1, last = -1;
    for (let k = 0; k < bins; k++) {
      const lower = -(melf[i] - fftf[k]) / d0;
      const upper = (melf[i + 2] - fftf[k]) / d1;
      // weights[i] = max(0, min(lower, upper)) stored as float32, then `*= enorm` (float64 op, float32 store)
      let w = Math.fround(Math.max(0, Math.min(lower, upper)));
      if (norm === 'slaney') w = Math.fround(w * enorm);
      data[i * bins + k] = w;
      if (w !== 0) {
        if (first < 0) first = k;
        last = k;
      }
    }
    lo[i] = first < 0 ? 0 : first;
    hi[i] = first < 0 ? 0 : last + 1;
  }
  const fb: MelFilterbank = { data, rows: nMels, cols: bins, lo, hi };
  fbCache.set(key, fb);
  return fb;
}

/** fb · S for a frames-major spectrogram: `[nMels, frames]` (librosa layout). */
export function applyFilterbank(fb: MelFilterbank, S: Frames): Matrix {
  if (S.bins !== fb.cols) throw new Error(`applyFilterbank: spectrogram has ${S.bins} bins, filterbank expects ${fb.cols}`);
  const { frames, bins, data } = S;
  const out = new Float32Array(fb.rows * frames);
  for (let t = 0; t < frames; t++) {
    const o = t * bins;
    for (let m = 0; m < fb.rows; m++) {
      let acc = 0;
      const w = m * bins;
      for (let k = fb.lo[m]; k < fb.hi[m]; k++) acc += fb.data[w + k] * data[o + k];
      out[m * frames + t] = acc;
    }
  }
  return { data: out, rows: fb.rows, cols: frames };
}

export interface MelSpectrogramOptions extends StftOptions, Omit<MelOptions, 'nFft' | 'sr'> {
  /** Sample rate (default 22050). */
  sr?: number;
  /** Exponent of the magnitude (default 2: power). */
  power?: number;
  /** A precomputed spectrogram `[1 + nFft/2, frames]`, already |STFT|^power (librosa's `S=`), instead of y. */
  S?: Matrix;
}

/**
 * librosa.feature.melspectrogram: mel filterbank · |STFT|^power, `[nMels, frames]`.
 * `y` may be null when `S` (a magnitude spectrogram) is given.
 */
export function melspectrogram(y: Float32Array | null, opts: MelSpectrogramOptions = {}): Matrix {
  const sr = opts.sr ?? 22050;
  const nFft = opts.S ? 2 * (opts.S.rows - 1) : opts.nFft ?? 2048;
  const fb = melFilterbank({ sr, nFft, nMels: opts.nMels, fmin: opts.fmin, fmax: opts.fmax, htk: opts.htk, norm: opts.norm });
  if (opts.S) return applyFilterbank(fb, matrixToFrames(opts.S));
  return melFromSignal(need(y, 'melspectrogram'), opts, fb, opts.power ?? 2);
}

/**
 * fb · |STFT(y)|^power computed frame by frame, never holding the whole spectrogram (the batch
 * path's hot loop). Magnitudes are rounded to float32 before the power, like librosa's complex64
 * STFT and float32 np.abs(D) ** power. `[nMels, frames]`.
 */
export function melFromSignal(y: Float32Array, opts: StftOptions, fb: MelFilterbank, power = 2): Matrix {
  const s = resolveStft(opts);
  const bins = Math.floor(s.nFft / 2) + 1;
  if (bins !== fb.cols) throw new Error(`melspectrogram: nFft ${s.nFft} gives ${bins} bins, filterbank expects ${fb.cols}`);
  const { frames, frame } = stftRunner(y, s);
  const rows = fb.rows;
  const out = new Float32Array(rows * frames);
  const mel = melFramer(fb, realFFT(s.nFft), power);
  for (let t = 0; t < frames; t++) {
    frame(t);
    const col = mel();
    for (let i = 0; i < rows; i++) out[i * frames + t] = col[i];
  }
  return { data: out, rows, cols: frames };
}

const melFramers = new WeakMap<MelFilterbank, Map<string, () => Float64Array>>();

/**
 * The per-frame half of melFromSignal for one (filterbank, FFT plan, power): reads the plan's
 * last spectrum (outRe/outIm), returns the frame's `[nMels]` mel energies (a reused buffer).
 * Cached so its arrays stay constant bindings V8 compiles against (see RealFFT.framer).
 */
function melFramer(fb: MelFilterbank, plan: RealFFT, power: number): () => Float64Array {
  let byPlan = melFramers.get(fb);
  if (!byPlan) melFramers.set(fb, (byPlan = new Map()));
  const key = `${plan.n}:${power}`;
  const hit = byPlan.get(key);
  if (hit) return hit;
  const bins = fb.cols, rows = fb.rows, lo = fb.lo, hi = fb.hi, w = fb.data;
  const re = plan.outRe, im = plan.outIm;
  const pair = pairForm(fb);
  let f: () => Float64Array;
  if (pair && power === 2) {
    // One pass over the bins: power, then its two band contributions. Each band still sums its
    // bins in ascending order in float64, so the result is bit-identical to the band-wise loop
    // (and about twice as fast as a power array followed by the band-wise CSR product).
    const { band, wA, wB } = pair;
    const acc = new Float64Array(rows + 1); // band rows-1's partner slot rows always gets weight 0
    const col = acc.subarray(0, rows);
    f = () => {
      acc.fill(0);
      for (let k = 0; k < bins; k++) {
        const i = band[k];
        if (i < 0) continue;
        const a = Math.fround(re[k]), b = Math.fround(im[k]);
        const m = Math.fround(Math.sqrt(a * a + b * b));
        const p = Math.fround(m * m);
        acc[i] += wA[k] * p;
        acc[i + 1] += wB[k] * p;
      }
      return col;
    };
  } else {
    const P = new Float32Array(bins), col = new Float64Array(rows);
    f = () => {
      for (let k = 0; k < bins; k++) {
        const a = Math.fround(re[k]), b = Math.fround(im[k]);
        const m = Math.fround(Math.sqrt(a * a + b * b));
        P[k] = power === 2 ? m * m : power === 1 ? m : Math.pow(m, power);
      }
      for (let i = 0; i < rows; i++) {
        let acc = 0;
        const off = i * bins;
        for (let k = lo[i]; k < hi[i]; k++) acc += w[off + k] * P[k];
        col[i] = acc;
      }
      return col;
    };
  }
  byPlan.set(key, f);
  return f;
}

/**
 * A filterbank whose every bin has non-zero weight in at most two bands, i and i + 1 (mel
 * triangles overlap only their neighbours: true of librosa's and torchaudio's banks), as per-bin
 * arrays `[bins]`: band[k] = i (−1 for a bin in no band), wA[k] = weight of band i, wB[k] = of
 * band i + 1 (0 when none). Null for any other bank (the band-wise loop handles those).
 */
function pairForm(fb: MelFilterbank): { band: Int32Array; wA: Float64Array; wB: Float64Array } | null {
  const hit = pairCache.get(fb);
  if (hit !== undefined) return hit;
  const { rows, cols, data } = fb;
  const band = new Int32Array(cols).fill(-1), wA = new Float64Array(cols), wB = new Float64Array(cols);
  let res: { band: Int32Array; wA: Float64Array; wB: Float64Array } | null = { band, wA, wB };
  for (let k = 0; k < cols && res; k++) {
    for (let i = 0; i < rows; i++) {
      const v = data[i * cols + k];
      if (v === 0) continue;
      if (band[k] < 0) {
        band[k] = i;
        wA[k] = v;
      } else if (i === band[k] + 1) wB[k] = v;
      else {
        res = null;
        break;
      }
    }
  }
  pairCache.set(fb, res);
  return res;
}

const pairCache = new WeakMap<MelFilterbank, { band: Int32Array; wA: Float64Array; wB: Float64Array } | null>();

export function need(y: Float32Array | null, fn: string): Float32Array {
  if (!y) throw new Error(`${fn}: give either y (samples) or S (a spectrogram)`);
  if (!(y instanceof Float32Array)) throw new Error(`${fn}: y must be a Float32Array of samples`);
  return y;
}
