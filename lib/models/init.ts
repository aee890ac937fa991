/**
 * Each source framework's own weight initialisation, applied to a built tfjs model in place.
 * tfjs' defaults are neither: its Dense and Conv2D kernels start `glorotNormal`, where Keras uses
 * `glorot_uniform` and PyTorch `kaiming_uniform_(a=√5)`.
 *
 * - `keras`: Dense / Conv kernels glorot-uniform, limit √(6 / (fan_in + fan_out)), biases zero.
 *   Recurrent layers already start as Keras' (lib/layers: glorot-uniform kernel, orthogonal
 *   recurrent kernel, zero bias with the forget gate at 1) and are left alone.
 * - `torch`: `nn.Linear` / `nn.Conv2d` weights and biases U(±1/√fan_in) (kaiming_uniform with
 *   a=√5 has exactly that bound); `nn.LSTM` / `nn.GRU` every weight U(±1/√hidden). PyTorch's LSTM
 *   has two bias vectors (b_ih + b_hh) where ours has one, so our bias is the sum of two such draws.
 * Batch-norm scale 1 / offset 0 is the same in both. Draws go through tfjs' random ops, which
 * `withSeed` (lib/train/random) makes repeatable.
 */
import { tf, type TF } from '../backend';

export type Framework = 'keras' | 'torch';

const uniform = (shape: number[], k: number) => tf.randomUniform(shape, -k, k);

/** The weights a layer should start from under `framework`, or null to keep its own. */
function initialWeights(layer: TF.layers.Layer, framework: Framework): TF.Tensor[] | null {
  const cls = layer.getClassName();
  const weights = layer.getWeights();
  const names = layer.weights.map((w) => (w.originalName ?? w.name).split('/').pop() ?? '');
  if (cls === 'Dense' || cls === 'Conv2D' || cls === 'Conv1D') {
    const kernel = weights[names.indexOf('kernel')];
    if (!kernel) return null;
    const s = kernel.shape;
    const receptive = s.slice(0, -2).reduce((a, b) => a * b, 1);
    const fanIn = receptive * s[s.length - 2];
    const fanOut = receptive * s[s.length - 1];
    return names.map((n, i) => {
      if (n === 'kernel') return framework === 'torch' ? uniform(s, 1 / Math.sqrt(fanIn)) : uniform(s, Math.sqrt(6 / (fanIn + fanOut)));
      if (n === 'bias') return framework === 'torch' ? uniform(weights[i].shape, 1 / Math.sqrt(fanIn)) : tf.zerosLike(weights[i]);
      return weights[i].clone();
    });
  }
  if ((cls === 'FusedLSTM' || cls === 'FusedGRU') && framework === 'torch') {
    // every weight of the stack U(±1/√hidden)
    const k = 1 / Math.sqrt((layer as unknown as { units: number }).units);
    return names.map((n, i) => (n.endsWith('bias') && cls === 'FusedLSTM' ? tf.add(uniform(weights[i].shape, k), uniform(weights[i].shape, k)) : uniform(weights[i].shape, k)));
  }
  return null;
}

/** Re-initialises `model`'s Dense, Conv and (for `torch`) recurrent weights as `framework` does; returns `model`. */
export function initLike<M extends TF.LayersModel>(model: M, framework: Framework): M {
  for (const layer of model.layers) {
    const next = initialWeights(layer, framework);
    if (!next) continue;
    layer.setWeights(next);
    tf.dispose(next);
  }
  return model;
}
