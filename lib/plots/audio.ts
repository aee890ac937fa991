/**
 * Figures of audio and its features (lecture 10–11 of seed 003, seed 000's per-genre plots):
 * the waveform, the spectrum of one FFT, and spectrogram / mel / MFCC heatmaps with labelled axes.
 * Long inputs are reduced for display (min/max envelope, pooling) so a 30-s clip stays a small
 * figure; the reduction keeps peaks, so the picture is the one matplotlib would draw.
 */
import { axis, baseLayout, type Figure, type PlotMatrix, matrixView, round4 } from './types';

export interface WaveformOptions {
  title?: string;
  /** Points drawn at most; longer signals become a min/max envelope (default 4000). */
  maxPoints?: number;
  height?: number;
  color?: string;
}

/**
 * Amplitude against time (librosa.display.waveshow). `y`: `[samples]` mono signal; `sr`: its
 * sample rate in Hz. Longer than `maxPoints` samples, each bucket contributes its min and max,
 * so peaks survive the reduction.
 */
export function waveform(y: ArrayLike<number>, sr: number, opts: WaveformOptions = {}): Figure {
  if (!(sr > 0)) throw new Error(`waveform: sample rate must be positive, got ${sr}`);
  const maxPoints = opts.maxPoints ?? 4000;
  const n = y.length;
  const t: number[] = [];
  const v: number[] = [];
  if (n <= maxPoints) {
    for (let i = 0; i < n; i++) {
      t.push(round4(i / sr));
      v.push(round4(y[i]));
    }
  } else {
    const buckets = Math.floor(maxPoints / 2);
    for (let b = 0; b < buckets; b++) {
      const start = Math.floor((b * n) / buckets);
      const end = Math.floor(((b + 1) * n) / buckets);
      let lo = Infinity;
      let hi = -Infinity;
      let iLo = start;
      let iHi = start;
      for (let i = start; i < end; i++) {
        if (y[i] < lo) (lo = y[i]), (iLo = i);
        if (y[i] > hi) (hi = y[i]), (iHi = i);
      }
      // keep time order inside the bucket so the line does not double back
      const pair = iLo <= iHi ? [[iLo, lo], [iHi, hi]] : [[iHi, hi], [iLo, lo]];
      for (const [i, val] of pair) {
        t.push(round4(i / sr));
        v.push(round4(val));
      }
    }
  }
  return {
    data: [{ type: 'scatter', mode: 'lines', x: t, y: v, name: 'amplitude', line: { width: 1, color: opts.color ?? '#1f77b4' } }],
    layout: { ...baseLayout({ title: opts.title ?? 'Waveform', height: opts.height ?? 300 }), xaxis: axis('Time (s)'), yaxis: axis('Amplitude'), showlegend: false },
  };
}

export interface SpectrumOptions {
  title?: string;
  /** FFT size the bins come from (default: inferred: a full spectrum has nFft bins, a one-sided one nFft/2 + 1). */
  nFft?: number;
  /**
   * Draw 0 … sr (both halves). A one-sided input (np.fft.rfft, lib/features' rfft) is mirrored,
   * |X[nFft − k]| = |X[k]| for a real signal: the symmetry lecture 11 points out. Default false:
   * 0 … sr/2 (Nyquist), the non-redundant half.
   */
  twoSided?: boolean;
  /** Points drawn at most (max-pooled, default 5000). */
  maxPoints?: number;
  /** Log-scale magnitude axis. */
  logY?: boolean;
  height?: number;
}

/**
 * Magnitude against frequency for one FFT. `spec`: magnitudes `[bins]`, or the complex spectrum
 * `{ re, im }` (its magnitude is taken); one-sided (`[nFft/2 + 1]`, rfft) or full (`[nFft]`,
 * `np.fft.fft`). Bin k is at k·sr/nFft Hz (lecture 11 used `np.linspace(0, sr, len)`, off by one
 * bin width at the top; this is the exact spacing).
 */
export function spectrum(spec: ArrayLike<number> | { re: ArrayLike<number>; im: ArrayLike<number> }, sr: number, opts: SpectrumOptions = {}): Figure {
  if (!(sr > 0)) throw new Error(`spectrum: sample rate must be positive, got ${sr}`);
  let magnitude: ArrayLike<number>;
  if ('re' in spec) {
    if (spec.re.length !== spec.im.length) throw new Error(`spectrum: re has ${spec.re.length} values, im ${spec.im.length}`);
    const m = new Float64Array(spec.re.length);
    for (let k = 0; k < m.length; k++) m[k] = Math.hypot(spec.re[k], spec.im[k]);
    magnitude = m;
  } else magnitude = spec;
  const len = magnitude.length;
  // one-sided unless told otherwise by nFft: floor(nFft/2)+1 bins
  const nFft = opts.nFft ?? ('re' in spec ? 2 * (len - 1) : len);
  const oneSided = len === Math.floor(nFft / 2) + 1 && len !== nFft;
  const n = opts.twoSided ? nFft : Math.floor(nFft / 2) + 1;
  if (!oneSided && len !== nFft) throw new Error(`spectrum: ${len} bins fit neither a full (${nFft}) nor a one-sided (${Math.floor(nFft / 2) + 1}) FFT of size ${nFft}`);
  const bin = (k: number) => (k < len ? magnitude[k] : magnitude[nFft - k]);
  const maxPoints = opts.maxPoints ?? 5000;
  const step = Math.max(1, Math.ceil(n / maxPoints));
  const f: number[] = [];
  const m: number[] = [];
  for (let k = 0; k < n; k += step) {
    let best = -Infinity;
    let kBest = k;
    for (let j = k; j < Math.min(n, k + step); j++) if (bin(j) > best) (best = bin(j)), (kBest = j);
    f.push(Math.round(((kBest * sr) / nFft) * 100) / 100); // Hz to 0.01: exact enough to read a bin
    m.push(round4(best));
  }
  return {
    data: [{ type: 'scatter', mode: 'lines', x: f, y: m, name: 'magnitude', line: { width: 1 } }],
    layout: {
      ...baseLayout({ title: opts.title ?? (opts.twoSided ? 'Spectrum, 0 … sr (mirror-symmetric around sr/2)' : 'Spectrum, 0 … sr/2 (Nyquist)'), height: opts.height ?? 320 }),
      xaxis: axis('Frequency (Hz)'),
      yaxis: axis('Magnitude', opts.logY ? { type: 'log' } : {}),
      showlegend: false,
    },
  };
}

/** What a heatmap shows; picks the default axis labels and colour bar. */
export type HeatmapKind = 'spectrogram' | 'mel' | 'mfcc' | 'chroma' | 'other';

export interface HeatmapOptions {
  kind?: HeatmapKind;
  title?: string;
  /** Sample rate, for the time axis (seconds) and the frequency axis of a linear spectrogram. */
  sr?: number;
  /** Hop between frames in samples (time of frame t = t·hopLength/sr). */
  hopLength?: number;
  /** FFT size of a linear spectrogram (bin k at k·sr/nFft Hz). */
  nFft?: number;
  /** Input is `[frames, features]` (seed 003 stores `mfcc.T`) instead of librosa's `[features, frames]`. */
  framesFirst?: boolean;
  /** Values of the feature axis (e.g. mel band centre frequencies), overriding the default. */
  yValues?: number[];
  yTitle?: string;
  /** Horizontal axis title when it is not time (e.g. a weight matrix: 'output unit'); default 'Time (s)' or 'Frame'. */
  xTitle?: string;
  /** Colour-bar title, e.g. 'dB'. */
  unit?: string;
  /** Display size limits: larger inputs are average-pooled (default 400 frames × 256 bins, ~100 k cells: a 30-s spectrogram stays a ~0.6 MB figure). */
  maxFrames?: number;
  maxBins?: number;
  colorscale?: string;
  height?: number;
}

const DEFAULT_Y_TITLE: Record<HeatmapKind, string> = {
  spectrogram: 'Frequency (Hz)',
  mel: 'Mel band',
  mfcc: 'MFCC coefficient',
  chroma: 'Pitch class',
  other: 'Feature',
};

const PITCH_CLASSES = ['C', 'C♯', 'D', 'D♯', 'E', 'F', 'F♯', 'G', 'G♯', 'A', 'A♯', 'B'];

/**
 * A time–feature heatmap (librosa.display.specshow): `m` is `[features, frames]` as librosa returns
 * it (or `[frames, features]` with `framesFirst`). Frequency / band / coefficient runs upwards,
 * time to the right; the axes are labelled with seconds and Hz when `sr`, `hopLength`, `nFft` are
 * given, with frame and bin numbers otherwise.
 */
export function heatmap(m: PlotMatrix, opts: HeatmapOptions = {}): Figure {
  const kind = opts.kind ?? 'other';
  const v = matrixView(m, `heatmap(${kind})`);
  const nFeat = opts.framesFirst ? v.cols : v.rows;
  const nFrames = opts.framesFirst ? v.rows : v.cols;
  if (!nFeat || !nFrames) throw new Error(`heatmap(${kind}): empty matrix [${v.rows}, ${v.cols}]`);
  const at = opts.framesFirst ? (f: number, t: number) => v.at(t, f) : (f: number, t: number) => v.at(f, t);
  const fStep = Math.max(1, Math.ceil(nFeat / (opts.maxBins ?? 256)));
  const tStep = Math.max(1, Math.ceil(nFrames / (opts.maxFrames ?? 400)));
  const z: number[][] = [];
  const yIdx: number[] = [];
  for (let f0 = 0; f0 < nFeat; f0 += fStep) {
    const row: number[] = [];
    for (let t0 = 0; t0 < nFrames; t0 += tStep) {
      let s = 0;
      let c = 0;
      for (let f = f0; f < Math.min(nFeat, f0 + fStep); f++)
        for (let t = t0; t < Math.min(nFrames, t0 + tStep); t++) (s += at(f, t)), c++;
      row.push(round4(s / c));
    }
    z.push(row);
    yIdx.push(f0 + (Math.min(nFeat, f0 + fStep) - f0 - 1) / 2);
  }
  const xIdx: number[] = [];
  for (let t0 = 0; t0 < nFrames; t0 += tStep) xIdx.push(t0 + (Math.min(nFrames, t0 + tStep) - t0 - 1) / 2);
  const timed = opts.sr !== undefined && opts.hopLength !== undefined;
  const x = timed ? xIdx.map((t) => round4((t * opts.hopLength!) / opts.sr!)) : xIdx;
  let y: (number | string)[];
  if (opts.yValues) {
    if (opts.yValues.length !== nFeat) throw new Error(`heatmap(${kind}): ${opts.yValues.length} yValues for ${nFeat} feature rows`);
    y = yIdx.map((i) => round4(opts.yValues![Math.round(i)]));
  } else if (kind === 'spectrogram' && opts.sr !== undefined) {
    const nFft = opts.nFft ?? (nFeat - 1) * 2;
    y = yIdx.map((k) => round4((k * opts.sr!) / nFft));
  } else if (kind === 'chroma' && nFeat === 12 && fStep === 1) {
    y = PITCH_CLASSES;
  } else y = yIdx;
  const hasHz = kind === 'spectrogram' && (opts.sr !== undefined || opts.yValues !== undefined);
  const xTitle = opts.xTitle ?? (timed ? 'Time (s)' : 'Frame');
  const yTitle = opts.yTitle ?? (kind === 'spectrogram' && !hasHz ? 'Frequency bin' : DEFAULT_Y_TITLE[kind]);
  const unit = opts.unit ?? (kind === 'mfcc' ? '' : 'dB');
  // Hover names both axes and the value's unit, e.g. "Time (s): 1.23<br>Frequency (Hz): 440<br>value: -12.3 dB".
  const xHover = timed && !opts.xTitle ? '%{x:.2f}' : '%{x}';
  const hovertemplate = `${xTitle}: ${xHover}<br>${yTitle}: %{y}<br>value: %{z}${unit ? ` ${unit}` : ''}<extra></extra>`;
  return {
    data: [
      {
        type: 'heatmap',
        x,
        y,
        z,
        colorscale: opts.colorscale ?? (kind === 'mfcc' ? 'RdBu' : 'Viridis'),
        ...(kind === 'mfcc' ? { reversescale: true, zmid: 0 } : {}),
        colorbar: { title: { text: unit } },
        hovertemplate,
      },
    ],
    layout: {
      ...baseLayout({ title: opts.title ?? `${kind === 'other' ? 'Features' : kind[0].toUpperCase() + kind.slice(1)} [${nFeat} × ${nFrames} frames]`, height: opts.height ?? 380 }),
      xaxis: axis(xTitle),
      yaxis: axis(yTitle),
    },
  };
}
