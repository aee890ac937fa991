/**
 * The lecture series' tfjs networks (seed 003, Valerio Velardo's "Deep Learning for Audio with
 * Python", notebooks 13–19), layer for layer as in Keras:
 * - `firstNetwork`: 2 → 5 → 1, sigmoid, learns to add two numbers (SGD 0.1, MSE).
 * - `lectureMlp`: flatten → 512 → 256 → 64 → 10 ReLU/softmax; the regularised version adds
 *   L2 0.001 on every hidden kernel and dropout 0.3 after every hidden layer.
 * - `lectureCnn`: 3 conv blocks of 32 filters (3×3, 3×3, 2×2, valid) each with max-pool
 *   (3×3 s2, 3×3 s2, 2×2 s2, `same`) and batch norm, flatten, dense 64, dropout 0.3, softmax.
 * - `lectureRnn`: LSTM 64 (sequence) → LSTM 64 → dense 64 ReLU → dropout 0.3 → softmax.
 * Inputs are MFCC segments [frames=130, nMfcc=13] (22050 Hz, 3 s segments, hop 512).
 */
import { tf, type TF } from '../backend';
import { batchNormalization } from '../layers/batchNorm';
import { conv2d } from '../layers/conv2d';
import { maxPooling2d } from '../layers/pool';
import { lstm } from '../layers/recurrent';

/**
 * Keras' `Dense(n, activation="softmax")` as two layers: the dense logits, then a softmax
 * `Activation`. Same parameters and outputs; `fit` trains through the logits (what Keras does
 * internally for softmax + crossentropy) so saturated probabilities do not stop the gradient.
 */
function softmaxHead(numClasses: number): TF.layers.Layer[] {
  return [tf.layers.dense({ units: numClasses, name: 'logits' }), tf.layers.activation({ activation: 'softmax', name: 'softmax' })];
}

/** Segment shape of the lectures: 10 segments per 30 s track → ⌈66150 / 512⌉ = 130 frames × 13 MFCCs. */
export const LECTURE_INPUT: [number, number] = [130, 13];

/** The first Keras model of the lectures: Dense(5, sigmoid, input_dim=2) → Dense(1, sigmoid). 21 parameters. */
export function firstNetwork(): TF.LayersModel {
  return tf.sequential({
    name: 'first_network',
    layers: [
      tf.layers.dense({ units: 5, inputShape: [2], activation: 'sigmoid' }),
      tf.layers.dense({ units: 1, activation: 'sigmoid' }),
    ],
  });
}

export interface LectureMlpConfig {
  /** [frames, nMfcc], default [130, 13]. */
  inputShape?: [number, number];
  numClasses?: number;
  /** Hidden sizes (default the lecture's [512, 256, 64]). */
  hidden?: number[];
  /** L2 factor on hidden kernels (Keras `l2(0.001)` in the regularised version; 0 = none). */
  l2?: number;
  /** Dropout after each hidden layer (0.3 in the regularised version; 0 = none). */
  dropout?: number;
}

/** Input [batch, frames, nMfcc] → softmax [batch, numClasses]. */
export function lectureMlp(cfg: LectureMlpConfig = {}): TF.LayersModel {
  const { inputShape = LECTURE_INPUT, numClasses = 10, hidden = [512, 256, 64], l2 = 0, dropout = 0 } = cfg;
  const layers: TF.layers.Layer[] = [tf.layers.flatten({ inputShape })];
  for (const units of hidden) {
    layers.push(tf.layers.dense({ units, activation: 'relu', kernelRegularizer: l2 > 0 ? tf.regularizers.l2({ l2 }) : undefined }));
    if (dropout > 0) layers.push(tf.layers.dropout({ rate: dropout }));
  }
  layers.push(...softmaxHead(numClasses));
  return tf.sequential({ name: l2 > 0 || dropout > 0 ? 'lecture_mlp_regularised' : 'lecture_mlp', layers });
}

export interface LectureCnnConfig {
  /** [frames, nMfcc, 1], default [130, 13, 1]. */
  inputShape?: [number, number, number];
  numClasses?: number;
  filters?: number;
  dense?: number;
  dropout?: number;
  /** Batch-norm moving-average momentum (Keras default 0.99; lower settles faster on tiny sets). */
  batchNormMomentum?: number;
}

/** Input [batch, frames, nMfcc, 1] → softmax [batch, numClasses]. */
export function lectureCnn(cfg: LectureCnnConfig = {}): TF.LayersModel {
  const { inputShape = [...LECTURE_INPUT, 1] as [number, number, number], numClasses = 10, filters = 32, dense = 64, dropout = 0.3, batchNormMomentum = 0.99 } = cfg;
  const blocks: [number, number][] = [
    [3, 3],
    [3, 3],
    [2, 2],
  ]; // [kernel, pool] per block; every pool has stride 2 and `same` padding
  const layers: TF.layers.Layer[] = [];
  blocks.forEach(([kernel, pool], i) => {
    layers.push(conv2d({ filters, kernelSize: kernel, activation: 'relu', ...(i === 0 ? { inputShape } : {}) }));
    layers.push(maxPooling2d({ poolSize: pool, strides: 2, padding: 'same' }));
    layers.push(batchNormalization({ momentum: batchNormMomentum }));
  });
  layers.push(tf.layers.flatten(), tf.layers.dense({ units: dense, activation: 'relu' }), tf.layers.dropout({ rate: dropout }));
  layers.push(...softmaxHead(numClasses));
  return tf.sequential({ name: 'lecture_cnn', layers });
}

export interface LectureRnnConfig {
  /** [frames, nMfcc], default [130, 13]. */
  inputShape?: [number, number];
  numClasses?: number;
  units?: number;
  dense?: number;
  dropout?: number;
}

/** Input [batch, frames, nMfcc] → softmax [batch, numClasses]. */
export function lectureRnn(cfg: LectureRnnConfig = {}): TF.LayersModel {
  const { inputShape = LECTURE_INPUT, numClasses = 10, units = 64, dense = 64, dropout = 0.3 } = cfg;
  return tf.sequential({
    name: 'lecture_rnn',
    layers: [
      lstm({ units, returnSequences: true, inputShape }),
      lstm({ units }),
      tf.layers.dense({ units: dense, activation: 'relu' }),
      tf.layers.dropout({ rate: dropout }),
      ...softmaxHead(numClasses),
    ],
  });
}
