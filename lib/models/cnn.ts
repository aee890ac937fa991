/**
 * Convolutional classifiers of seeds 001 and 004 (PyTorch). Both emit logits: the PyTorch
 * `CrossEntropyLoss` they train with applies the softmax itself.
 *
 * Images are [height=features, width=frames, channels=1] (channels last, tfjs' default), i.e. a
 * feature `Matrix` [features, frames] with a trailing axis; PyTorch's [1, features, frames] in the
 * seeds holds the same numbers.
 */
import { tf, type TF } from '../backend';
import { batchNormalization } from '../layers/batchNorm';
import { conv2d } from '../layers/conv2d';
import { maxPooling2d } from '../layers/pool';

export interface MfccCnnConfig {
  /** [nMfcc, frames, 1]; default 13 MFCCs of a 6 s segment (30 s / 5 segments, hop 512 → 259 frames). */
  inputShape?: [number, number, number];
  numClasses?: number;
  /** Channels of the three 3×3 (padding 1) conv blocks. The seed does not list them; ours. */
  channels?: [number, number, number];
  /** Units of the dense layer after flatten (not in the seed's write-up; ours). */
  dense?: number;
  dropout?: number;
}

/**
 * Seed 001's CNN on MFCC images: 3 × [conv 3×3 pad 1 → batch norm → ReLU → max-pool 2] →
 * flatten → dense → ReLU → dropout → linear. Batch norm uses PyTorch's `BatchNorm2d` defaults
 * (momentum 0.1 = Keras 0.9, eps 1e-5). Input [batch, nMfcc, frames, 1] → logits.
 */
export function mfccCnn(cfg: MfccCnnConfig = {}): TF.LayersModel {
  const { inputShape = [13, 259, 1], numClasses = 8, channels = [16, 32, 64], dense = 128, dropout = 0.5 } = cfg;
  const layers: TF.layers.Layer[] = [];
  channels.forEach((filters, i) => {
    layers.push(conv2d({ filters, kernelSize: 3, padding: 'same', ...(i === 0 ? { inputShape } : {}) }));
    layers.push(batchNormalization({ momentum: 0.9, epsilon: 1e-5 }));
    layers.push(tf.layers.reLU());
    layers.push(maxPooling2d({ poolSize: 2, strides: 2 }));
  });
  layers.push(tf.layers.flatten(), tf.layers.dense({ units: dense, activation: 'relu' }), tf.layers.dropout({ rate: dropout }));
  layers.push(tf.layers.dense({ units: numClasses }));
  return tf.sequential({ name: 'mfcc_cnn', layers });
}

export interface TrackCnnConfig {
  /**
   * `readme` (default): the README's design, whole-track mel spectrograms [nMels=128, frames=1293, 1]
   * (30 s at 22050 Hz, hop 512: 1 + ⌊661500/512⌋ = 1293 frames).
   * `code`: what the code does, 20 MFCCs (torchaudio `MFCC(log_mels=True)`, n_fft 400, hop 200)
   * of the first second [20, 111, 1] (22050 samples → 1 + ⌊22050/200⌋ = 111 frames; the seed's
   * `summary(cnn, (1, 13, 111))` shows the same 111 frames).
   */
  variant?: 'readme' | 'code';
  inputShape?: [number, number, number];
  numClasses?: number;
  channels?: [number, number, number, number];
  /** End in a softmax layer, as the seed's own `forward` (`nn.Softmax(dim=1)` after the linear layer). */
  softmax?: boolean;
}

/** Input shape of each seed-004 variant. */
export function trackCnnInputShape(variant: 'readme' | 'code'): [number, number, number] {
  return variant === 'code' ? [20, 111, 1] : [128, 1293, 1];
}

/**
 * Seed 004 (EnrcDamn/MusicGenreClassifier-PyTorch `CNNNetwork`): 4 × [conv k3 stride 1 padding 2 →
 * ReLU → max-pool 2] with 16/32/64/128 channels → flatten → linear → logits.
 *
 * The seed's `forward` ends in `nn.Softmax` and is then trained with `nn.CrossEntropyLoss`, which
 * applies log-softmax again: the double softmax squashes the gradients. We do not copy it; the
 * model emits logits and the loss applies the one softmax; `softmax: true` adds the seed's layer
 * back (experiment seed004-cnn-faithful, trained with the same cross-entropy from logits).
 */
export function trackCnn(cfg: TrackCnnConfig = {}): TF.LayersModel {
  const variant = cfg.variant ?? 'readme';
  const { inputShape = trackCnnInputShape(variant), numClasses = 10, channels = [16, 32, 64, 128] } = cfg;
  const layers: TF.layers.Layer[] = [];
  channels.forEach((filters, i) => {
    // PyTorch `padding=2` on a 3×3 kernel grows each side by one: neither 'same' nor 'valid'.
    layers.push(tf.layers.zeroPadding2d({ padding: 2, ...(i === 0 ? { inputShape } : {}) }));
    layers.push(conv2d({ filters, kernelSize: 3, activation: 'relu' }));
    layers.push(maxPooling2d({ poolSize: 2, strides: 2 }));
  });
  layers.push(tf.layers.flatten(), tf.layers.dense({ units: numClasses }));
  if (cfg.softmax) layers.push(tf.layers.softmax());
  return tf.sequential({ name: `track_cnn_${variant}${cfg.softmax ? '_softmax' : ''}`, layers });
}
