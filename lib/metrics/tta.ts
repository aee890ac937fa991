/**
 * Test-time augmentation as seed 002 does it: predict several random crops of one long sequence
 * and average the predictions (its write-up: 16 crops lift transformer AUC-PR 0.20 → 0.22).
 */
import { tf, type TF } from '../backend';

export interface TtaOptions {
  /** Crops per sequence (seed 002: 16). */
  crops?: number;
  /** Frames per crop; sequences shorter than this are predicted whole. */
  cropLength: number;
  /** Uniform [0, 1) source for crop offsets; pass a seeded one for reproducible scores. */
  random?: () => number;
}

/** Start frames of `crops` random windows of `cropLength` inside `frames` (numpy `randint(0, frames − cropLength + 1)`). */
export function cropOffsets(frames: number, cropLength: number, crops: number, random: () => number = Math.random): number[] {
  const span = Math.max(0, frames - cropLength);
  return Array.from({ length: crops }, () => Math.floor(random() * (span + 1)));
}

/** Element-wise mean of equally long prediction vectors. */
export function averagePredictions(preds: ArrayLike<number>[]): Float32Array {
  if (!preds.length) throw new Error('averagePredictions: no predictions');
  const out = new Float32Array(preds[0].length);
  for (const p of preds) {
    if (p.length !== out.length) throw new Error(`averagePredictions: prediction of length ${p.length} next to ${out.length}`);
    for (let i = 0; i < out.length; i++) out[i] += p[i];
  }
  for (let i = 0; i < out.length; i++) out[i] /= preds.length;
  return out;
}

/**
 * Averages `model` predictions over random crops of one sequence.
 * @param sequence row-major [frames, nFeatures] (a feature `Matrix` transposed to time-major)
 * @returns the mean prediction [numOutputs]
 */
export function predictWithTta(model: TF.LayersModel, sequence: Float32Array, nFeatures: number, opts: TtaOptions): Float32Array {
  const frames = sequence.length / nFeatures;
  if (!Number.isInteger(frames)) throw new Error(`predictWithTta: ${sequence.length} values do not split into frames of ${nFeatures} features`);
  const len = Math.min(opts.cropLength, frames);
  const offsets = cropOffsets(frames, len, opts.crops ?? 16, opts.random);
  const batch = new Float32Array(offsets.length * len * nFeatures);
  offsets.forEach((o, i) => batch.set(sequence.subarray(o * nFeatures, (o + len) * nFeatures), i * len * nFeatures));
  const y = tf.tidy(() => tf.mean(model.predict(tf.tensor3d(batch, [offsets.length, len, nFeatures])) as TF.Tensor, 0));
  const out = y.dataSync() as Float32Array;
  y.dispose();
  return Float32Array.from(out);
}
