/**
 * Per-frame audio descriptors through `meyda`, for the lecture demos that step through a signal
 * frame by frame (and for what meyda has and we don't: loudness, perceptual spread/sharpness,
 * spectral flatness/slope/kurtosis, chroma by its own method...).
 *
 * Meyda's numbers are NOT librosa's; use lib/features for anything compared with the seeds.
 * Differences (meyda 5.6, dist/node/main.js, checked in its source):
 * - No centring or padding: frame t is samples [t·hop, t·hop + bufferSize), and bufferSize must be a
 *   power of two; the last partial frame is dropped.
 * - Window: symmetric Hann 0.5 − 0.5·cos(2πi/(N−1)) (librosa: periodic, /N).
 * - Spectrum: the first N/2 bins (the Nyquist bin is dropped; librosa keeps 1 + N/2).
 * - MFCC: its own mel scale 1125·ln(1 + f/700) (librosa: Slaney, or HTK 2595·log10(1 + f/700)),
 *   unnormalised triangles (librosa: Slaney area norm), bands as ln(Σ power + 1) (librosa:
 *   10·log10(max(power, 1e-10)) with an 80-dB floor), DCT-II unnormalised ×2 (librosa: orthonormal),
 *   26 bands and 13 coefficients by default (librosa: 128 and 20).
 * - spectralCentroid is in bins, not Hz (× sr / bufferSize for Hz); zcr is a count of sign changes
 *   per frame, not a rate; rms is of the (unwindowed) frame.
 */
// (This file is not named meyda.ts: tslab resolves require('meyda') from a lib file called meyda.ts to itself.)
// eslint-disable-next-line @typescript-eslint/no-var-requires
const Meyda = require('meyda') as {
  extract(features: string | string[], signal: Float32Array): Record<string, unknown> | null;
  bufferSize: number;
  sampleRate: number;
  melBands: number;
  numberOfMFCCCoefficients: number;
  windowingFunction: string;
};

export interface MeydaOptions {
  sr: number;
  /** Frame length, a power of two (default 512, meyda's). */
  bufferSize?: number;
  /** Samples between frames (default bufferSize: meyda's own analyser does not overlap). */
  hopSize?: number;
  /** Meyda feature names (default rms, zcr, spectralCentroid, mfcc). */
  features?: string[];
  melBands?: number;
  numberOfMFCCCoefficients?: number;
  /** 'hanning' (default), 'hamming', 'blackman', 'sine', 'rect'. */
  windowingFunction?: string;
}

/** Meyda's value per frame for each feature: a number or a number[] per frame. */
export type MeydaFrames = Record<string, (number | number[])[]>;

/** Runs `Meyda.extract` over consecutive frames of `y` (`[samples]`). */
export function meydaFrames(y: Float32Array, opts: MeydaOptions): MeydaFrames {
  const bufferSize = opts.bufferSize ?? 512;
  if (bufferSize < 2 || (bufferSize & (bufferSize - 1)) !== 0) throw new Error(`meydaFrames: bufferSize must be a power of two, got ${bufferSize}`);
  const hop = opts.hopSize ?? bufferSize;
  const features = opts.features ?? ['rms', 'zcr', 'spectralCentroid', 'mfcc'];
  Meyda.bufferSize = bufferSize;
  Meyda.sampleRate = opts.sr;
  Meyda.melBands = opts.melBands ?? 26;
  Meyda.numberOfMFCCCoefficients = opts.numberOfMFCCCoefficients ?? 13;
  Meyda.windowingFunction = opts.windowingFunction ?? 'hanning';
  const out: MeydaFrames = Object.fromEntries(features.map((f) => [f, []]));
  for (let s = 0; s + bufferSize <= y.length; s += hop) {
    // meyda windows its input in place on some paths: give it a copy
    const r = Meyda.extract(features, y.slice(s, s + bufferSize));
    if (!r) throw new Error(`meydaFrames: meyda returned nothing for frame at sample ${s}`);
    for (const f of features) {
      const v = r[f];
      out[f].push(ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : (v as number | number[]));
    }
  }
  return out;
}
