/**
 * Batch normalisation that trains through fused kernels on the native backends, two ops where
 * tfjs-layers builds moments, normalisation and their gradients from ~40 small eager ops per layer and
 * step: on the native CPU backend with the addon built, `GenreLabBatchNorm` / `GenreLabBatchNormGrad`
 * (native/tfops.cc; the moving statistics updated inside the forward op); otherwise (tfjs-node-gpu)
 * TensorFlow's `FusedBatchNormV3` forward (training mode) and `FusedBatchNormGradV3` for the gradient
 * (TensorFlow's graph, i.e. Keras, uses the fused pair). Inference and every
 * other backend (wasm, the JS CPU backend) are tfjs-layers' own `BatchNormalization`, which this extends:
 * same weights, same config, same serialised class name, so saved models load either way.
 *
 * Same arithmetic: y = γ·(x − μ)/√(σ² + ε) + β with the batch's biased variance; the moving variance is
 * updated with the biased variance as tfjs-layers does (TensorFlow's fused op reports the unbiased one:
 * scaled back by (n − 1)/n). test/native-training-kernels.test.ts checks outputs, gradients and moving
 * statistics against tfjs-layers' layer, and the addon's ops against TensorFlow's fused pair.
 */
import { tf, type TF } from '../backend';
import { rawOps, nativeOpsAvailable } from './tfRaw';
import { nativeTfOpsStatus } from './nativeKernels';
import { batchNormAttrs } from './blockOps';

type BatchNormArgs = Parameters<typeof tf.layers.batchNormalization>[0];
type Base = ReturnType<typeof tf.layers.batchNormalization>;
/** tfjs-layers does not export the class itself; its constructor is the factory's product's. */
const BatchNormalizationBase = tf.layers.batchNormalization({}).constructor as unknown as { new (args?: BatchNormArgs): Base; className: string };

/** The fields of tfjs-layers' BatchNormalization this file (and lib/train/rawStep.ts) reads. */
export interface Internals {
  axis: number;
  momentum: number;
  epsilon: number;
  gamma: TF.LayerVariable | null;
  beta: TF.LayerVariable | null;
  movingMean: TF.LayerVariable;
  movingVariance: TF.LayerVariable;
}


/**
 * Training-mode fused batch norm over the last axis of a rank-4 NHWC tensor: returns y (with a custom
 * gradient) and the batch mean and biased variance (kept: the caller disposes them).
 */
export function fusedBatchNormTraining(x: TF.Tensor4D, gamma: TF.Tensor1D, beta: TF.Tensor1D, epsilon: number): { y: TF.Tensor4D; mean: TF.Tensor1D; variance: TF.Tensor1D } {
  const r = rawOps();
  const [n, h, w, c] = x.shape;
  const count = n * h * w;
  const attrs = [r.tFloat, { ...r.tFloat, name: 'U' }, r.float('epsilon', epsilon), r.float('exponential_avg_factor', 1), r.str('data_format', 'NHWC'), r.bool('is_training', true)];
  let mean: TF.Tensor1D | null = null;
  let variance: TF.Tensor1D | null = null;
  const f = tf.customGrad(((xs: TF.Tensor, g: TF.Tensor, b: TF.Tensor, save: TF.GradSaveFunc) => {
    const empty = r.b.createTensor([0], r.b.TF_FLOAT, new Float32Array(0));
    const [xi, gi, bi] = r.ids([xs, g, b]);
    const out = r.run('FusedBatchNormV3', attrs, [xi, gi, bi, empty, empty], 6);
    r.free(empty);
    const [y, batchMean, batchVar, r1, r2, r3] = out.map((o) => r.toTensor(o));
    mean = tf.keep(batchMean as TF.Tensor1D);
    variance = tf.keep(tf.mul(batchVar, count > 1 ? (count - 1) / count : 1) as TF.Tensor1D);
    batchVar.dispose();
    save([xs, g, r1, r2, r3]);
    return {
      value: y,
      gradFunc: (dy: TF.Tensor, saved: TF.Tensor[]) => {
        const ids = r.ids([dy, ...saved]);
        const grads = r.run('FusedBatchNormGradV3', attrs.filter((a) => a.name !== 'exponential_avg_factor'), ids, 5);
        r.free(grads[3].id, grads[4].id);
        return grads.slice(0, 3).map((o) => r.toTensor(o));
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const y = f(x, gamma, beta) as TF.Tensor4D;
  if (!mean || !variance) throw new Error(`fusedBatchNormTraining: FusedBatchNormV3 gave no batch statistics for [${x.shape}] (${c} channels)`);
  return { y, mean, variance };
}

/**
 * Training-mode batch norm over the last axis as the addon's two ops (native CPU backend with the addon
 * built: `nativeTfOpsStatus().active`): `GenreLabBatchNorm` returns y (with its gradient,
 * `GenreLabBatchNormGrad`) and the moving statistics already updated the way tfjs-layers updates them
 * (m − (m − batch)·(1 − momentum), the batch's biased variance), which the caller writes back. One op
 * each way instead of FusedBatchNormV3/GradV3 plus the moving averages' eight small ops.
 */
export function addonBatchNormTraining(
  x: TF.Tensor,
  gamma: TF.Tensor1D,
  beta: TF.Tensor1D,
  movingMean: TF.Tensor1D,
  movingVariance: TF.Tensor1D,
  epsilon: number,
  momentum: number,
): { y: TF.Tensor; movingMean: TF.Tensor1D; movingVariance: TF.Tensor1D } {
  const r = rawOps();
  const attrs = batchNormAttrs({ epsilon, momentum });
  let moving: TF.Tensor1D[] = [];
  const f = tf.customGrad(((xs: TF.Tensor, g: TF.Tensor, b: TF.Tensor, save: TF.GradSaveFunc) => {
    const out = r.run('GenreLabBatchNorm', attrs, r.ids([xs, g, b, movingMean, movingVariance]), 5).map((o) => r.toTensor(o));
    moving = out.slice(3).map((t) => tf.keep(t as TF.Tensor1D));
    save([xs, g, out[1], out[2]]);
    return {
      value: out[0],
      gradFunc: (dy: TF.Tensor, saved: TF.Tensor[]) => r.run('GenreLabBatchNormGrad', [], r.ids([dy, ...saved]), 3).map((o) => r.toTensor(o)),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const y = f(x, gamma, beta) as TF.Tensor;
  return { y, movingMean: moving[0], movingVariance: moving[1] };
}

/** tfjs-layers' `BatchNormalization`, training through the fused TensorFlow kernels where they run (see the module comment). */
export class BatchNormalization extends BatchNormalizationBase {
  static className = 'BatchNormalization';

  call(inputs: TF.Tensor | TF.Tensor[], kwargs: TF.serialization.ConfigDict): TF.Tensor | TF.Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const me = this as unknown as Internals;
    const lastAxis = me.axis === -1 || me.axis === x.rank - 1;
    if (!kwargs?.training || x.rank !== 4 || !lastAxis || x.dtype !== 'float32' || !me.gamma || !me.beta || !nativeOpsAvailable())
      return super.call(inputs, kwargs as never);
    if (nativeTfOpsStatus().active)
      return tf.tidy(() => {
        const { y, movingMean, movingVariance } = addonBatchNormTraining(
          x,
          me.gamma!.read() as TF.Tensor1D,
          me.beta!.read() as TF.Tensor1D,
          me.movingMean.read() as TF.Tensor1D,
          me.movingVariance.read() as TF.Tensor1D,
          me.epsilon,
          me.momentum,
        );
        me.movingMean.write(movingMean);
        me.movingVariance.write(movingVariance);
        tf.dispose([movingMean, movingVariance]);
        return y;
      });
    return tf.tidy(() => {
      const { y, mean, variance } = fusedBatchNormTraining(x as TF.Tensor4D, me.gamma!.read() as TF.Tensor1D, me.beta!.read() as TF.Tensor1D, me.epsilon);
      // The moving averages exactly as tfjs-layers updates them.
      const update = (v: TF.LayerVariable, value: TF.Tensor) =>
        tf.tidy(() => {
          const orig = v.read();
          v.write(tf.sub(orig, tf.mul(tf.sub(orig, value), 1 - me.momentum)));
        });
      update(me.movingMean, mean);
      update(me.movingVariance, variance);
      tf.dispose([mean, variance]);
      return y;
    });
  }
}

tf.serialization.registerClass(BatchNormalization as never);

/** `tf.layers.batchNormalization`, with the fused training path. */
export function batchNormalization(args?: BatchNormArgs): BatchNormalization {
  return new BatchNormalization(args);
}
