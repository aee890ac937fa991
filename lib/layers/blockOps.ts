/**
 * Fused CNN block ops (native/tfops.cc) on raw TensorFlow handles, for a training-step executor that
 * runs a chain model's forward and backward as TF ops directly (lib/layers/tfRaw.ts): one op each way
 * for the elementwise work around a convolution, where the layers run three or four full-size passes.
 *
 * - conv → bias → ReLU → max pool (the lecture CNN): `biasReluPool` forward, `biasReluPoolGrad` backward.
 * - conv → bias → BatchNorm (training) → ReLU → max pool (seed 001's CNN): `batchNormReluPool` forward,
 *   `batchNormReluPoolGrad` backward.
 *
 * All tensors NHWC float32 (argmax int32), x rank 4 [N, H, W, C], per-channel vectors [C]. Inputs are
 * handle ids the caller keeps owning (nothing is consumed); every returned handle is owned by the caller
 * (free it with `rawOps().free(id)` or hand it to tfjs with `rawOps().toTensor(h)`). Native CPU backend
 * with the addon built only: check `blockOpsStatus().active` first (tfjs-node-gpu keeps TF's kernels,
 * every other backend has no raw handles); the functions throw otherwise.
 *
 * Pool attributes are TensorFlow's MaxPool's (window and stride per spatial axis, SAME or VALID padding,
 * output sizes as TF computes them). argmax: per pooled value, the offset (h·W + w)·C + c of the window's
 * maximum inside its batch item (TF's rule: the first maximum in row-major window order), as
 * `GenreLabMaxPoolArgmax` gives it; the backward ops take it back.
 */
import { rawOps, type Handle, type OpAttr } from './tfRaw';
import { nativeTfOpsStatus } from './nativeKernels';

/** A max pool: window [kh, kw], strides [sh, sw], TF's padding. */
export interface PoolSpec {
  ksize: [number, number];
  strides: [number, number];
  padding: 'SAME' | 'VALID';
}

/** Batch norm settings as the Keras / tfjs-layers layer states them (moving = moving·momentum + batch·(1 − momentum)). */
export interface BatchNormSpec {
  epsilon: number;
  momentum: number;
}

/** Whether the block ops run here, and why (not): the addon's TF ops on the native CPU backend (nativeTfOpsStatus). */
export function blockOpsStatus(): { active: boolean; reason: string } {
  return nativeTfOpsStatus();
}

function ops() {
  const s = blockOpsStatus();
  if (!s.active) throw new Error(`lib/layers/blockOps.ts: the fused block ops need the addon's TF ops (${s.reason})`);
  return rawOps();
}

/** TensorFlow's max-pool attributes (ksize, strides, padding) for `pool`: every pool op of the addon takes them. */
export function poolAttrs(pool: PoolSpec): OpAttr[] {
  const r = rawOps();
  const ints = (name: string, v: number[]): OpAttr => ({ name, type: r.b.TF_ATTR_INT, value: v });
  return [ints('ksize', [1, pool.ksize[0], pool.ksize[1], 1]), ints('strides', [1, pool.strides[0], pool.strides[1], 1]), r.str('padding', pool.padding)];
}

/** The addon's batch-norm attributes (epsilon, decay = 1 − momentum): GenreLabBatchNorm and GenreLabBatchNormReluPool take them. */
export function batchNormAttrs(bn: BatchNormSpec): OpAttr[] {
  const r = rawOps();
  return [r.float('epsilon', bn.epsilon), r.float('decay', 1 - bn.momentum)];
}

/**
 * y = maxPool(relu(x + bias)) and its argmax, in one pass over x (GenreLabBiasReluPool).
 * In: x [N,H,W,C] (a convolution's output without its bias), bias [C].
 * Out: y [N,OH,OW,C] (bit for bit GenreLabBiasRelu → GenreLabMaxPoolArgmax's y, i.e. TF's BiasAdd → Relu →
 * MaxPool), argmax int32 [N,OH,OW,C] (equal to the unfused chain's; see the module comment).
 */
export function biasReluPool(x: number, bias: number, pool: PoolSpec): { y: Handle; argmax: Handle } {
  const [y, argmax] = ops().run('GenreLabBiasReluPool', poolAttrs(pool), [x, bias], 2);
  return { y, argmax };
}

/**
 * The gradient of `biasReluPool` (GenreLabMaxPoolScatterRelu).
 * In: dy [N,OH,OW,C] (the loss's gradient w.r.t. the pooled y), argmax and y from `biasReluPool`,
 * xShape = [N, H, W, C] of its x.
 * Out: dx [N,H,W,C], the gradient w.r.t. x (= w.r.t. x + bias: the convolution's output gradient),
 * i.e. dy scattered to the argmax positions and masked where y ≤ 0 (the ReLU); dbias [C] = Σ dx per channel.
 */
export function biasReluPoolGrad(dy: number, argmax: number, y: number, xShape: number[]): { dx: Handle; dbias: Handle } {
  const r = ops();
  const [dx, dbias] = r.run('GenreLabMaxPoolScatterRelu', [], [dy, argmax, y, r.int32(xShape)], 2);
  return { dx, dbias };
}

/**
 * y = maxPool(relu(BatchNorm_train(x + bias))) and what the gradient and the layer's moving statistics
 * need, reading x three times (two for the statistics, one for the pool) and writing nothing full-size
 * (GenreLabBatchNormReluPool).
 * In: x [N,H,W,C] (a convolution's output without its bias), bias, gamma, beta, movingMean, movingVariance [C].
 * Out: y, argmax [N,OH,OW,C]; mean [C]: the batch mean of x (WITHOUT the bias: what the gradient op
 * takes); invStd [C] = 1/√(var + ε), var the biased batch variance (the bias does not change it);
 * movingMean, movingVariance [C]: the layer's new moving statistics, as GenreLabBatchNorm (and tfjs-layers)
 * update them for the input x + bias: m − (m − batch)·(1 − momentum), batch mean = mean + bias.
 * Within float rounding of BiasAdd → GenreLabBatchNorm → Relu → GenreLabMaxPoolArgmax (test/block-ops.test.ts: 1e-5 relative;
 * the argmax can differ only where two window values are within rounding of each other).
 */
export function batchNormReluPool(
  x: number,
  bias: number,
  gamma: number,
  beta: number,
  movingMean: number,
  movingVariance: number,
  bn: BatchNormSpec,
  pool: PoolSpec,
): { y: Handle; argmax: Handle; mean: Handle; invStd: Handle; movingMean: Handle; movingVariance: Handle } {
  const r = ops();
  const attrs = [...batchNormAttrs(bn), ...poolAttrs(pool)];
  const [y, argmax, mean, invStd, mm, mv] = r.run('GenreLabBatchNormReluPool', attrs, [x, bias, gamma, beta, movingMean, movingVariance], 6);
  return { y, argmax, mean, invStd, movingMean: mm, movingVariance: mv };
}

/**
 * The gradient of `batchNormReluPool` (GenreLabBatchNormReluPoolGrad).
 * In: dy [N,OH,OW,C] (w.r.t. the pooled y); argmax, y from `batchNormReluPool`; x [N,H,W,C] its input;
 * gamma [C]; mean, invStd [C] from `batchNormReluPool`.
 * Out: dx [N,H,W,C] (w.r.t. x, = w.r.t. x + bias: the convolution's output gradient), dgamma, dbeta [C],
 * dbias [C] = Σ dx per channel (≈ 0 up to rounding, as BiasAddGrad of the unfused chain gives).
 * Within ~1e-5 relative of GenreLabMaxPoolScatter → ReluGrad → GenreLabBatchNormGrad → BiasAddGrad.
 */
export function batchNormReluPoolGrad(
  dy: number,
  argmax: number,
  y: number,
  x: number,
  gamma: number,
  mean: number,
  invStd: number,
): { dx: Handle; dgamma: Handle; dbeta: Handle; dbias: Handle } {
  const [dx, dgamma, dbeta, dbias] = ops().run('GenreLabBatchNormReluPoolGrad', [], [dy, argmax, y, x, gamma, mean, invStd], 4);
  return { dx, dgamma, dbeta, dbias };
}
