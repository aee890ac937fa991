/**
 * Chroma from the STFT (librosa.feature.chroma_stft) including librosa's tuning estimate
 * (librosa.estimate_tuning → piptrack → pitch_tuning), which chroma_stft runs whenever no
 * tuning is given: the chroma filterbank is then shifted by the estimated deviation from A440.
 * The tuning estimate is a histogram argmax over 0.01-semitone bins, so its inputs are rounded
 * to float32 exactly where librosa's are, to land in the same bin.
 */
import { fftFrequencies, magnitudeFrames, matrixToFrames, powerFrames, type Frames, type StftOptions } from './stft';
import { need } from './mel';
import type { Matrix } from './matrix';

const f32 = Math.fround;

export interface PiptrackOptions {
  /** Lowest/highest frequency searched (defaults 150 and 4000 Hz, librosa.piptrack). */
  fmin?: number;
  fmax?: number;
  /** A peak must exceed threshold · (frame's max) (default 0.1). */
  threshold?: number;
}

/**
 * librosa.piptrack on a frames-major spectrogram S (whatever power: chroma_stft passes the power
 * spectrogram). Returns frames-major pitches (Hz) and magnitudes `[frames, bins]`, 0 off-peak.
 */
export function piptrack(S: Frames, sr: number, nFft: number, opts: PiptrackOptions = {}): { pitches: Float32Array; mags: Float32Array } {
  const fmin = Math.max(opts.fmin ?? 150, 0), fmax = Math.min(opts.fmax ?? 4000, sr / 2);
  const threshold = f32(opts.threshold ?? 0.1);
  const freqs = fftFrequencies(sr, nFft);
  const { frames, bins, data } = S;
  const pitches = new Float32Array(frames * bins), mags = new Float32Array(frames * bins);
  let kLo = 0;
  while (kLo < bins && !(freqs[kLo] >= fmin)) kLo++;
  let kHi = kLo;
  while (kHi < bins && freqs[kHi] < fmax) kHi++;
  const masked = new Float32Array(bins);
  for (let t = 0; t < frames; t++) {
    const o = t * bins;
    let mx = -Infinity;
    for (let k = 0; k < bins; k++) if (data[o + k] > mx) mx = data[o + k];
    const ref = f32(threshold * mx);
    for (let k = 0; k < bins; k++) masked[k] = data[o + k] > ref ? data[o + k] : 0;
    for (let k = Math.max(kLo, 1); k < kHi; k++) {
      // util.localmax: x[k] > x[k-1] and x[k] >= x[k+1]; the last bin only needs x[k] > x[k-1]; bin 0 never.
      const isMax = k === bins - 1 ? masked[k] > masked[k - 1] : masked[k] > masked[k - 1] && masked[k] >= masked[k + 1];
      if (!isMax) continue;
      let shift = 0, avg: number;
      if (k < bins - 1) {
        const xm = data[o + k - 1], x0 = data[o + k], xp = data[o + k + 1];
        // _parabolic_interpolation stencil: vertex offset −b/a, 0 when it would leave [k−1, k+1]
        // numba types: float32 + float32 stays float32, 2 * float32 and (f32) / 2 become float64
        const a = f32(xp + xm) - 2 * x0, b = f32(xp - xm) / 2;
        shift = Math.abs(b) >= Math.abs(a) ? 0 : f32(-b / a);
        avg = f32(f32(xp - xm) / 2); // np.gradient, central difference
      } else {
        avg = f32(data[o + k] - data[o + k - 1]);
      }
      const dskew = f32(f32(0.5 * avg) * shift);
      pitches[o + k] = f32(((k + shift) * sr) / nFft);
      mags[o + k] = f32(data[o + k] + dskew);
    }
  }
  return { pitches, mags };
}

/**
 * librosa.pitch_tuning: the most common deviation (in fractions of a bin, [-0.5, 0.5)) of the
 * given frequencies from the equal-tempered grid, at `resolution` (default 0.01).
 */
export function pitchTuning(freqs: ArrayLike<number>, resolution = 0.01, binsPerOctave = 12): number {
  const nb = Math.ceil(1.0 / resolution);
  const edges = new Float64Array(nb + 1);
  const step = 1.0 / nb;
  for (let i = 0; i <= nb; i++) edges[i] = i * step + -0.5;
  edges[nb] = 0.5;
  const counts = new Int32Array(nb);
  let any = false;
  const base = 440.0 / 16;
  for (let i = 0; i < freqs.length; i++) {
    const f = freqs[i];
    if (!(f > 0)) continue;
    any = true;
    // float32 all the way, as numpy does on librosa's float32 pitches.
    const octs = f32(Math.log2(f32(f / base)));
    let r = f32(f32(binsPerOctave * octs) % 1.0);
    if (r < 0) r = f32(r + 1.0);
    if (r >= 0.5) r = f32(r - 1.0);
    // np.histogram: [e_i, e_{i+1}) bins, the last one closed.
    let b = Math.floor((r - edges[0]) * (nb / (edges[nb] - edges[0])));
    if (b >= nb) b = nb - 1;
    if (b < 0) b = 0;
    if (r < edges[b]) b--;
    else if (b < nb - 1 && r >= edges[b + 1]) b++;
    if (b >= 0 && b < nb) counts[b]++;
  }
  if (!any) return 0.0;
  let best = 0;
  for (let i = 1; i < nb; i++) if (counts[i] > counts[best]) best = i;
  return edges[best];
}

/** librosa.estimate_tuning from a frames-major spectrogram (chroma_stft passes power). In bins. */
export function estimateTuning(S: Frames, sr: number, nFft: number, binsPerOctave = 12, opts: PiptrackOptions = {}): number {
  const { pitches, mags } = piptrack(S, sr, nFft, opts);
  const sel: number[] = [];
  for (let i = 0; i < pitches.length; i++) if (pitches[i] > 0) sel.push(mags[i]);
  let thr = 0;
  if (sel.length) {
    sel.sort((a, b) => a - b);
    const h = sel.length >> 1;
    thr = sel.length % 2 ? sel[h] : f32(f32(sel[h - 1] + sel[h]) / 2);
  }
  const picked: number[] = [];
  for (let i = 0; i < pitches.length; i++) if (pitches[i] > 0 && mags[i] >= thr) picked.push(pitches[i]);
  return pitchTuning(picked, 0.01, binsPerOctave);
}

export interface ChromaFilterOptions {
  sr: number;
  nFft: number;
  nChroma?: number;
  /** Deviation from A440 in fractions of a chroma bin. */
  tuning?: number;
  /** Centre and width (octaves) of the Gaussian octave weighting (defaults 5 and 2). */
  ctroct?: number;
  octwidth?: number | null;
  /** Start at C rather than A (default true). */
  baseC?: boolean;
}

/** librosa.filters.chroma (Dan Ellis' fft2chromamx): `[nChroma, 1 + nFft/2]`, float32, each column L2-normalised. */
export function chromaFilterbank(o: ChromaFilterOptions): Matrix {
  const { sr, nFft } = o;
  const nChroma = o.nChroma ?? 12, tuning = o.tuning ?? 0, ctroct = o.ctroct ?? 5.0;
  const octwidth = o.octwidth === undefined ? 2 : o.octwidth;
  const baseC = o.baseC ?? true;
  const A440 = 440.0 * 2.0 ** (tuning / nChroma);
  const frq = new Float64Array(nFft);
  for (let i = 1; i < nFft; i++) {
    const f = i * (sr / nFft); // np.linspace(0, sr, n_fft, endpoint=False): i · step
    frq[i] = nChroma * Math.log2(f / (A440 / 16));
  }
  frq[0] = frq[1] - 1.5 * nChroma;
  const width = new Float64Array(nFft);
  for (let i = 0; i < nFft - 1; i++) width[i] = Math.max(frq[i + 1] - frq[i], 1.0);
  width[nFft - 1] = 1;
  const half = Math.round(nChroma / 2);
  const wts = new Float64Array(nChroma * nFft);
  for (let c = 0; c < nChroma; c++) {
    for (let i = 0; i < nFft; i++) {
      const x = frq[i] - c + half + 10 * nChroma;
      let r = x % nChroma; // np.remainder: fmod, then moved to the divisor's sign
      if (r !== 0 && r < 0) r += nChroma;
      const D = r - half;
      const z = (2 * D) / width[i];
      wts[c * nFft + i] = Math.exp(-0.5 * z * z);
    }
  }
  for (let i = 0; i < nFft; i++) {
    let ss = 0;
    for (let c = 0; c < nChroma; c++) ss += wts[c * nFft + i] ** 2;
    const L = Math.sqrt(ss);
    const d = L < 2.2250738585072014e-308 ? 1 : L;
    const g = octwidth === null ? 1 : Math.exp(-0.5 * ((frq[i] / nChroma - ctroct) / octwidth) ** 2);
    for (let c = 0; c < nChroma; c++) wts[c * nFft + i] = (wts[c * nFft + i] / d) * g;
  }
  const bins = Math.floor(nFft / 2) + 1;
  const roll = baseC ? 3 * Math.floor(nChroma / 12) : 0;
  const out = new Float32Array(nChroma * bins);
  for (let c = 0; c < nChroma; c++) {
    const src = (c + roll) % nChroma; // np.roll(wts, -roll, axis=0)
    for (let i = 0; i < bins; i++) out[c * bins + i] = wts[src * nFft + i];
  }
  return { data: out, rows: nChroma, cols: bins };
}

export interface ChromaOptions extends StftOptions {
  sr?: number;
  nChroma?: number;
  /** Known tuning (bins); undefined estimates it like librosa. */
  tuning?: number;
  /** Per-frame normalisation: Infinity (max, default), 1, 2, or null for none. */
  norm?: number | null;
  /** A precomputed power spectrogram `[1 + nFft/2, frames]` (librosa's `S=`). */
  S?: Matrix;
}

/** Chroma from a frames-major power spectrogram: `[nChroma, frames]`. */
export function chromaFromPowerFrames(P: Frames, sr: number, nFft: number, opts: { nChroma?: number; tuning?: number; norm?: number | null } = {}): Matrix {
  const nChroma = opts.nChroma ?? 12;
  const tuning = opts.tuning ?? estimateTuning(P, sr, nFft, nChroma);
  const fb = chromaFilterbank({ sr, nFft, nChroma, tuning });
  const { frames, bins, data } = P;
  const out = new Float32Array(nChroma * frames);
  const col = new Float64Array(nChroma);
  const norm = opts.norm === undefined ? Infinity : opts.norm;
  // The filterbank transposed to [bins, nChroma], so each frame is one contiguous pass.
  const fbT = new Float64Array(bins * nChroma);
  for (let c = 0; c < nChroma; c++) for (let k = 0; k < bins; k++) fbT[k * nChroma + c] = fb.data[c * bins + k];
  for (let t = 0; t < frames; t++) {
    const o = t * bins;
    col.fill(0);
    if (nChroma === 12) {
      // the usual case, unrolled: twelve accumulators in registers
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0, a8 = 0, a9 = 0, a10 = 0, a11 = 0;
      for (let k = 0, w = 0; k < bins; k++, w += 12) {
        const v = data[o + k];
        a0 += fbT[w] * v; a1 += fbT[w + 1] * v; a2 += fbT[w + 2] * v; a3 += fbT[w + 3] * v;
        a4 += fbT[w + 4] * v; a5 += fbT[w + 5] * v; a6 += fbT[w + 6] * v; a7 += fbT[w + 7] * v;
        a8 += fbT[w + 8] * v; a9 += fbT[w + 9] * v; a10 += fbT[w + 10] * v; a11 += fbT[w + 11] * v;
      }
      col[0] = a0; col[1] = a1; col[2] = a2; col[3] = a3; col[4] = a4; col[5] = a5;
      col[6] = a6; col[7] = a7; col[8] = a8; col[9] = a9; col[10] = a10; col[11] = a11;
    } else {
      for (let k = 0; k < bins; k++) {
        const v = data[o + k];
        const w = k * nChroma;
        for (let c = 0; c < nChroma; c++) col[c] += fbT[w + c] * v;
      }
    }
    for (let c = 0; c < nChroma; c++) col[c] = f32(col[c]); // raw chroma is float32 in librosa
    let L = 1;
    if (norm !== null) {
      L = 0;
      for (let c = 0; c < nChroma; c++) {
        const a = Math.abs(col[c]);
        if (norm === Infinity) L = Math.max(L, a);
        else L += a ** norm;
      }
      if (norm !== Infinity) L = L ** (1 / norm);
      if (L < 1.1754943508222875e-38) L = 1; // util.normalize's tiny(float32) threshold
    }
    for (let c = 0; c < nChroma; c++) out[c * frames + t] = col[c] / L;
  }
  return { data: out, rows: nChroma, cols: frames };
}

/** librosa.feature.chroma_stft: `[nChroma, frames]`, each frame scaled to max 1. */
export function chromaStft(y: Float32Array | null, opts: ChromaOptions = {}): Matrix {
  const sr = opts.sr ?? 22050;
  const P = opts.S ? matrixToFrames(opts.S) : powerFrames(magnitudeFrames(need(y, 'chromaStft'), opts), 2);
  const nFft = opts.S ? 2 * (opts.S.rows - 1) : opts.nFft ?? 2048;
  return chromaFromPowerFrames(P, sr, nFft, opts);
}
