/**
 * LSTM classifiers of the PyTorch seeds. Both end in a linear layer on the last time step and
 * emit logits (PyTorch's `nn.CrossEntropyLoss` applies the softmax), so train them with a
 * from-logits loss and read probabilities through `toProbabilities`.
 *
 * PyTorch's `nn.LSTM(dropout=p)` drops the outputs of every layer but the last, per element and
 * per time step; that is a `tf.layers.dropout` between the recurrent layers here, not the
 * recurrent layer's own `dropout` (Keras' input dropout reuses one mask across time).
 * PyTorch keeps two bias vectors per gate (`bias_ih`, `bias_hh`) where tfjs keeps one, so a
 * tfjs LSTM has 4·units fewer parameters per layer with the same function.
 */
import { tf, type TF } from '../backend';
import { lstm } from '../layers/recurrent';

function stackedLstm(name: string, time: number | null, nFeatures: number, hidden: number, layers: number, interDropout: number, headDropout: number, numClasses: number): TF.LayersModel {
  const out: TF.layers.Layer[] = [];
  for (let i = 0; i < layers; i++) {
    const last = i === layers - 1;
    out.push(lstm({ units: hidden, returnSequences: !last, ...(i === 0 ? { inputShape: [time as number, nFeatures] } : {}), name: `${name}_lstm${i + 1}` }));
    if (!last && interDropout > 0) out.push(tf.layers.dropout({ rate: interDropout }));
  }
  if (headDropout > 0) out.push(tf.layers.dropout({ rate: headDropout }));
  out.push(tf.layers.dense({ units: numClasses, name: `${name}_fc` }));
  return tf.sequential({ name, layers: out });
}

export interface AudioLstmConfig {
  /** Features per frame (seed 000: 40 mel bands + 40 MFCCs = 80). */
  nFeatures?: number;
  /**
   * Frames per example, or null for any length (seed 000: 66000 samples with torchaudio's
   * default hop 200 → 331 frames).
   */
  timeSteps?: number | null;
  numClasses?: number;
  /** `n_hidden=256`. */
  hidden?: number;
  /** `n_layers=3`. */
  layers?: number;
  /** `dropout=0.2`, used both between the LSTM layers and before the linear head. */
  dropout?: number;
}

/**
 * Seed 000 `AudioLSTM`: `nn.LSTM(80, 256, num_layers=3, dropout=0.2)` → `Dropout(0.2)` →
 * `Linear(256, 10)` on the last step. Input [batch, timeSteps, nFeatures] → logits [batch, numClasses].
 */
export function audioLstm(cfg: AudioLstmConfig = {}): TF.LayersModel {
  const { nFeatures = 80, timeSteps = 331, numClasses = 10, hidden = 256, layers = 3, dropout = 0.2 } = cfg;
  return stackedLstm('audio_lstm', timeSteps, nFeatures, hidden, layers, dropout, dropout, numClasses);
}

export interface GenreLstmConfig {
  /** 33 = 13 MFCC + 1 spectral centroid + 12 chroma + 7 spectral contrast (the upstream project's features). */
  nFeatures?: number;
  /** The upstream code keeps the first 128 frames (~3 s at hop 512). */
  timeSteps?: number | null;
  /** 8: the upstream code drops blues and rock. */
  numClasses?: number;
  hidden?: number;
  layers?: number;
  /**
   * Seed 001's "optim" variant adds dropout; its rate is not stated in the seed's write-up, so
   * 0.2 (the common PyTorch choice) is ours. 0 gives the starting point's model exactly.
   */
  dropout?: number;
}

/**
 * Seed 001 (after ruohoruotsi/LSTM-Music-Genre-Classification): `nn.LSTM(33, 128, num_layers=2)`
 * → `Linear(128, 8)` on the last step; with `dropout` > 0, the seed's variant with dropout between
 * the layers and before the head. Input [batch, timeSteps, nFeatures] → logits [batch, numClasses].
 */
export function genreLstm(cfg: GenreLstmConfig = {}): TF.LayersModel {
  const { nFeatures = 33, timeSteps = 128, numClasses = 8, hidden = 128, layers = 2, dropout = 0 } = cfg;
  return stackedLstm(dropout > 0 ? 'genre_lstm_dropout' : 'genre_lstm', timeSteps, nFeatures, hidden, layers, dropout, dropout, numClasses);
}
