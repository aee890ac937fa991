/**
 * Layer normalisation through broadcasting ops. tfjs-layers' `LayerNormalization` tiles γ and β to the
 * input's full shape before calling `batchNormalization` (a workaround for its gradient), and the
 * gradient of `Tile` is one Slice + Add per tile: batch × time pairs per weight, 131k eager ops per
 * training step of seed 002's Transformer (4 encoder layers × 2 norms, batch 32 × 256 frames), most of
 * that step's time. Here y = (x − μ)·(γ/√(σ² + ε)) + β with μ, σ² the moments over the normalised axes
 * and γ, β broadcast; the gradients reduce the broadcast axes with one Sum each. Same weights, config and
 * serialised class name as tfjs-layers' layer (this extends it), so saved models load either way; every
 * backend takes this path.
 */
import { tf, type TF } from '../backend';

type LayerNormArgs = Parameters<typeof tf.layers.layerNormalization>[0];
type Base = ReturnType<typeof tf.layers.layerNormalization>;
/** tfjs-layers does not export the class itself; its constructor is the factory's product's. */
const LayerNormalizationBase = tf.layers.layerNormalization({}).constructor as unknown as { new (args?: LayerNormArgs): Base; className: string };

interface Internals {
  axis: number[];
  epsilon: number;
  gamma: TF.LayerVariable | null;
  beta: TF.LayerVariable | null;
}

/** tfjs-layers' `LayerNormalization` without the tiling (see the module comment). */
export class LayerNormalization extends LayerNormalizationBase {
  static className = 'LayerNormalization';

  call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const me = this as unknown as Internals;
    return tf.tidy(() => {
      const { mean, variance } = tf.moments(x, me.axis, true);
      const shape = x.shape.map((n, i) => (me.axis.includes(i) ? n : 1));
      // tfjs-node's batch norm order: inv = rsqrt(σ² + ε)·γ, y = (x − μ)·inv + β
      let inv = tf.rsqrt(tf.add(variance, me.epsilon));
      if (me.gamma) inv = tf.mul(inv, tf.reshape(me.gamma.read(), shape));
      const y = tf.mul(tf.sub(x, mean), inv);
      return me.beta ? tf.add(y, tf.reshape(me.beta.read(), shape)) : y;
    });
  }
}

tf.serialization.registerClass(LayerNormalization as never);

/** `tf.layers.layerNormalization` without the tiled gradient. */
export function layerNormalization(args?: LayerNormArgs): LayerNormalization {
  return new LayerNormalization(args);
}
