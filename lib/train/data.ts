/**
 * What the fit loop eats: a `BatchSource` is called once per epoch and yields {x, y} batches,
 * synchronously or asynchronously, so the feature cache can stream from disk and reshuffle each
 * epoch. The loop disposes every batch after use.
 */
import { tf, type TF } from '../backend';
import { shuffled } from './random';

export interface Batch {
  /** [batch, ...inputShape] */
  x: TF.Tensor;
  /** [batch, classes] one-hot / multi-hot, or [batch, outputs] for regression */
  y: TF.Tensor;
}

export type BatchSource = (epoch: number) => Iterable<Batch> | AsyncIterable<Batch>;

/** An in-memory set: row-major examples and their targets. */
export interface ArrayDataset {
  /** Row-major [n, ...shape]. */
  x: Float32Array;
  /** Shape of one example, e.g. [frames, nMfcc]. */
  shape: number[];
  /** Class index per example (single-label) … */
  labels?: ArrayLike<number>;
  /** … or row-major [n, classes] 0/1 targets (multi-label) or [n, outputs] regression targets. */
  targets?: Float32Array;
  /** Classes for one-hot labels; outputs per row for targets. */
  numClasses: number;
}

export function datasetSize(d: ArrayDataset): number {
  const per = d.shape.reduce((a, b) => a * b, 1);
  const n = d.x.length / per;
  if (!Number.isInteger(n)) throw new Error(`dataset: ${d.x.length} values do not split into examples of shape [${d.shape}]`);
  const labelled = d.labels ? d.labels.length : d.targets ? d.targets.length / d.numClasses : -1;
  if (labelled !== n) throw new Error(`dataset: ${n} examples but ${labelled} labels/target rows`);
  if (d.labels)
    for (let i = 0; i < n; i++) {
      const l = d.labels[i];
      if (!(Number.isInteger(l) && l >= 0 && l < d.numClasses)) throw new Error(`dataset: label ${l} of example ${i} is not a class index in 0..${d.numClasses - 1}`);
    }
  return n;
}

export interface BatchOptions {
  batchSize: number;
  /** Reshuffle each epoch with this source (omit for a fixed order, e.g. validation). */
  random?: () => number;
  /** Drop the last incomplete batch (seed 002's Keras Sequence does). */
  dropLast?: boolean;
}

/** Batches of an in-memory dataset; with `random`, a new permutation every epoch. */
export function arrayBatches(d: ArrayDataset, opts: BatchOptions): BatchSource {
  const n = datasetSize(d);
  const per = d.shape.reduce((a, b) => a * b, 1);
  const { batchSize, random, dropLast = false } = opts;
  if (!(batchSize >= 1)) throw new Error(`arrayBatches: batchSize must be ≥ 1, got ${batchSize}`);
  const base = Array.from({ length: n }, (_, i) => i);
  return function* () {
    const order = random ? shuffled(base, random) : base;
    for (let start = 0; start < n; start += batchSize) {
      const idx = order.slice(start, start + batchSize);
      if (dropLast && idx.length < batchSize) break;
      const xb = new Float32Array(idx.length * per);
      const yb = new Float32Array(idx.length * d.numClasses);
      idx.forEach((i, r) => {
        xb.set(d.x.subarray(i * per, (i + 1) * per), r * per);
        if (d.labels) yb[r * d.numClasses + d.labels[i]] = 1;
        else yb.set(d.targets!.subarray(i * d.numClasses, (i + 1) * d.numClasses), r * d.numClasses);
      });
      yield { x: tf.tensor(xb, [idx.length, ...d.shape]), y: tf.tensor2d(yb, [idx.length, d.numClasses]) };
    }
  };
}

/** Variable-length sequences, each row-major [frames, nFeatures], with row-major [n, outputs] targets. */
export interface SequenceSet {
  sequences: Float32Array[];
  nFeatures: number;
  targets: Float32Array;
  outputs: number;
}

export interface CropOptions {
  batchSize: number;
  /** Crop length is drawn per batch from min..max−1 (seed 002: `np.random.randint(128, 256)`). */
  minCrop: number;
  maxCrop: number;
  random: () => number;
  dropLast?: boolean;
  /**
   * Walk only this share of the batches each epoch, at least one (seed 002's Keras `Sequence`:
   * ⌊N / batch / 10⌋ batches, a reshuffled tenth of the set per epoch). Default 1: every batch.
   */
  epochShare?: number;
}

function cropInto(dst: Float32Array, at: number, seq: Float32Array, nFeatures: number, len: number, start: number): void {
  const frames = seq.length / nFeatures;
  const take = Math.min(len, frames - start);
  dst.set(seq.subarray(start * nFeatures, (start + take) * nFeatures), at); // shorter sequences stay zero-padded
}

/**
 * Seed 002's training batches: shuffled each epoch, one random crop length per batch, a random
 * window of that length from each sequence. x: [batch, crop, nFeatures].
 */
export function cropBatches(s: SequenceSet, opts: CropOptions): BatchSource {
  const { batchSize, minCrop, maxCrop, random, dropLast = false, epochShare = 1 } = opts;
  if (!(minCrop >= 1 && maxCrop > minCrop)) throw new Error(`cropBatches: need 1 ≤ minCrop < maxCrop, got ${minCrop}, ${maxCrop}`);
  const n = s.sequences.length;
  const base = Array.from({ length: n }, (_, i) => i);
  const batches = epochShare < 1 ? Math.max(1, Math.floor((n / batchSize) * epochShare)) : Infinity;
  return function* () {
    const order = shuffled(base, random);
    for (let b = 0; b < n && b / batchSize < batches; b += batchSize) {
      const idx = order.slice(b, b + batchSize);
      if (dropLast && idx.length < batchSize) break;
      const len = minCrop + Math.floor(random() * (maxCrop - minCrop));
      const xb = new Float32Array(idx.length * len * s.nFeatures);
      const yb = new Float32Array(idx.length * s.outputs);
      idx.forEach((i, r) => {
        const frames = s.sequences[i].length / s.nFeatures;
        const start = Math.floor(random() * (Math.max(0, frames - len) + 1));
        cropInto(xb, r * len * s.nFeatures, s.sequences[i], s.nFeatures, len, start);
        yb.set(s.targets.subarray(i * s.outputs, (i + 1) * s.outputs), r * s.outputs);
      });
      yield { x: tf.tensor3d(xb, [idx.length, len, s.nFeatures]), y: tf.tensor2d(yb, [idx.length, s.outputs]) };
    }
  };
}

/** Fixed evaluation batches: the centre `len` frames of each sequence, in order. */
export function centreCropBatches(s: SequenceSet, len: number, batchSize: number): BatchSource {
  const n = s.sequences.length;
  return function* () {
    for (let b = 0; b < n; b += batchSize) {
      const idx = Array.from({ length: Math.min(batchSize, n - b) }, (_, k) => b + k);
      const xb = new Float32Array(idx.length * len * s.nFeatures);
      const yb = new Float32Array(idx.length * s.outputs);
      idx.forEach((i, r) => {
        const frames = s.sequences[i].length / s.nFeatures;
        cropInto(xb, r * len * s.nFeatures, s.sequences[i], s.nFeatures, len, Math.max(0, Math.floor((frames - len) / 2)));
        yb.set(s.targets.subarray(i * s.outputs, (i + 1) * s.outputs), r * s.outputs);
      });
      yield { x: tf.tensor3d(xb, [idx.length, len, s.nFeatures]), y: tf.tensor2d(yb, [idx.length, s.outputs]) };
    }
  };
}
