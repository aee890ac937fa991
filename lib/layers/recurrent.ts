/**
 * Recurrent layers used by every model in lib/models. Models call these factories, never
 * `tf.layers.lstm` / `tf.layers.gru` directly, so the implementation behind them can change
 * (fused native kernels on tfjs-node; tfjs-layers elsewhere) without touching the models.
 *
 * Conventions (PyTorch/Keras, not tfjs-layers' defaults): sigmoid recurrent activation (tfjs
 * defaults to hardSigmoid), tanh activation.
 */
import { tf, type TF } from '../backend';

export interface RecurrentConfig {
  units: number;
  /** Return the whole sequence [batch, time, units] instead of the last step [batch, units]. */
  returnSequences?: boolean;
  inputShape?: number[];
  /** Dropout on the layer's inputs (Keras semantics). */
  dropout?: number;
  name?: string;
}

export function lstm(cfg: RecurrentConfig): TF.layers.Layer {
  return tf.layers.lstm({ ...cfg, recurrentActivation: 'sigmoid', activation: 'tanh' });
}

export function gru(cfg: RecurrentConfig): TF.layers.Layer {
  return tf.layers.gru({ ...cfg, recurrentActivation: 'sigmoid', activation: 'tanh' });
}

export function bidirectional(layer: TF.layers.Layer, mergeMode: 'concat' | 'sum' | 'mul' | 'ave' = 'concat'): TF.layers.Layer {
  return tf.layers.bidirectional({ layer: layer as never, mergeMode });
}
