/**
 * Lecture 10's hand-made audio features, one number per frame, each designed by a person who knew
 * what to look for — the contrast with what a network learns on its own from the spectrogram:
 * - amplitude envelope: the largest |sample| of each frame (loudness, onsets; Velardo's definition);
 * - spectral centroid: the spectrum's centre of mass in Hz (brightness; librosa's);
 * - zero-crossing rate: sign changes per sample (noisiness, percussiveness; librosa's);
 * - spectral flux: how much the magnitude spectrum changed since the previous frame (onsets, novelty).
 */
import type { Matrix } from './matrix';
import { frameSetup, spectralCentroid, zeroCrossingRate, type FrameOptions } from './spectral';
import { magnitudeSpectrogram } from './stft';

/** Max |y| per frame, `[1, frames]`, frames as librosa centres them (constant padding). */
export function amplitudeEnvelope(y: Float32Array, opts: FrameOptions = {}): Matrix {
  const { x, frames, frameLength, hop } = frameSetup(y, opts, 'constant', 'amplitudeEnvelope');
  const out = new Float32Array(frames);
  for (let t = 0; t < frames; t++) {
    let m = 0;
    for (let i = t * hop; i < t * hop + frameLength; i++) m = Math.max(m, Math.abs(x[i]));
    out[t] = m;
  }
  return { data: out, rows: 1, cols: frames };
}

/**
 * Spectral flux from a magnitude spectrogram `[bins, frames]`: the Euclidean distance between
 * consecutive frames' spectra, each normalised to unit sum (so loudness alone does not count);
 * frame 0 gets 0. `[1, frames]`.
 */
export function spectralFlux(S: Matrix): Matrix {
  const { rows, cols, data } = S;
  const out = new Float32Array(cols);
  const norm = (t: number) => {
    let s = 0;
    for (let k = 0; k < rows; k++) s += data[k * cols + t];
    return s > 0 ? 1 / s : 0;
  };
  let prev = norm(0);
  for (let t = 1; t < cols; t++) {
    const cur = norm(t);
    let d = 0;
    for (let k = 0; k < rows; k++) {
      const diff = data[k * cols + t] * cur - data[k * cols + t - 1] * prev;
      d += diff * diff;
    }
    out[t] = Math.sqrt(d);
    prev = cur;
  }
  return { data: out, rows: 1, cols };
}

export interface HandcraftedFeatures {
  /** Seconds of each frame's centre. */
  times: number[];
  envelope: Float32Array;
  /** Hz. */
  centroid: Float32Array;
  /** Crossings per sample. */
  zcr: Float32Array;
  flux: Float32Array;
}

export const HANDCRAFTED_UNITS: Record<Exclude<keyof HandcraftedFeatures, 'times'>, string> = {
  envelope: 'amplitude envelope (max |sample|)',
  centroid: 'spectral centroid (Hz)',
  zcr: 'zero-crossing rate (per sample)',
  flux: 'spectral flux (change of the normalised spectrum)',
};

/** The four features of `y` on one frame grid (nFft = frameLength 2048, hop 512 by default). */
export function handcraftedFeatures(y: Float32Array, sr: number, opts: { frameLength?: number; hopLength?: number } = {}): HandcraftedFeatures {
  const frameLength = opts.frameLength ?? 2048, hopLength = opts.hopLength ?? 512;
  const S = magnitudeSpectrogram(y, { nFft: frameLength, hopLength });
  const envelope = amplitudeEnvelope(y, { frameLength, hopLength }).data;
  const centroid = spectralCentroid(null, { S, sr }).data;
  const zcr = zeroCrossingRate(y, { frameLength, hopLength }).data;
  const flux = spectralFlux(S).data;
  const times = Array.from(envelope, (_, t) => (t * hopLength) / sr);
  return { times, envelope, centroid, zcr, flux };
}

/** Mean of each feature over the clip: four numbers that summarise a track by hand. */
export function handcraftedSummary(f: HandcraftedFeatures): Record<Exclude<keyof HandcraftedFeatures, 'times'>, number> {
  const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
  return { envelope: mean(f.envelope), centroid: mean(f.centroid), zcr: mean(f.zcr), flux: mean(f.flux) };
}

/** One row per clip for a classical classifier: the mean and the standard deviation of each feature (8 numbers). */
export function handcraftedVector(f: HandcraftedFeatures): number[] {
  const keys = ['envelope', 'centroid', 'zcr', 'flux'] as const;
  const stats = keys.map((k) => {
    const a = f[k];
    const m = a.reduce((s, v) => s + v, 0) / a.length;
    return [m, Math.sqrt(a.reduce((s, v) => s + (v - m) ** 2, 0) / a.length)];
  });
  return [...stats.map((s) => s[0]), ...stats.map((s) => s[1])];
}
