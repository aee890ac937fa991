/**
 * Short-time Fourier transform with librosa's conventions (librosa.stft):
 * periodic window of winLength centred in nFft samples, frames every hopLength samples,
 * `center` pads nFft/2 samples on both sides first (padMode 'constant' since librosa 0.9,
 * 'reflect' before, and in the seeds, which ran librosa 0.5–0.7, and in torchaudio).
 * Frame count: 1 + floor((len + 2·(nFft/2) - nFft) / hop) when centred.
 */
import { realFFT } from './fft';
import type { ComplexMatrix, Matrix } from './matrix';

export type PadMode = 'constant' | 'reflect' | 'edge';
export type WindowName = 'hann' | 'hamming' | 'rect' | 'ones' | 'boxcar';

export interface StftOptions {
  /** FFT size (default 2048). */
  nFft?: number;
  /** Samples between frames (default floor(winLength / 4)). */
  hopLength?: number;
  /** Window length ≤ nFft (default nFft), zero-padded to nFft in the middle (librosa.util.pad_center). */
  winLength?: number;
  /** 'hann' (periodic, scipy get_window(fftbins=True)), 'hamming', 'rect', or explicit samples `[winLength]`. */
  window?: WindowName | ArrayLike<number>;
  /** Pad nFft/2 on each side so frame t is centred at t·hop (default true). */
  center?: boolean;
  /** How `center` pads (default 'constant', librosa ≥ 0.9). */
  padMode?: PadMode;
}

export interface ResolvedStft {
  nFft: number;
  hopLength: number;
  winLength: number;
  center: boolean;
  padMode: PadMode;
  /** The window zero-padded to nFft, float64 `[nFft]` (shared between calls: do not modify). */
  window: Float64Array;
}

/** Periodic window of length n (scipy.signal.get_window(name, n, fftbins=True)). */
export function getWindow(name: WindowName, n: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (name === 'hann') w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
    else if (name === 'hamming') w[i] = 0.54 - 0.46 * Math.cos((2 * Math.PI * i) / n);
    else if (name === 'rect' || name === 'ones' || name === 'boxcar') w[i] = 1;
    else throw new Error(`getWindow: unknown window '${name as string}' (hann, hamming, rect)`);
  }
  return w;
}

/** Fills in librosa's defaults and validates. */
export function resolveStft(opts: StftOptions = {}): ResolvedStft {
  const nFft = opts.nFft ?? 2048;
  const winLength = opts.winLength ?? nFft;
  const hopLength = opts.hopLength ?? Math.floor(winLength / 4);
  if (!Number.isInteger(nFft) || nFft < 1) throw new Error(`stft: nFft must be a positive integer, got ${nFft}`);
  if (!Number.isInteger(hopLength) || hopLength < 1) throw new Error(`stft: hopLength must be a positive integer, got ${hopLength}`);
  if (!Number.isInteger(winLength) || winLength < 1 || winLength > nFft) throw new Error(`stft: winLength must be in [1, nFft=${nFft}], got ${winLength}`);
  const spec = opts.window ?? 'hann';
  const key = typeof spec === 'string' ? `${spec}:${winLength}:${nFft}` : null;
  let window = key ? windowCache.get(key) : undefined;
  if (!window) {
    const win = typeof spec === 'string' ? getWindow(spec, winLength) : Float64Array.from(spec);
    if (win.length !== winLength) throw new Error(`stft: window has ${win.length} samples, winLength is ${winLength}`);
    window = new Float64Array(nFft);
    window.set(win, Math.floor((nFft - winLength) / 2));
    if (key) windowCache.set(key, window);
  }
  return { nFft, hopLength, winLength, center: opts.center ?? true, padMode: opts.padMode ?? 'constant', window };
}

/** Named windows are built once and shared (read-only), so the FFT plan's per-window framer is reused. */
const windowCache = new Map<string, Float64Array>();

/** np.pad(y, (pad, pad), mode) for the three modes librosa's stft/zcr/rms use. */
export function padSignal(y: Float32Array, pad: number, mode: PadMode): Float32Array {
  const n = y.length;
  const out = new Float32Array(n + 2 * pad);
  out.set(y, pad);
  if (mode === 'constant' || pad === 0) return out;
  if (n === 0) throw new Error(`padSignal: cannot ${mode}-pad an empty signal`);
  for (let i = 0; i < pad; i++) {
    out[pad - 1 - i] = y[srcIndex(-1 - i, n, mode)];
    out[pad + n + i] = y[srcIndex(n + i, n, mode)];
  }
  return out;
}

/** Index into y[0..n) for a position outside it: 'edge' clamps, 'reflect' mirrors without repeating the edge. */
function srcIndex(i: number, n: number, mode: PadMode): number {
  if (mode === 'edge' || n === 1) return i < 0 ? 0 : n - 1;
  const period = 2 * (n - 1);
  let k = ((i % period) + period) % period;
  if (k >= n) k = period - k;
  return k;
}

/** Number of STFT frames for a signal of `n` samples. */
export function frameCount(n: number, s: ResolvedStft): number {
  const len = s.center ? n + 2 * Math.floor(s.nFft / 2) : n;
  if (len < s.nFft) throw new Error(`stft: signal of ${n} samples is shorter than nFft=${s.nFft} (use center=true or a smaller nFft)`);
  return 1 + Math.floor((len - s.nFft) / s.hopLength);
}

/**
 * The STFT frame by frame, frames-major: calls `emit(t, re, im)` with the `[1 + nFft/2]` spectrum
 * of frame t. re/im are the FFT plan's own output buffers (one plan per nFft per thread), reused
 * for every frame: copy what you keep, and do not run another STFT of the same nFft inside emit.
 * The hot loop of every feature.
 */
export function forEachFrame(y: Float32Array, s: ResolvedStft, emit: (t: number, re: Float64Array, im: Float64Array) => void): number {
  if (y.length === 0) throw new Error('stft: empty signal');
  const frames = frameCount(y.length, s);
  const x = s.center ? padSignal(y, Math.floor(s.nFft / 2), s.padMode) : y;
  const plan = realFFT(s.nFft);
  const run = plan.framer(s.window);
  const re = plan.outRe, im = plan.outIm;
  for (let t = 0; t < frames; t++) {
    run(x, t * s.hopLength);
    emit(t, re, im);
  }
  return frames;
}

/**
 * What a hot loop needs to run the STFT itself: the frame count and `frame(t)`, which leaves frame
 * t's `[1 + nFft/2]` spectrum in re/im (the plan's buffers, overwritten by the next call).
 * Consumers write their own `for t` loop around it instead of passing a callback to forEachFrame:
 * a callback shared by every feature makes that call site polymorphic once a process has run two
 * features (the bench, a notebook, a pool worker), and V8 then stops inlining it.
 * With `center`, only the frames that overlap the padding read padded copies (of the signal's two
 * ends); the others read y in place, so no padded copy of the whole clip is made per call.
 */
export function stftRunner(y: Float32Array, s: ResolvedStft): { frames: number; frame: (t: number) => void; re: Float64Array; im: Float64Array } {
  if (y.length === 0) throw new Error('stft: empty signal');
  const frames = frameCount(y.length, s);
  const plan = realFFT(s.nFft);
  const run = plan.framer(s.window), re = plan.outRe, im = plan.outIm;
  const hop = s.hopLength, nFft = s.nFft, n = y.length;
  if (!s.center) return { frames, frame: (t) => run(y, t * hop), re, im };
  const P = Math.floor(nFft / 2);
  // Frames tA..tB lie inside y: frame t covers padded [t·hop, t·hop + nFft) = y[t·hop − P, … + nFft).
  const tA = Math.ceil(P / hop), tB = Math.min(frames - 1, Math.floor((n + P - nFft) / hop));
  if (tA > tB) {
    const x = padSignal(y, P, s.padMode);
    return { frames, frame: (t) => run(x, t * hop), re, im };
  }
  // head: the padded signal's first (tA − 1)·hop + nFft samples (padding a prefix of y that long pads
  // its left end exactly as the whole signal's)
  const head = padSignal(y.subarray(0, Math.min(n, (tA - 1) * hop + nFft)), P, s.padMode);
  // tail: y from a (≤ the first tail frame's start, and ≤ n − nFft so a reflection sees the same
  // samples) padded on both sides; padded position q of the whole signal is tail[q − a]
  const a = Math.max(0, Math.min((tB + 1) * hop - P, n - nFft));
  const tail = padSignal(y.subarray(a), P, s.padMode);
  return {
    frames,
    frame: (t) => {
      if (t < tA) run(head, t * hop);
      else if (t <= tB) run(y, t * hop - P);
      else run(tail, t * hop - a);
    },
    re,
    im,
  };
}

/** A magnitude spectrogram stored frames-major, `[frames, bins]`: the shared input of features. */
export interface Frames {
  data: Float32Array;
  frames: number;
  bins: number;
}

/**
 * |STFT| frames-major `[frames, 1 + nFft/2]`, float32 exactly as librosa gets it: the complex64
 * STFT (float64 FFT rounded to float32, as librosa stores it) then np.abs in float32.
 */
export function magnitudeFrames(y: Float32Array, opts: StftOptions = {}): Frames {
  const s = resolveStft(opts);
  const bins = Math.floor(s.nFft / 2) + 1;
  const { frames, frame, re, im } = stftRunner(y, s);
  const data = new Float32Array(frames * bins);
  for (let t = 0; t < frames; t++) {
    frame(t);
    const o = t * bins;
    for (let k = 0; k < bins; k++) {
      const a = Math.fround(re[k]), b = Math.fround(im[k]);
      data[o + k] = Math.sqrt(a * a + b * b);
    }
  }
  return { data, frames, bins };
}

/** Frames-major |X|^power, rounding like numpy's float32 `np.abs(D) ** power`. */
export function powerFrames(mag: Frames, power: number): Frames {
  if (power === 1) return mag;
  const out = new Float32Array(mag.data.length);
  const d = mag.data;
  if (power === 2) for (let i = 0; i < d.length; i++) out[i] = d[i] * d[i];
  else for (let i = 0; i < d.length; i++) out[i] = Math.pow(d[i], power);
  return { data: out, frames: mag.frames, bins: mag.bins };
}

/** Frames-major `[frames, bins]` → librosa-layout Matrix `[bins, frames]`. */
export function framesToMatrix(f: Frames): Matrix {
  const out = new Float32Array(f.data.length);
  const { frames, bins, data } = f;
  for (let t = 0; t < frames; t++) for (let k = 0; k < bins; k++) out[k * frames + t] = data[t * bins + k];
  return { data: out, rows: bins, cols: frames };
}

/** Matrix `[bins, frames]` → frames-major (to feed a precomputed spectrogram `S` to the features). */
export function matrixToFrames(m: Matrix): Frames {
  const out = new Float32Array(m.data.length);
  for (let k = 0; k < m.rows; k++) for (let t = 0; t < m.cols; t++) out[t * m.rows + k] = m.data[k * m.cols + t];
  return { data: out, frames: m.cols, bins: m.rows };
}

/** librosa.stft: complex `[1 + nFft/2, frames]` (complex64 like librosa: float32 re/im). */
export function stft(y: Float32Array, opts: StftOptions = {}): ComplexMatrix {
  const s = resolveStft(opts);
  const bins = Math.floor(s.nFft / 2) + 1;
  const { frames, frame, re, im } = stftRunner(y, s);
  const reOut = new Float32Array(bins * frames), imOut = new Float32Array(bins * frames);
  for (let t = 0; t < frames; t++) {
    frame(t);
    for (let k = 0; k < bins; k++) {
      reOut[k * frames + t] = re[k];
      imOut[k * frames + t] = im[k];
    }
  }
  return { re: reOut, im: imOut, rows: bins, cols: frames };
}

export interface SpectrogramOptions extends StftOptions {
  /** 1 for magnitude, 2 for power (default 1). */
  power?: number;
}

/** |STFT|^power as a Matrix `[1 + nFft/2, frames]` (librosa's `np.abs(librosa.stft(y)) ** power`). */
export function spectrogram(y: Float32Array, opts: SpectrogramOptions = {}): Matrix {
  return framesToMatrix(powerFrames(magnitudeFrames(y, opts), opts.power ?? 1));
}

/** `np.abs(librosa.stft(y, ...))`, `[1 + nFft/2, frames]`. */
export function magnitudeSpectrogram(y: Float32Array, opts: StftOptions = {}): Matrix {
  return spectrogram(y, { ...opts, power: 1 });
}

/** `np.abs(librosa.stft(y, ...)) ** 2`, `[1 + nFft/2, frames]`. */
export function powerSpectrogram(y: Float32Array, opts: StftOptions = {}): Matrix {
  return spectrogram(y, { ...opts, power: 2 });
}

/** Bin centre frequencies in Hz, `[1 + nFft/2]` (librosa.fft_frequencies). */
export function fftFrequencies(sr: number, nFft: number): Float64Array {
  // np.fft.rfftfreq(n_fft, d=1/sr) computes k · (1 / (n · d)); same operations, same last bits
  // (spectral_contrast's band edges compare these frequencies exactly).
  const bins = Math.floor(nFft / 2) + 1;
  const val = 1.0 / (nFft * (1.0 / sr));
  return Float64Array.from({ length: bins }, (_, k) => k * val);
}
