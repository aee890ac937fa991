/**
 * Recurrent layers used by every model in lib/models. Models call these factories, never
 * `tf.layers.lstm` / `tf.layers.gru` directly, so the implementation behind them can change
 * without touching the models. Behind them: `FusedLSTM` / `FusedGRU` (fusedRecurrent.ts): on
 * tfjs-node's CPU backend the CPU kernel (native/rnn.cc via cpuKernel.ts, a whole stack per call on
 * every core), on tfjs-node-gpu or without that kernel TF-op kernels (TF `BlockLSTMV2`/`BlockLSTMGradV2`;
 * a batched-projection GRU recurrence with a hand-written backward), the same math in plain tfjs
 * ops on wasm/cpu.
 *
 * Conventions (PyTorch/Keras, not tfjs-layers' defaults): sigmoid recurrent activation (tfjs
 * defaults to hardSigmoid), tanh activation; GRU in the reset-after form (PyTorch `nn.GRU`, Keras
 * TF2 default), which tfjs-layers' GRU lacks. Gate orders and bias layouts: lstmKernel.ts, gruKernel.ts.
 */
import { tf, type TF } from '../backend';
import { FusedGRU, FusedLSTM, type FusedRecurrentArgs, type MergeMode, type RnnImplementation } from './fusedRecurrent';

export { FusedGRU, FusedLSTM, type FusedRecurrentArgs, type MergeMode, type RnnImplementation } from './fusedRecurrent';

export interface RecurrentConfig {
  units: number;
  /** Return the whole sequence [batch, time, units] instead of the last step [batch, units]. */
  returnSequences?: boolean;
  inputShape?: number[];
  /** Dropout on the layer's inputs (Keras semantics: one mask per sequence). Training only. */
  dropout?: number;
  name?: string;
  /** Stacked layers inside this layer (PyTorch `num_layers`). Default 1. */
  numLayers?: number;
  /** Dropout between stacked layers (PyTorch `dropout`). Training only. */
  interLayerDropout?: number;
  /** Both directions in one layer (same as wrapping with `bidirectional()`). */
  bidirectional?: boolean;
  mergeMode?: MergeMode;
  /** `auto` (default): fused native kernels where available, plain tfjs ops elsewhere. */
  implementation?: RnnImplementation;
}

/** LSTM layer: input [batch, time, features] → [batch, units] (or [batch, time, units] with returnSequences). */
export function lstm(cfg: RecurrentConfig): FusedLSTM {
  return new FusedLSTM(cfg);
}

/** GRU layer (reset-after): input [batch, time, features] → [batch, units] (or [batch, time, units]). */
export function gru(cfg: RecurrentConfig): FusedGRU {
  return new FusedGRU(cfg);
}

/**
 * Keras `Bidirectional`: both directions, outputs merged by `mergeMode` (concat doubles the units).
 * A layer from `lstm()`/`gru()` becomes one fused bidirectional layer with the same settings (and
 * name, if it was given one); any other tfjs RNN layer goes to `tf.layers.bidirectional`.
 */
export function bidirectional(layer: TF.layers.Layer, mergeMode: MergeMode = 'concat'): TF.layers.Layer {
  if (layer instanceof FusedLSTM || layer instanceof FusedGRU) {
    if (layer.bidirectional) throw new Error(`lib/layers/recurrent.ts: layer ${layer.name} is already bidirectional`);
    const args: FusedRecurrentArgs = { ...layer.args(), bidirectional: true, mergeMode, name: layer.givenName };
    return layer instanceof FusedLSTM ? new FusedLSTM(args) : new FusedGRU(args);
  }
  return tf.layers.bidirectional({ layer: layer as never, mergeMode });
}
