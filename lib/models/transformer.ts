/**
 * Seed 002's Transformer classifier (CVxTz/music_genre_classification `transformer_classifier`,
 * encoder from the TensorFlow transformer tutorial): the 128-band mel frames are the tokens
 * (d_model = 128, no embedding), x·√d + sinusoidal positions → dropout → 4 post-norm encoder
 * layers [self-attention (8 heads) → dropout → add & LayerNorm(ε 1e-6) → Dense(256, ReLU) →
 * Dense(128) → dropout → add & LayerNorm] → Dropout(0.2) → GlobalAveragePooling1D →
 * Dense(4·C, selu) → Dense(C, sigmoid). Encoder dropout `rate=0.3`.
 */
import { tf, type TF } from '../backend';
import { dense } from '../layers/dense';
import { dropout as dropoutLayer } from '../layers/dropout';
import { layerNormalization } from '../layers/layerNorm';
import { MultiHeadSelfAttention, SinusoidalPositionalEncoding } from './attention';

export interface TransformerConfig {
  /** Mel bands per frame = d_model. */
  nMels?: number;
  layers?: number;
  heads?: number;
  /** Feed-forward width (`dff`). */
  dff?: number;
  /** Encoder dropout (`rate=0.3`). */
  rate?: number;
  /** Dropout before pooling. */
  dropout?: number;
  maxLength?: number;
  timeSteps?: number | null;
  numClasses?: number;
}

type Sym = TF.SymbolicTensor;

/** One post-norm encoder layer (the tutorial's `EncoderLayer`): [batch, time, d] → same. */
export function encoderLayer(x: Sym, d: number, heads: number, dff: number, rate: number, i: number): Sym {
  const p = `enc${i + 1}`;
  let attn = new MultiHeadSelfAttention({ numHeads: heads, name: `${p}_mha` }).apply(x) as Sym;
  attn = dropoutLayer({ rate, name: `${p}_drop1` }).apply(attn) as Sym;
  const out1 = layerNormalization({ epsilon: 1e-6, name: `${p}_ln1` }).apply(tf.layers.add().apply([x, attn]) as Sym) as Sym;
  let ffn = dense({ units: dff, activation: 'relu', name: `${p}_ffn1` }).apply(out1) as Sym;
  ffn = dense({ units: d, name: `${p}_ffn2` }).apply(ffn) as Sym;
  ffn = dropoutLayer({ rate, name: `${p}_drop2` }).apply(ffn) as Sym;
  return layerNormalization({ epsilon: 1e-6, name: `${p}_ln2` }).apply(tf.layers.add().apply([out1, ffn]) as Sym) as Sym;
}

/** Input [batch, timeSteps, nMels] → per-genre probabilities [batch, numClasses] (sigmoid). */
export function transformerClassifier(cfg: TransformerConfig = {}): TF.LayersModel {
  const { nMels = 128, layers = 4, heads = 8, dff = 256, rate = 0.3, dropout = 0.2, maxLength = 2048, timeSteps = null, numClasses = 163 } = cfg;
  const input = tf.input({ shape: [timeSteps as number, nMels], name: 'mel' });
  let x = new SinusoidalPositionalEncoding({ maxLength, name: 'positions' }).apply(input) as Sym;
  x = dropoutLayer({ rate, name: 'enc_drop' }).apply(x) as Sym;
  for (let i = 0; i < layers; i++) x = encoderLayer(x, nMels, heads, dff, rate, i);
  x = dropoutLayer({ rate: dropout }).apply(x) as Sym;
  x = tf.layers.globalAveragePooling1d().apply(x) as Sym;
  x = tf.layers.dense({ units: 4 * numClasses, activation: 'selu' }).apply(x) as Sym;
  const out = tf.layers.dense({ units: numClasses, activation: 'sigmoid' }).apply(x) as Sym;
  return tf.model({ inputs: input, outputs: out, name: 'transformer_classifier' });
}
