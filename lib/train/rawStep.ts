/**
 * One training step of a chain model as TensorFlow ops on raw handles: forward in training mode, the
 * loss, the backward pass and Adam, without tfjs-layers' graph executor (`trainOnBatch` → `execute`,
 * one `apply` per layer) or tfjs' gradient tape. That bookkeeping costs ~4 ms a batch of 32 on the
 * lecture CNN (`npm run bench:models-profile`), about a quarter of its step; Keras runs the step as
 * one graph and PyTorch's autograd is C++. Here each layer is a `Stage` with a forward and a backward
 * made of the same TensorFlow and addon ops its layer class runs on this backend (lib/layers/conv2d.ts,
 * pool.ts, batchNorm.ts; tfjs' dense, flatten, ReLU, dropout and zero-padding ops; the loss of
 * lib/train/losses.ts; FusedAdam's `GenreLabAdam`), so the numbers are the same up to float rounding
 * (test/raw-step.test.ts trains each model both ways and compares losses, weights and moving statistics).
 *
 * Used by lib/train/fit.ts when everything about the step is one it covers: the native CPU backend with
 * the addon's TF ops, a model whose layers form a chain of supported layers (InputLayer, our Conv2D,
 * MaxPooling2D and BatchNormalization, Dense, Flatten, ReLU / Activation relu or linear, tfjs' Dropout,
 * ZeroPadding2D; everything trainable; no regularisers or constraints but an L2 on kernels), cross-entropy
 * from logits (the default loss of a softmax or logits model; fit's `l2` too), FusedAdam, no gradient
 * clipping. Anything else trains through `trainOnBatch` as before; `rawStepPlan(net)` says which and why.
 * GENRE_LAB_RAW_STEP=0 turns it off (for before/after measurements).
 *
 * Whole conv blocks run as lib/layers/blockOps.ts' fused ops where the layers line up (`fuse`): conv →
 * bias → ReLU → max pool, and conv → bias → batch norm → ReLU → max pool; GENRE_LAB_RAW_STEP_FUSE=0
 * keeps one stage per layer.
 *
 * Every handle a step creates is owned by the step: freed as soon as nothing later reads it (a stage's
 * saved tensors right after its backward) and, whatever happens, at the end of the step.
 */
import { tf, type TF } from '../backend';
import { rawOps, type RawOps, type OpAttr } from '../layers/tfRaw';
import { nativeTfOpsStatus } from '../layers/nativeKernels';
import { Conv2D, opAttrs as convAttrs, type Internals as ConvInternals } from '../layers/conv2d';
import { MaxPooling2D, type Internals as PoolInternals } from '../layers/pool';
import { BatchNormalization, type Internals as BatchNormInternals } from '../layers/batchNorm';
import { biasReluPool, biasReluPoolGrad, batchNormReluPool, batchNormReluPoolGrad, batchNormAttrs, poolAttrs, type PoolSpec } from '../layers/blockOps';
import { FusedAdam } from './fusedAdam';

type H = number;

/** A tensor of the step: handle id and shape. */
interface Act {
  id: H;
  shape: number[];
}

/** The handles of one step: everything made is owned here and freed by `drop` or at the end. */
class Handles {
  private readonly live = new Set<H>();
  constructor(readonly r: RawOps) {}
  own(id: H): H {
    this.live.add(id);
    return id;
  }
  drop(...ids: (H | null | undefined)[]): void {
    for (const id of ids)
      if (id != null && this.live.delete(id)) this.r.free(id);
  }
  run1(op: string, attrs: OpAttr[], inputs: H[]): H {
    return this.own(this.r.run1(op, attrs, inputs));
  }
  run(op: string, attrs: OpAttr[], inputs: H[], n: number): Act[] {
    const out = this.r.run(op, attrs, inputs, n);
    for (const o of out) this.live.add(o.id);
    return out;
  }
  /** Takes over handles made elsewhere (lib/layers/blockOps.ts' results). */
  adopt<T extends Record<string, Act>>(out: T): T {
    for (const o of Object.values(out)) this.live.add(o.id);
    return out;
  }
  /** Hands `id` over (to tfjs): no longer freed here. True if it was owned. */
  disown(id: H): boolean {
    return this.live.delete(id);
  }
  /** Frees everything still owned. */
  clear(): void {
    for (const id of this.live) this.r.free(id);
    this.live.clear();
  }
}

/** What a stage's backward hands the stage before it. */
interface Back {
  dx: H | null;
  /** dx already is the gradient at the previous conv's pre-activation (ReLU mask applied), with its bias' gradient. */
  reluBias?: { db: H };
}

interface Stage {
  readonly layer: TF.layers.Layer;
  /** Trainable weights, in the layer's order. */
  readonly weights: TF.LayerVariable[];
  /** Whether backward reads the stage's input (so the previous stage's output must live until then). */
  readonly keepsInput: boolean;
  /** Whether backward reads the stage's own output. */
  readonly keepsOutput: boolean;
  forward(h: Handles, x: Act): Act;
  /** dy (not freed here) → the input's gradient when `needDx`; weight gradients into `grads`. */
  backward(h: Handles, dy: H, needDx: boolean, grads: Map<TF.LayerVariable, H>, pre?: Back['reluBias']): Back;
  /** Frees what forward kept for backward. */
  release(h: Handles): void;
}

const varId = (r: RawOps, v: TF.LayerVariable) => r.ids([v.read()])[0];
const className = (l: TF.layers.Layer) => l.getClassName();
const activationOf = (l: unknown) => (l as { activation?: { getClassName(): string } }).activation?.getClassName();


/**
 * A layer computing z = product(x, kernel) then bias and ReLU (or either, or neither): forward the product,
 * then GenreLabBiasRelu / BiasAdd / Relu; backward GenreLabReluBiasGrad / ReluGrad / BiasAddGrad, then the
 * product's gradients (`weightGrads`). Conv2D and Dense differ only in the product.
 */
abstract class LinearStage implements Stage {
  readonly keepsInput = true;
  readonly keepsOutput: boolean;
  readonly weights: TF.LayerVariable[];
  readonly relu: boolean;
  readonly kernel: TF.LayerVariable;
  readonly bias: TF.LayerVariable | null;
  private readonly biasAttrs: OpAttr[];
  private x: Act | null = null;
  private y: Act | null = null;
  constructor(
    r: RawOps,
    readonly layer: TF.layers.Layer,
  ) {
    const me = layer as unknown as { kernel: TF.LayerVariable; bias: TF.LayerVariable | null };
    this.kernel = me.kernel;
    this.bias = me.bias ?? null;
    this.relu = activationOf(layer) === 'relu';
    this.keepsOutput = this.relu;
    this.weights = this.bias ? [this.kernel, this.bias] : [this.kernel];
    this.biasAttrs = [r.tFloat, r.str('data_format', 'NHWC')];
  }
  /** z = x ⊗ kernel (owned by `h`). */
  abstract product(h: Handles, x: Act): Act;
  /** Given dz at the product's output and the bias' gradient: the kernel's gradient and, when asked, the input's. */
  abstract weightGrads(h: Handles, x: Act, dz: H, db: H | null, needDx: boolean, grads: Map<TF.LayerVariable, H>): H | null;
  /** Whether the output is GenreLabBiasRelu's (a max pool's gradient can then apply the ReLU and sum the bias). */
  get reluBias(): boolean {
    return this.relu && this.bias !== null;
  }
  forward(h: Handles, x: Act): Act {
    const r = h.r;
    const z = this.product(h, x);
    let y = z;
    if (this.bias && this.relu) y = h.run('GenreLabBiasRelu', [], [z.id, varId(r, this.bias)], 1)[0];
    else if (this.bias) y = h.run('BiasAdd', this.biasAttrs, [z.id, varId(r, this.bias)], 1)[0];
    else if (this.relu) y = h.run('Relu', [r.tFloat], [z.id], 1)[0];
    if (y !== z) h.drop(z.id);
    this.x = x;
    this.y = y;
    return y;
  }
  backward(h: Handles, dy: H, needDx: boolean, grads: Map<TF.LayerVariable, H>, pre?: Back['reluBias']): Back {
    let dz = dy;
    let db: H | null = null;
    if (pre) db = pre.db;
    else if (this.bias && this.relu) [dz, db] = h.run('GenreLabReluBiasGrad', [], [dy, this.y!.id], 2).map((o) => o.id);
    else if (this.relu) dz = h.run1('ReluGrad', [h.r.tFloat], [dy, this.y!.id]);
    if (this.bias && db === null) db = h.run1('BiasAddGrad', this.biasAttrs, [dz]);
    const dx = this.weightGrads(h, this.x!, dz, db, needDx, grads);
    if (dz !== dy) h.drop(dz);
    return { dx };
  }
  release(h: Handles): void {
    if (this.y) h.drop(this.y.id);
    this.x = this.y = null;
  }
}

/** lib/layers/conv2d.ts' forward and gradient (Conv2D → GenreLabBiasRelu / BiasAdd / Relu). */
class ConvStage extends LinearStage {
  private readonly conv: OpAttr[];
  constructor(r: RawOps, layer: TF.layers.Layer) {
    super(r, layer);
    const me = layer as unknown as ConvInternals;
    this.conv = convAttrs(r, { strides: [me.strides[0], me.strides[1]], padding: me.padding as 'same' | 'valid' }).conv;
  }
  product(h: Handles, x: Act): Act {
    return h.run('Conv2D', this.conv, [x.id, varId(h.r, this.kernel)], 1)[0];
  }
  weightGrads(h: Handles, x: Act, dz: H, db: H | null, needDx: boolean, grads: Map<TF.LayerVariable, H>): H | null {
    const r = h.r;
    grads.set(this.kernel, h.run1('Conv2DBackpropFilter', this.conv, [x.id, r.int32(this.kernel.shape as number[]), dz]));
    if (this.bias) grads.set(this.bias, db!);
    return needDx ? h.run1('Conv2DBackpropInput', this.conv, [r.int32(x.shape), varId(r, this.kernel), dz]) : null;
  }
}

/** tfjs' Dense (its fused matMul on this backend: MatMul, bias, ReLU) as MatMul + GenreLabBiasRelu / BiasAdd. */
class DenseStage extends LinearStage {
  private readonly mm: OpAttr[][];
  constructor(r: RawOps, layer: TF.layers.Layer) {
    super(r, layer);
    const m = (a: boolean, b: boolean) => [r.bool('transpose_a', a), r.bool('transpose_b', b), r.tFloat];
    this.mm = [m(false, false), m(true, false), m(false, true)];
  }
  product(h: Handles, x: Act): Act {
    return h.run('MatMul', this.mm[0], [x.id, varId(h.r, this.kernel)], 1)[0];
  }
  weightGrads(h: Handles, x: Act, dz: H, db: H | null, needDx: boolean, grads: Map<TF.LayerVariable, H>): H | null {
    grads.set(this.kernel, h.run1('MatMul', this.mm[1], [x.id, dz]));
    if (this.bias) grads.set(this.bias, db!);
    return needDx ? h.run1('MatMul', this.mm[2], [dz, varId(h.r, this.kernel)]) : null;
  }
}

/** lib/layers/pool.ts' forward and gradient (GenreLabMaxPoolArgmax, GenreLabMaxPoolScatter / ScatterRelu). */
class PoolStage implements Stage {
  readonly keepsInput = false;
  readonly keepsOutput: boolean;
  readonly weights: TF.LayerVariable[] = [];
  private readonly attrs: OpAttr[];
  readonly spec: PoolSpec;
  private argmax: H | null = null;
  private y: Act | null = null;
  private xShape: number[] = [];
  constructor(
    r: RawOps,
    readonly layer: TF.layers.Layer,
    /** The stage before is a conv with bias and ReLU: the gradient applies its ReLU mask and sums its bias' gradient. */
    private readonly afterReluBias: boolean,
  ) {
    const me = layer as unknown as PoolInternals;
    this.keepsOutput = afterReluBias;
    this.spec = { ksize: me.poolSize, strides: me.strides, padding: me.padding === 'same' ? 'SAME' : 'VALID' };
    this.attrs = poolAttrs(this.spec);
  }
  forward(h: Handles, x: Act): Act {
    const [y, argmax] = h.run('GenreLabMaxPoolArgmax', this.attrs, [x.id], 2);
    this.argmax = argmax.id;
    this.y = y;
    this.xShape = x.shape;
    return y;
  }
  backward(h: Handles, dy: H, needDx: boolean): Back {
    if (!needDx) return { dx: null };
    const r = h.r;
    const shape = r.int32(this.xShape);
    if (!this.afterReluBias) return { dx: h.run1('GenreLabMaxPoolScatter', [], [dy, this.argmax!, shape]) };
    const [dx, db] = h.run('GenreLabMaxPoolScatterRelu', [], [dy, this.argmax!, this.y!.id, shape], 2);
    return { dx: dx.id, reluBias: { db: db.id } };
  }
  release(h: Handles): void {
    h.drop(this.argmax, this.y?.id);
    this.argmax = null;
    this.y = null;
  }
}

/** A batch norm layer with gamma and beta (the step covers no other). */
type BnInternals = BatchNormInternals & { gamma: TF.LayerVariable; beta: TF.LayerVariable };

/** The new moving statistics (handles the op made, updated as tfjs-layers updates them) into the layer's variables. */
function writeMoving(h: Handles, me: BnInternals, mm: Act, mv: Act): void {
  for (const [v, o] of [
    [me.movingMean, mm],
    [me.movingVariance, mv],
  ] as const) {
    h.disown(o.id);
    const t = h.r.toTensor(o);
    v.write(t);
    t.dispose();
  }
}

/** lib/layers/batchNorm.ts' addon path: GenreLabBatchNorm (moving statistics written back) and its gradient. */
class BatchNormStage implements Stage {
  readonly keepsInput = true;
  readonly keepsOutput = false;
  readonly weights: TF.LayerVariable[];
  readonly me: BnInternals;
  private readonly attrs: OpAttr[];
  private x: Act | null = null;
  private mean: H | null = null;
  private inv: H | null = null;
  constructor(
    r: RawOps,
    readonly layer: TF.layers.Layer,
  ) {
    this.me = layer as unknown as BnInternals;
    this.weights = [this.me.gamma, this.me.beta];
    this.attrs = batchNormAttrs(this.me);
  }
  forward(h: Handles, x: Act): Act {
    const r = h.r;
    const me = this.me;
    const ids = [x.id, ...[me.gamma, me.beta, me.movingMean, me.movingVariance].map((v) => varId(r, v))];
    const [y, mean, inv, mm, mv] = h.run('GenreLabBatchNorm', this.attrs, ids, 5);
    writeMoving(h, me, mm, mv);
    this.x = x;
    this.mean = mean.id;
    this.inv = inv.id;
    return y;
  }
  backward(h: Handles, dy: H, needDx: boolean, grads: Map<TF.LayerVariable, H>): Back {
    const r = h.r;
    const [dx, dg, db] = h.run('GenreLabBatchNormGrad', [], [dy, this.x!.id, varId(r, this.me.gamma), this.mean!, this.inv!], 3).map((o) => o.id);
    grads.set(this.me.gamma, dg);
    grads.set(this.me.beta, db);
    if (needDx) return { dx };
    h.drop(dx);
    return { dx: null };
  }
  release(h: Handles): void {
    h.drop(this.mean, this.inv);
    this.x = null;
    this.mean = this.inv = null;
  }
}

/**
 * conv (bias, ReLU) → max pool as two ops forward (Conv2D, GenreLabBiasReluPool: bias, ReLU and pool in one
 * pass, no full-size activation written) and the pool's scatter gradient with the ReLU mask and the bias'
 * sum (GenreLabMaxPoolScatterRelu) before the conv's: the lecture CNN's and seed 004's blocks.
 */
class ConvReluPoolStage implements Stage {
  readonly keepsInput = true;
  readonly keepsOutput = true;
  readonly weights: TF.LayerVariable[];
  readonly layer: TF.layers.Layer;
  private x: Act | null = null;
  private y: Act | null = null;
  private argmax: H | null = null;
  private cShape: number[] = [];
  constructor(
    private readonly conv: ConvStage,
    private readonly pool: PoolStage,
  ) {
    this.layer = conv.layer;
    this.weights = conv.weights;
  }
  forward(h: Handles, x: Act): Act {
    const r = h.r;
    const c = this.conv.product(h, x);
    const { y, argmax } = h.adopt(biasReluPool(c.id, varId(r, this.conv.bias!), this.pool.spec));
    h.drop(c.id);
    this.cShape = c.shape;
    this.x = x;
    this.y = y;
    this.argmax = argmax.id;
    return y;
  }
  backward(h: Handles, dy: H, needDx: boolean, grads: Map<TF.LayerVariable, H>): Back {
    const { dx: dz, dbias } = h.adopt(biasReluPoolGrad(dy, this.argmax!, this.y!.id, this.cShape));
    const dx = this.conv.weightGrads(h, this.x!, dz.id, dbias.id, needDx, grads);
    h.drop(dz.id);
    return { dx };
  }
  release(h: Handles): void {
    h.drop(this.argmax, this.y?.id);
    this.x = this.y = null;
    this.argmax = null;
  }
}

/**
 * conv (bias, no activation) → batch norm (training) → ReLU → max pool, seed 001's block: Conv2D and
 * GenreLabBatchNormReluPool forward (the bias only shifts the batch mean, so the statistics come from the
 * conv's output; the moving statistics are updated for the biased input as the layer does; nothing
 * full-size written but the conv's output), GenreLabBatchNormReluPoolGrad back (scatter, ReLU mask, batch
 * norm's and the bias' gradients in one op) before the conv's.
 */
class ConvBnReluPoolStage implements Stage {
  readonly keepsInput = true;
  readonly keepsOutput = true;
  readonly weights: TF.LayerVariable[];
  readonly layer: TF.layers.Layer;
  private x: Act | null = null;
  private c: Act | null = null;
  private saved: H[] = [];
  constructor(
    private readonly conv: ConvStage,
    private readonly bn: BatchNormStage,
    private readonly pool: PoolStage,
  ) {
    this.layer = conv.layer;
    this.weights = [...conv.weights, ...bn.weights];
  }
  forward(h: Handles, x: Act): Act {
    const r = h.r;
    const bn = this.bn.me;
    const c = this.conv.product(h, x);
    const [bias, gamma, beta, mm, mv] = [this.conv.bias!, bn.gamma, bn.beta, bn.movingMean, bn.movingVariance].map((v) => varId(r, v));
    const out = h.adopt(batchNormReluPool(c.id, bias, gamma, beta, mm, mv, { epsilon: bn.epsilon, momentum: bn.momentum }, this.pool.spec));
    const { y, argmax, mean, invStd: inv } = out;
    writeMoving(h, bn, out.movingMean, out.movingVariance);
    this.x = x;
    this.c = c;
    this.saved = [y.id, argmax.id, mean.id, inv.id];
    return y;
  }
  backward(h: Handles, dy: H, needDx: boolean, grads: Map<TF.LayerVariable, H>): Back {
    const r = h.r;
    const bn = this.bn.me;
    const [y, argmax, mean, inv] = this.saved;
    const g = h.adopt(batchNormReluPoolGrad(dy, argmax, y, this.c!.id, varId(r, bn.gamma), mean, inv));
    grads.set(bn.gamma, g.dgamma.id);
    grads.set(bn.beta, g.dbeta.id);
    const dx = this.conv.weightGrads(h, this.x!, g.dx.id, g.dbias.id, needDx, grads);
    h.drop(g.dx.id);
    return { dx };
  }
  release(h: Handles): void {
    h.drop(this.c?.id, ...this.saved);
    this.saved = [];
    this.x = this.c = null;
  }
}

/** Fuses a conv's block with the layers after it where an addon op covers the whole block (see the stages above). */
function fuse(stages: Stage[]): Stage[] {
  const out: Stage[] = [];
  for (let i = 0; i < stages.length; i++) {
    const [a, b, c, d] = stages.slice(i, i + 4);
    if (a instanceof ConvStage && a.reluBias && b instanceof PoolStage) {
      out.push(new ConvReluPoolStage(a, b));
      i += 1;
    } else if (a instanceof ConvStage && !a.relu && a.bias && b instanceof BatchNormStage && c instanceof ReluStage && d instanceof PoolStage) {
      out.push(new ConvBnReluPoolStage(a, b, d));
      i += 3;
    } else out.push(a);
  }
  return out;
}

/** Flatten (channels last): a reshape each way. */
class FlattenStage implements Stage {
  readonly keepsInput = false;
  readonly keepsOutput = false;
  readonly weights: TF.LayerVariable[] = [];
  private xShape: number[] = [];
  constructor(
    private readonly r: RawOps,
    readonly layer: TF.layers.Layer,
  ) {}
  forward(h: Handles, x: Act): Act {
    this.xShape = x.shape;
    const shape = [x.shape[0], x.shape.slice(1).reduce((a, b) => a * b, 1)];
    return { id: h.run1('Reshape', [this.r.tFloat, this.r.type('Tshape', 'int32')], [x.id, this.r.int32(shape)]), shape };
  }
  backward(h: Handles, dy: H, needDx: boolean): Back {
    return { dx: needDx ? h.run1('Reshape', [this.r.tFloat, this.r.type('Tshape', 'int32')], [dy, this.r.int32(this.xShape)]) : null };
  }
  release(): void {}
}

/** A ReLU layer (or `Activation('relu')`): Relu, and TensorFlow's ReluGrad (what lib/layers/nativeKernels.ts gives tfjs' Relu). */
class ReluStage implements Stage {
  readonly keepsInput = false;
  readonly keepsOutput = true;
  readonly weights: TF.LayerVariable[] = [];
  private y: Act | null = null;
  constructor(
    private readonly r: RawOps,
    readonly layer: TF.layers.Layer,
  ) {}
  forward(h: Handles, x: Act): Act {
    this.y = { id: h.run1('Relu', [this.r.tFloat], [x.id]), shape: x.shape };
    return this.y;
  }
  backward(h: Handles, dy: H, needDx: boolean): Back {
    // ReluGrad(dy, y) = dy·(y > 0) = dy·(x > 0).
    return { dx: needDx ? h.run1('ReluGrad', [this.r.tFloat], [dy, this.y!.id]) : null };
  }
  release(h: Handles): void {
    if (this.y) h.drop(this.y.id);
    this.y = null;
  }
}

/** tfjs-layers' Dropout: the same multiplier tfjs' `dropout` draws (from `Math.random`, so `withSeed` repeats it), then Mul. */
class DropoutStage implements Stage {
  readonly keepsInput = false;
  readonly keepsOutput = false;
  readonly weights: TF.LayerVariable[] = [];
  private mask: H | null = null;
  constructor(
    private readonly r: RawOps,
    readonly layer: TF.layers.Layer,
  ) {}
  forward(h: Handles, x: Act): Act {
    const me = this.layer as unknown as { rate: number; seed?: number };
    const keep = 1 - me.rate;
    // tfjs-core's dropout_: div(floor(add(randomUniform(shape, 0, 1, 'float32', seed), keepProb)), keepProb).
    const multiplier = tf.tidy(() => tf.keep(tf.div(tf.floor(tf.add(tf.randomUniform(x.shape, 0, 1, 'float32', me.seed), keep)), keep)));
    // Take the handle over from tfjs: a clone of the handle keeps TF's buffer alive after the tensor is disposed.
    this.mask = h.run1('Identity', [this.r.tFloat], this.r.ids([multiplier]));
    multiplier.dispose();
    return { id: h.run1('Mul', [this.r.tFloat], [x.id, this.mask]), shape: x.shape };
  }
  backward(h: Handles, dy: H, needDx: boolean): Back {
    return { dx: needDx ? h.run1('Mul', [this.r.tFloat], [dy, this.mask!]) : null };
  }
  release(h: Handles): void {
    h.drop(this.mask);
    this.mask = null;
  }
}

/** ZeroPadding2D (channels last): Pad forward, Slice of the gradient back. */
class ZeroPadStage implements Stage {
  readonly keepsInput = false;
  readonly keepsOutput = false;
  readonly weights: TF.LayerVariable[] = [];
  private xShape: number[] = [];
  private readonly pad: number[][];
  constructor(
    private readonly r: RawOps,
    readonly layer: TF.layers.Layer,
  ) {
    this.pad = (layer as unknown as { padding: number[][] }).padding;
  }
  forward(h: Handles, x: Act): Act {
    const r = this.r;
    const [[t, b], [left, right]] = this.pad;
    this.xShape = x.shape;
    const paddings = r.int32([0, 0, t, b, left, right, 0, 0], [4, 2]);
    const shape = [x.shape[0], x.shape[1] + t + b, x.shape[2] + left + right, x.shape[3]];
    return { id: h.run1('Pad', [r.tFloat, r.type('Tpaddings', 'int32')], [x.id, paddings]), shape };
  }
  backward(h: Handles, dy: H, needDx: boolean): Back {
    if (!needDx) return { dx: null };
    const r = this.r;
    const [[t], [left]] = this.pad;
    return { dx: h.run1('Slice', [r.tFloat, r.type('Index', 'int32')], [dy, r.int32([0, t, left, 0]), r.int32(this.xShape)]) };
  }
  release(): void {}
}

/** Layers the step passes through unchanged (the input layer, a linear activation, dropout of rate 0). */
function isIdentity(l: TF.layers.Layer): boolean {
  const c = className(l);
  if (c === 'InputLayer') return true;
  if (c === 'Activation' && activationOf(l) === 'linear') return true;
  if (c === 'Dropout') {
    const rate = (l as unknown as { rate: number }).rate;
    return !(rate > 0 && rate < 1);
  }
  return false;
}

/** tfjs-layers' own Dropout class (lib/layers/dropout.ts' subclass draws its masks differently). */
const TfjsDropout = tf.layers.dropout({ rate: 0.5 }).constructor;
const TfjsDense = tf.layers.dense({ units: 1 }).constructor;

/** The L2 coefficient of a layer's kernel regularizer (`tf.regularizers.l2`), 0 without one, null for any other kind. */
function kernelL2(l: TF.layers.Layer): number | null {
  const reg = (l as unknown as { kernelRegularizer?: { getClassName(): string; l1?: number; l2?: number } | null }).kernelRegularizer;
  if (reg == null) return 0;
  return reg.getClassName() === 'L1L2' && !reg.l1 && typeof reg.l2 === 'number' ? reg.l2 : null;
}

/** Whether `l` has a regularizer or constraint the step does not apply (it applies a kernel's L2 regularizer). */
function regularised(l: TF.layers.Layer): boolean {
  const me = l as unknown as Record<string, unknown>;
  if (kernelL2(l) === null) return true;
  return ['biasRegularizer', 'activityRegularizer', 'kernelConstraint', 'biasConstraint', 'gammaRegularizer', 'betaRegularizer', 'gammaConstraint', 'betaConstraint'].some((k) => me[k] != null);
}

/** The stage running `l`, or why there is none. */
function stageFor(r: RawOps, l: TF.layers.Layer, prev: Stage | undefined): Stage | string {
  const c = className(l);
  if (regularised(l)) return `${l.name}: regularisers or constraints other than an L2 on the kernel`;
  if (!l.trainable && l.weights.length) return `${l.name}: frozen weights`;
  const input = l.input;
  if (Array.isArray(input)) return `${l.name}: several inputs`;
  const rank = input.shape.length;
  const needRank = (n: number) => (rank === n ? null : `${l.name}: ${c} on rank-${rank} input (the step covers rank ${n})`);
  if (l instanceof Conv2D || l instanceof MaxPooling2D || l instanceof BatchNormalization || c === 'ZeroPadding2D') {
    const bad = needRank(4);
    if (bad) return bad;
  }
  if (l.constructor === TfjsDense) {
    const bad = needRank(2);
    if (bad) return bad;
  }
  if (l instanceof Conv2D) {
    const me = l as unknown as ConvInternals;
    const act = activationOf(l);
    if (me.rank !== 2 || me.dataFormat !== 'channelsLast' || me.dilationRate.some((d) => d !== 1) || (me.padding !== 'same' && me.padding !== 'valid') || (act !== 'relu' && act !== 'linear'))
      return `${l.name}: a Conv2D the step does not cover (dilation, channels first, padding ${me.padding} or activation ${act})`;
    return new ConvStage(r, l);
  }
  if (l instanceof MaxPooling2D) {
    const me = l as unknown as PoolInternals;
    if (me.dataFormat !== 'channelsLast' || (me.padding !== 'same' && me.padding !== 'valid')) return `${l.name}: channels-first or padding ${me.padding}`;
    return new PoolStage(r, l, prev instanceof ConvStage && prev.reluBias);
  }
  if (l instanceof BatchNormalization) {
    const me = l as unknown as BnInternals;
    if (!me.gamma || !me.beta || !(me.axis === -1 || me.axis === rank - 1)) return `${l.name}: batch norm without gamma/beta or not over the last axis`;
    return new BatchNormStage(r, l);
  }
  if (l.constructor === TfjsDense) {
    const act = activationOf(l);
    if (act !== 'relu' && act !== 'linear') return `${l.name}: Dense activation ${act}`;
    return new DenseStage(r, l);
  }
  if (c === 'Flatten') {
    if ((l as unknown as { dataFormat?: string }).dataFormat === 'channelsFirst') return `${l.name}: channels-first Flatten`;
    return new FlattenStage(r, l);
  }
  if ((c === 'ReLU' && (l as unknown as { maxValue?: number | null }).maxValue == null) || (c === 'Activation' && activationOf(l) === 'relu')) return new ReluStage(r, l);
  if (l.constructor === TfjsDropout) {
    if ((l as unknown as { noiseShape?: unknown }).noiseShape != null) return `${l.name}: dropout with a noise shape`;
    return new DropoutStage(r, l);
  }
  if (c === 'ZeroPadding2D') {
    if ((l as unknown as { dataFormat: string }).dataFormat !== 'channelsLast') return `${l.name}: channels-first ZeroPadding2D`;
    return new ZeroPadStage(r, l);
  }
  return `${l.name}: layer ${c} is not covered`;
}

/** The layers of `net` in order when they form a chain (each takes the one before's output), else why not. */
function chain(net: TF.LayersModel): TF.layers.Layer[] | string {
  if (net.inputs.length !== 1 || net.outputs.length !== 1) return 'not one input and one output';
  const layers = net.layers;
  for (let i = 0; i < layers.length; i++) {
    const l = layers[i];
    const nodes = (l as unknown as { inboundNodes: { inboundLayers: TF.layers.Layer[] }[] }).inboundNodes;
    if (className(l) === 'InputLayer') {
      if (i !== 0) return `${l.name}: an input layer inside the model`;
      continue;
    }
    const inbound = nodes.filter((n) => n.inboundLayers.length > 0);
    if (inbound.length !== 1 || inbound[0].inboundLayers.length !== 1) return `${l.name}: not a single-input layer used once`;
    if (i > 0 && inbound[0].inboundLayers[0] !== layers[i - 1]) return `${l.name}: does not take the previous layer's output`;
  }
  const last = (net.outputs[0] as unknown as { sourceLayer: TF.layers.Layer }).sourceLayer;
  if (last !== layers[layers.length - 1]) return 'the output is not the last layer';
  return layers;
}

/** The weights fit's `l2` penalises: every trainable weight named `kernel` (Keras `regularizers.l2` on kernels). */
export function l2Weights(net: TF.LayersModel): TF.LayerVariable[] {
  return net.trainableWeights.filter((w) => /kernel/.test(w.originalName ?? w.name));
}

export interface RawStepOptions {
  /** After lib/train/fit.ts' trainingView: the step covers 'logits' (cross-entropy from logits). */
  output: string;
  optimizer: TF.Optimizer;
  customLoss: boolean;
  l2: number;
  clipNorm?: number;
}

/** Whether `rawStep` covers this model and settings, and if not, the first reason why. */
export function rawStepPlan(net: TF.LayersModel, o: RawStepOptions): { ok: true; stages: Stage[] } | { ok: false; reason: string } {
  const no = (reason: string) => ({ ok: false as const, reason });
  if (process.env.GENRE_LAB_RAW_STEP === '0') return no('GENRE_LAB_RAW_STEP=0');
  if (!nativeTfOpsStatus().active) return no(`the addon's TF ops are not active (${nativeTfOpsStatus().reason})`);
  if (o.output !== 'logits') return no(`output ${o.output}: the step covers cross-entropy from logits`);
  if (o.customLoss) return no('a custom loss');
  if (o.clipNorm) return no('gradient clipping');
  if (!(o.optimizer instanceof FusedAdam) || FusedAdam.path() !== 'addon') return no('the optimizer is not FusedAdam on the addon path');
  const layers = chain(net);
  if (typeof layers === 'string') return no(layers);
  const r = rawOps();
  const stages: Stage[] = [];
  for (const l of layers) {
    if (isIdentity(l)) continue;
    const s = stageFor(r, l, stages[stages.length - 1]);
    if (typeof s === 'string') return no(s);
    stages.push(s);
  }
  const fused = process.env.GENRE_LAB_RAW_STEP_FUSE === '0' ? stages : fuse(stages);
  const covered = new Set(fused.flatMap((s) => s.weights));
  const trainable = net.trainableWeights;
  if (trainable.length !== covered.size || trainable.some((w) => !covered.has(w))) return no('trainable weights outside the covered layers');
  return { ok: true, stages: fused };
}

const stats = { steps: 0 };
/** Steps run so far (for tests: proof the step ran). */
export function rawStepStats(): Readonly<typeof stats> {
  return { ...stats };
}

/**
 * A compiled step: `run(x, y)` trains on one batch (float32 x, one-hot float32 y [batch, classes]) and
 * returns [mean loss, accuracy] as `trainOnBatch` does; null (nothing done) for a batch of other dtypes or ranks.
 */
export interface RawStep {
  run(x: TF.Tensor, y: TF.Tensor): [number, number] | null;
}

/** The step for `net` (see the module comment), or null with the reason when it does not cover the model or settings. */
export function rawStep(net: TF.LayersModel, o: RawStepOptions): { step: RawStep | null; reason: string } {
  const plan = rawStepPlan(net, o);
  if (!plan.ok) return { step: null, reason: plan.reason };
  const { stages } = plan;
  const optimizer = o.optimizer as FusedAdam;
  const r = rawOps();
  const trainable = net.trainableWeights;
  const tensors = trainable.map((w) => w.read() as TF.Variable);
  // Stages before the first with weights need no gradient at all; the first with weights needs no dx.
  const firstWeighted = stages.findIndex((s) => s.weights.length > 0);
  const ce = [r.tFloat];
  // L2 terms, fit's l2·Σ‖kernel‖² and the layers' kernel regularizers (tf.regularizers.l2), as tfjs
  // differentiates them: a kernel's gradient gains c·(2·w), the loss c·‖w‖², c the sum of its coefficients.
  const coef = new Map<TF.LayerVariable, number>();
  if (o.l2 > 0) for (const w of l2Weights(net)) coef.set(w, o.l2);
  for (const l of net.layers) {
    const c = kernelL2(l);
    const kernel = (l as unknown as { kernel?: TF.LayerVariable }).kernel;
    if (c && kernel) coef.set(kernel, (coef.get(kernel) ?? 0) + c);
  }
  const penalised = [...coef.entries()];
  return {
    reason: 'covered',
    step: {
      run(x: TF.Tensor, y: TF.Tensor): [number, number] | null {
        if (x.dtype !== 'float32' || y.dtype !== 'float32' || y.rank !== 2 || y.shape[0] !== x.shape[0]) return null;
        const rows = x.shape[0];
        const classes = y.shape[1] as number;
        const labels = y.dataSync() as Float32Array;
        const h = new Handles(r);
        const grads = new Map<TF.LayerVariable, H>();
        try {
          const [xi, yi] = r.ids([x, y]);
          // Forward; an activation is freed once neither the stage that made it nor the next one reads it back.
          const acts: Act[] = [];
          let a: Act = { id: xi, shape: x.shape };
          for (let i = 0; i < stages.length; i++) {
            const next = stages[i].forward(h, a);
            if (i > 0 && !stages[i - 1].keepsOutput && !stages[i].keepsInput) h.drop(acts[i - 1].id);
            acts.push(next);
            a = next;
          }
          const logits = a;
          const [lossRows, backprop] = h.run('SoftmaxCrossEntropyWithLogits', ce, [logits.id, yi], 2);
          const scale = h.own(r.b.createTensor([], r.b.TF_FLOAT, Float32Array.of(1 / rows)));
          let dy = h.run1('Mul', ce, [backprop.id, scale]);
          h.drop(backprop.id, scale);
          const lossValues = r.b.tensorDataSync(lossRows.id) as Float32Array;
          const z = r.b.tensorDataSync(logits.id) as Float32Array;
          h.drop(lossRows.id);
          // Backward, stage by stage; each stage's saved tensors and its output go once it is done.
          let pre: Back['reluBias'];
          for (let i = stages.length - 1; i >= firstWeighted && i >= 0; i--) {
            const back = stages[i].backward(h, dy, i > firstWeighted, grads, pre);
            h.drop(dy);
            stages[i].release(h);
            h.drop(acts[i].id);
            pre = back.reluBias;
            dy = back.dx ?? -1;
          }
          if (dy !== -1) h.drop(dy);
          let penalty = 0;
          if (penalised.length) {
            const scalar = (v: number) => h.own(r.b.createTensor([], r.b.TF_FLOAT, Float32Array.of(v)));
            const two = scalar(2);
            const terms = penalised.map(([w, c]) => {
              const wi = varId(r, w);
              const g = grads.get(w)!;
              const rate = scalar(c);
              const scaled = h.run1('Mul', ce, [h.run1('Mul', ce, [wi, two]), rate]);
              grads.set(w, h.run1('AddV2', ce, [g, scaled]));
              h.drop(g, scaled);
              const sum = h.run1('Sum', [r.bool('keep_dims', false), r.tFloat, r.type('Tidx', 'int32')], [h.run1('Square', ce, [wi]), r.int32(w.shape.map((_, k) => k))]);
              return h.run1('Mul', ce, [rate, sum]);
            });
            const total = terms.length === 1 ? terms[0] : h.run1('AddN', [r.int('N', terms.length), r.tFloat], terms);
            penalty = (r.b.tensorDataSync(total) as Float32Array)[0];
          }
          optimizer.applyHandles(
            tensors,
            trainable.map((w) => {
              const g = grads.get(w);
              if (g === undefined) throw new Error(`rawStep: no gradient for ${w.name}`);
              return g;
            }),
          );
          stats.steps++;
          let loss = 0;
          for (let i = 0; i < rows; i++) loss += lossValues[i];
          let correct = 0;
          for (let i = 0; i < rows; i++) {
            let bz = 0;
            let by = 0;
            for (let k = 1; k < classes; k++) {
              if (z[i * classes + k] > z[i * classes + bz]) bz = k;
              if (labels[i * classes + k] > labels[i * classes + by]) by = k;
            }
            if (bz === by) correct++;
          }
          return [penalised.length ? Math.fround(Math.fround(loss / rows) + penalty) : Math.fround(loss / rows), correct / rows];
        } finally {
          for (const s of stages) s.release(h);
          h.clear();
        }
      },
    },
  };
}
