/**
 * Inverted dropout as one differentiable op that keeps only its mask for the backward pass.
 *
 * tfjs' `dropout` draws its uniform numbers in JavaScript (tfjs-core `randomUniform`: one JS PRNG
 * call per element, a million per [32, 256, 128] activation), then builds the mask from them with
 * Add, Floor and RealDiv and multiplies; the tape's `Mul` then keeps both the input and the mask for
 * the backward pass. Here, on the native CPU backend with the addon's TF ops registered
 * (lib/layers/nativeKernels.ts), one op, `GenreLabDropout` (native/tfops.cc), draws, masks and
 * multiplies on every thread; on tfjs-node-gpu (or without the addon) the uniform numbers come from
 * TensorFlow's `StatelessRandomUniform`; both are seeded from `Math.random`, so
 * lib/train/random.ts' `withSeed` still makes a run repeat. Every backend keeps only the mask
 * (the gradient is dy·mask). Same distribution as tfjs' dropout: an element is kept, scaled by
 * 1/(1 − rate), with probability 1 − rate. Inference is the identity, as in tfjs-layers.
 *
 * The layer extends tfjs-layers' `Dropout` and serialises under its class name; it is not
 * registered, so a saved model reloads with tfjs-layers' own (identical) layer.
 */
import { tf, type TF } from '../backend';
import { rawOps, nativeOpsAvailable } from './tfRaw';
import { nativeTfOpsStatus } from './nativeKernels';

type DropoutArgs = Parameters<typeof tf.layers.dropout>[0];
type Base = ReturnType<typeof tf.layers.dropout>;
const DropoutBase = tf.layers.dropout({ rate: 0 }).constructor as unknown as { new (args: DropoutArgs): Base; className: string };


/** Uniform [0, 1) numbers of `shape`: TensorFlow's stateless generator on native backends, else tfjs'. */
function uniform(shape: number[]): TF.Tensor {
  if (!nativeOpsAvailable()) return tf.randomUniform(shape);
  const r = rawOps();
  const seed = seedHandle();
  try {
    const attrs = [r.type('dtype', 'float32'), r.type('T', 'int32'), r.type('Tseed', 'int32')];
    return r.toTensor({ id: r.run1('StatelessRandomUniform', attrs, [r.int32(shape), seed]), shape });
  } finally {
    r.free(seed);
  }
}

/** Two int32 seed words drawn from `Math.random` (so lib/train/random.ts' `withSeed` repeats them), as a TF tensor handle. */
function seedHandle(): number {
  const r = rawOps();
  const draw = () => Math.floor(Math.random() * 2 ** 31);
  return r.b.createTensor([2], r.b.TF_INT32, Int32Array.from([draw(), draw()]));
}

/** x·mask, mask = 1/(1 − rate) where a uniform draw ≥ rate, else 0; the gradient dy·mask. */
export function dropoutOp(x: TF.Tensor, rate: number): TF.Tensor {
  if (!(rate > 0 && rate < 1)) throw new Error(`dropoutOp: rate must be in (0, 1), got ${rate}`);
  const fused = x.dtype === 'float32' && nativeTfOpsStatus().active;
  const f = tf.customGrad(((xs: TF.Tensor, save: TF.GradSaveFunc) => {
    if (fused) {
      // native CPU backend: GenreLabDropout (native/tfops.cc) draws, masks and multiplies in one op
      const r = rawOps();
      const seed = seedHandle();
      try {
        const [y, mask] = r.run('GenreLabDropout', [r.float('rate', rate)], [r.ids([xs])[0], seed], 2);
        save([r.toTensor(mask)]);
        return { value: r.toTensor(y), gradFunc: (dy: TF.Tensor, saved: TF.Tensor[]) => [tf.mul(dy, saved[0])] };
      } finally {
        r.free(seed);
      }
    }
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
