/**
 * Layer normalisation as one differentiable op (`layerNormOp`). tfjs-layers' `LayerNormalization` tiles γ and β to the
 * input's full shape before calling `batchNormalization` (a workaround for its gradient), and the
 * gradient of `Tile` is one Slice + Add per tile: batch × time pairs per weight, 131k eager ops per
 * training step of seed 002's Transformer (4 encoder layers × 2 norms, batch 32 × 256 frames), most of
 * that step's time. Here y = (x − μ)·(1/√(σ² + ε))·γ + β with μ, σ² the moments over the normalised axes
 * and γ, β broadcast, with its gradient written out (see `layerNormOp`), which keeps one normalised
 * copy of x for the backward pass; on the native CPU backend with the kernel built, over the last axis,
 * one native call each way (`layerNormCpu`). Same weights, config and
 * serialised class name as tfjs-layers' layer (this extends it), so saved models load either way; every
 * backend takes this path.
 */
import { tf, type TF } from '../backend';
import { cpuKernelActive } from './cpuKernel';
import { nativeTfOpsStatus } from './nativeKernels';
import { rawOps } from './tfRaw';

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
    return tf.tidy(() => layerNormOp(x, me.axis, me.epsilon, me.gamma?.read() ?? null, me.beta?.read() ?? null));
  }
}

/**
 * y = (x − μ)·rsqrt(σ² + ε)·γ + β over `axis`, as one differentiable op: its backward pass keeps
 * x̂ = (x − μ)·rsqrt(σ² + ε) and rsqrt(σ² + ε) (one tensor of x's size) where the same formula as
 * separate tfjs ops keeps four (x, x − μ twice, the product). Gradients (n elements normalised
 * together, g = dy·γ): dx = rsqrt(σ² + ε)·(g − mean(g) − x̂·mean(g·x̂)), dγ = Σ dy·x̂, dβ = Σ dy over
 * the other axes.
 */
export function layerNormOp(x: TF.Tensor, axis: number[], epsilon: number, gamma: TF.Tensor | null, beta: TF.Tensor | null): TF.Tensor {
  if (gamma && beta && axis.length === 1 && axis[0] === x.rank - 1 && x.dtype === 'float32' && x.size > 0 && cpuKernelActive() && nativeTfOpsStatus().active)
    return layerNormCpu(x, epsilon, gamma, beta);
  return layerNormOpTf(x, axis, epsilon, gamma, beta);
}

/** `layerNormOp` through TF ops (any backend, any axes). */
export function layerNormOpTf(x: TF.Tensor, axis: number[], epsilon: number, gamma: TF.Tensor | null, beta: TF.Tensor | null): TF.Tensor {
  const shape = x.shape.map((n, i) => (axis.includes(i) ? n : 1));
  const others = x.shape.map((_, i) => i).filter((i) => !axis.includes(i));
  const weights = [gamma, beta].filter((w): w is TF.Tensor => w !== null);
  const f = tf.customGrad(((...args: unknown[]) => {
    const xs = args[0] as TF.Tensor;
    const save = args[args.length - 1] as TF.GradSaveFunc;
    const g = gamma ? tf.reshape(args[1] as TF.Tensor, shape) : null;
    const [xhat, rstd] = tf.tidy(() => {
      const { mean, variance } = tf.moments(xs, axis, true);
      const r = tf.rsqrt(tf.add(variance, epsilon));
      return [tf.mul(tf.sub(xs, mean), r), r];
    });
    save(gamma ? [xhat, rstd, args[1] as TF.Tensor] : [xhat, rstd]);
    const value = tf.tidy(() => {
      const scaled = g ? tf.mul(xhat, g) : xhat.clone();
      return beta ? tf.add(scaled, tf.reshape(args[gamma ? 2 : 1] as TF.Tensor, shape)) : scaled;
    });
    return {
      value,
      gradFunc: (dy: TF.Tensor, saved: TF.Tensor[]) => {
        const [xh, r, gammaSaved] = saved;
        const gy = gammaSaved ? tf.mul(dy, tf.reshape(gammaSaved, shape)) : dy;
        const dx = tf.mul(r, tf.sub(tf.sub(gy, tf.mean(gy, axis, true)), tf.mul(xh, tf.mean(tf.mul(gy, xh), axis, true))));
        const reduce = (t: TF.Tensor, like: TF.Tensor) => tf.reshape(others.length ? tf.sum(t, others) : t, like.shape);
        return [dx, ...(gamma ? [reduce(tf.mul(dy, xh), gamma)] : []), ...(beta ? [reduce(dy, beta)] : [])];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x, ...weights);
}

/**
 * `layerNormOp` over the last axis on the CPU kernel (native/rnn.cc `layerNormForward` /
 * `layerNormBackward`, run as the TensorFlow ops `GenreLabLayerNorm` / `GenreLabLayerNormGrad` of
 * native/tfops.cc on TF's own tensors): one op each way instead of ~10 TF ops forward and ~11
 * backward; x̂ and rstd are saved for the backward pass. Chosen by `layerNormOp` where the kernel runs
 * (lib/layers/cpuKernel.ts) and its TF ops are registered (lib/layers/nativeKernels.ts).
 */
export function layerNormCpu(x: TF.Tensor, epsilon: number, gamma: TF.Tensor, beta: TF.Tensor): TF.Tensor {
  const st = nativeTfOpsStatus();
  if (!st.active) throw new Error(`layerNormCpu: the CPU kernel's TF ops are not available: ${st.reason}`);
  const f = tf.customGrad(((xs: TF.Tensor, g: TF.Tensor, b: TF.Tensor, save: TF.GradSaveFunc) => {
    const r = rawOps();
    const [y, xhat, rstd] = r.run('GenreLabLayerNorm', [r.float('epsilon', epsilon)], r.ids([xs, g, b]), 3);
    save([r.toTensor(xhat), r.toTensor(rstd), g]);
    return {
      value: r.toTensor(y),
      gradFunc: (dy: TF.Tensor, saved: TF.Tensor[]) => {
        const [dx, dg, db] = r.run('GenreLabLayerNormGrad', [], r.ids([dy, ...saved]), 3);
        return [dx, dg, db].map((h) => r.toTensor(h));
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x, gamma, beta);
}

tf.serialization.registerClass(LayerNormalization as never);

/** `tf.layers.layerNormalization` without the tiled gradient. */
export function layerNormalization(args?: LayerNormArgs): LayerNormalization {
  return new LayerNormalization(args);
}
