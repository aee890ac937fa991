/**
 * Seed 002's recurrent classifier (CVxTz/music_genre_classification `models.rnn_classifier`):
 * 2 × Bidirectional(GRU(128, return_sequences)) → Dropout(0.2) → GlobalAveragePooling1D →
 * Dense(4·C, selu) → Dense(C, sigmoid), multi-label over C genres.
 *
 * Keras' GRU is reset-after (`reset_after=True`, as PyTorch's), with two bias vectors per gate.
 * `gru()` from lib/layers/recurrent is reset-after as well, so this model has Keras' 768,595
 * parameters at 163 classes; tfjs-layers' own GRU (no `resetAfter`, one bias, reset gate before
 * the recurrent matmul) would have 3·units fewer per direction and layer.
 */
import { tf, type TF } from '../backend';
import { bidirectional, gru } from '../layers/recurrent';

export interface BiGruConfig {
  /** Mel bands per frame = GRU units (`d_model=128`). */
  nMels?: number;
  units?: number;
  /** Bidirectional GRU layers (`n_layers=2`). */
  layers?: number;
  /** Frames per example, or null for any length (seed 002 trains on random crops of 128–256 frames). */
  timeSteps?: number | null;
  /** Genres (the write-up's FMA-large run: 163 targets). */
  numClasses?: number;
  dropout?: number;
}

/** Input [batch, timeSteps, nMels] → per-genre probabilities [batch, numClasses] (sigmoid). */
export function biGruClassifier(cfg: BiGruConfig = {}): TF.LayersModel {
  const { nMels = 128, units = 128, layers = 2, timeSteps = null, numClasses = 163, dropout = 0.2 } = cfg;
  const input = tf.input({ shape: [timeSteps as number, nMels], name: 'mel' });
  let x: TF.SymbolicTensor = input;
  for (let i = 0; i < layers; i++) x = bidirectional(gru({ units, returnSequences: true, name: `gru${i + 1}` })).apply(x) as TF.SymbolicTensor;
  x = tf.layers.dropout({ rate: dropout }).apply(x) as TF.SymbolicTensor;
  x = tf.layers.globalAveragePooling1d().apply(x) as TF.SymbolicTensor;
  x = tf.layers.dense({ units: 4 * numClasses, activation: 'selu' }).apply(x) as TF.SymbolicTensor;
  const out = tf.layers.dense({ units: numClasses, activation: 'sigmoid' }).apply(x) as TF.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'bigru_classifier' });
}
