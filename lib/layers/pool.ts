/**
 * 2-D max pooling that keeps its argmax, as TensorFlow's graph could with `MaxPoolWithArgmax`: on the
 * native CPU backend with the addon built, training runs `GenreLabMaxPoolArgmax` (native/tfops.cc:
 * the pooled values and, per output, where the maximum was: TF's rule, the first maximum in row-major
 * window order) and the gradient is a zero-fill and a scatter of dy at those positions
 * (`GenreLabMaxPoolScatter`), where TF's `MaxPoolGrad` (and our `GenreLabMaxPoolGrad`) search every
 * window of x again. Same values: the same argmax, the same order of accumulation.
 *
 * After lib/layers/conv2d.ts' fused conv + bias + ReLU (its output is tagged there), the pool's gradient
 * also does the ReLU's and the bias': `GenreLabMaxPoolScatterRelu` scatters dy·(pooled > 0), which is
 * ReluGrad(dx, relu output) (where the input is not a window's maximum dx is 0 anyway; where it is,
 * the input equals the pooled value), and sums it per channel (BiasAddGrad), so the conv's gradient
 * skips its `GenreLabReluBiasGrad` pass over the full-size tensor (conv2d.ts' `precomputedReluBiasGrad`).
 * The pool's own gradient is then the ReLU's too: fine inside a model (the conv is the only consumer of
 * it; a second consumer's gradient is added and goes through the conv's ReluGrad, which leaves the
 * masked part unchanged), but not a gradient *with respect to* the conv's output by itself.
 *
 * Inference, other configurations (channels-first, other dtypes) and every other backend
 * (tfjs-node-gpu: TF's own kernels run on the GPU; wasm; the JS CPU backend) are tfjs-layers' own
 * `MaxPooling2D`, which this extends: same config and serialised class name. test/pool.test.ts checks
 * outputs and gradients against tfjs-layers' layer.
 */
import { tf, type TF } from '../backend';
import { rawOps } from './tfRaw';
import { nativeTfOpsStatus } from './nativeKernels';
import { isReluBiasOutput, precomputeReluBiasGrad } from './conv2d';
import { poolAttrs } from './blockOps';

type PoolArgs = Parameters<typeof tf.layers.maxPooling2d>[0];
type Base = ReturnType<typeof tf.layers.maxPooling2d>;
/** tfjs-layers does not export the class itself; its constructor is the factory's product's. */
const MaxPooling2DBase = tf.layers.maxPooling2d({ poolSize: 2 }).constructor as unknown as { new (args: PoolArgs): Base; className: string };

/** The fields of tfjs-layers' MaxPooling2D this file (and lib/train/rawStep.ts) reads. */
export interface Internals {
  poolSize: [number, number];
  strides: [number, number];
  padding: string;
  dataFormat: string;
}

/**
 * maxPool(x) in NHWC with its argmax-scatter gradient (native CPU backend with the addon only:
 * `nativeTfOpsStatus().active`). `afterReluBias`: x is relu(z + b) and nothing but this pool reads it
 * in the gradient (see the module comment); the gradient then carries ReLU's and BiasAddGrad's work.
 */
export function maxPoolArgmax(x: TF.Tensor4D, ksize: [number, number], strides: [number, number], padding: 'same' | 'valid', afterReluBias = false): TF.Tensor4D {
  const r = rawOps();
  const attrs = poolAttrs({ ksize, strides, padding: padding === 'same' ? 'SAME' : 'VALID' });
  const xShape = x.shape;
  const f = tf.customGrad(((xs: TF.Tensor, save: TF.GradSaveFunc) => {
    const [yh, ah] = r.run('GenreLabMaxPoolArgmax', attrs, r.ids([xs]), 2);
    const y = r.toTensor(yh);
    const argmax = r.be.createOutputTensor({ id: ah.id, shape: ah.shape, dtype: r.b.TF_INT32 });
    save(afterReluBias ? [argmax, y] : [argmax]);
    return {
      value: y,
      gradFunc: (dy: TF.Tensor, saved: TF.Tensor[]) => {
        const shape = r.int32(xShape);
        if (!afterReluBias) return r.toTensor({ id: r.run1('GenreLabMaxPoolScatter', [], [...r.ids([dy, saved[0]]), shape]), shape: xShape });
        const [dxh, dbh] = r.run('GenreLabMaxPoolScatterRelu', [], [...r.ids([dy, saved[0], saved[1]]), shape], 2);
        const dx = r.toTensor(dxh);
        precomputeReluBiasGrad(dx, dbh);
        return dx;
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as TF.Tensor4D;
}

/** tfjs-layers' `MaxPooling2D`, training through the argmax ops where they run (see the module comment). */
export class MaxPooling2D extends MaxPooling2DBase {
  static className = 'MaxPooling2D';

  call(inputs: TF.Tensor | TF.Tensor[], kwargs: TF.serialization.ConfigDict): TF.Tensor | TF.Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const me = this as unknown as Internals;
    if (!kwargs?.training || x.rank !== 4 || x.dtype !== 'float32' || me.dataFormat !== 'channelsLast' || (me.padding !== 'same' && me.padding !== 'valid') || !nativeTfOpsStatus().active)
      return super.call(inputs, kwargs as never);
    return maxPoolArgmax(x as TF.Tensor4D, me.poolSize, me.strides, me.padding as 'same' | 'valid', isReluBiasOutput(x));
  }
}

tf.serialization.registerClass(MaxPooling2D as never);

/** `tf.layers.maxPooling2d`, with the argmax training path. */
export function maxPooling2d(args: PoolArgs): MaxPooling2D {
  return new MaxPooling2D(args);
}
