/**
 * Inverted dropout as one differentiable op that keeps only its mask for the backward pass.
 *
 * tfjs' `dropout` draws its uniform numbers in JavaScript (tfjs-core `randomUniform`: one JS PRNG
 * call per element, a million per [32, 256, 128] activation), then builds the mask from them with
 * Add, Floor and RealDiv and multiplies; the tape's `Mul` then keeps both the input and the mask for
 * the backward pass. Here, on the native TensorFlow backends (tfjs-node and tfjs-node-gpu), the
 * uniform numbers come from TensorFlow's `StatelessRandomUniform` (seeded from `Math.random`, so
 * lib/train/random.ts' `withSeed` still makes a run repeat); every backend keeps only the mask
 * (the gradient is dy·mask). Same distribution as tfjs' dropout: an element is kept, scaled by
 * 1/(1 − rate), with probability 1 − rate. Inference is the identity, as in tfjs-layers.
 *
 * The layer extends tfjs-layers' `Dropout` and serialises under its class name; it is not
 * registered, so a saved model reloads with tfjs-layers' own (identical) layer.
 */
import { tf, type TF } from '../backend';
import { rawOps, nativeOpsAvailable } from './tfRaw';

type DropoutArgs = Parameters<typeof tf.layers.dropout>[0];
type Base = ReturnType<typeof tf.layers.dropout>;
const DropoutBase = tf.layers.dropout({ rate: 0 }).constructor as unknown as { new (args: DropoutArgs): Base; className: string };


/** Uniform [0, 1) numbers of `shape`: TensorFlow's stateless generator on native backends, else tfjs'. */
function uniform(shape: number[]): TF.Tensor {
  if (!nativeOpsAvailable()) return tf.randomUniform(shape);
  const r = rawOps();
  const draw = () => Math.floor(Math.random() * 2 ** 31);
  const seed = r.b.createTensor([2], r.b.TF_INT32, Int32Array.from([draw(), draw()]));
  try {
    const attrs = [r.type('dtype', 'float32'), r.type('T', 'int32'), r.type('Tseed', 'int32')];
    return r.toTensor({ id: r.run1('StatelessRandomUniform', attrs, [r.int32(shape), seed]), shape });
  } finally {
    r.free(seed);
  }
}

/** x·mask, mask = 1/(1 − rate) where a uniform draw ≥ rate, else 0; the gradient dy·mask. */
export function dropoutOp(x: TF.Tensor, rate: number): TF.Tensor {
  if (!(rate > 0 && rate < 1)) throw new Error(`dropoutOp: rate must be in (0, 1), got ${rate}`);
  const f = tf.customGrad(((xs: TF.Tensor, save: TF.GradSaveFunc) => {
    const mask = tf.tidy(() => {
      const u = uniform(xs.shape);
      return tf.mul(tf.cast(tf.greaterEqual(u, rate), 'float32'), 1 / (1 - rate));
    });
    save([mask]);
    return { value: tf.mul(xs, mask), gradFunc: (dy: TF.Tensor, saved: TF.Tensor[]) => [tf.mul(dy, saved[0])] };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x);
}

/** tfjs-layers' `Dropout` training through `dropoutOp` (a noise shape, if given, keeps tfjs' own path). */
export class Dropout extends DropoutBase {
  static className = 'Dropout';

  call(inputs: TF.Tensor | TF.Tensor[], kwargs: TF.serialization.ConfigDict): TF.Tensor | TF.Tensor[] {
    const me = this as unknown as { rate: number; noiseShape?: number[] };
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!kwargs?.training || me.noiseShape != null || !(me.rate > 0 && me.rate < 1) || x.dtype !== 'float32') return super.call(inputs, kwargs as never);
    return dropoutOp(x, me.rate);
  }
}

/** `tf.layers.dropout` training through `dropoutOp`. */
export function dropout(args: DropoutArgs): Dropout {
  return new Dropout(args);
}
