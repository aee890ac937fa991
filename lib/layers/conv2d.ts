/**
 * 2-D convolution (+ bias, + ReLU) as one differentiable op on the native backends, the way
 * TensorFlow's graph (Keras) and PyTorch run it: forward `Conv2D` → `BiasAdd` → `Relu` with only the
 * output kept; backward `ReluGrad` → `BiasAddGrad`, `Conv2DBackpropInput`, `Conv2DBackpropFilter`, the
 * intermediate freed at once. On the native CPU backend with the addon built, bias + ReLU and their
 * gradient are one pass each (`GenreLabBiasRelu`, `GenreLabReluBiasGrad`, native/tfops.cc). tfjs' fused conv2d instead keeps three full-size tensors per layer from
 * the forward pass (convolution, bias sum, activation) and four from the backward one (Step's ReLU
 * and sign, a float32→float32 Cast copy, the product) until the whole gradient is done: on seed 004's
 * whole-track CNN that was most of its memory. As with tfjs' own, the data batch's gradient (the first
 * layer's `Conv2DBackpropInput`) is not computed. When lib/layers/pool.ts' max pool reads the output,
 * its gradient hands over dy with the ReLU mask already applied and the bias' gradient summed
 * (`precomputeReluBiasGrad`): the gradient here then skips its ReLU pass.
 *
 * Every other case (other activations, dilation, channels-first, other backends: wasm, the JS CPU
 * backend) is tfjs-layers' own `Conv2D`, which this extends: same weights, config and serialised
 * class name, so saved models load either way. test/conv2d.test.ts checks outputs and gradients
 * against tfjs-layers' layer.
 */
import { tf, type TF } from '../backend';
import { rawOps, nativeOpsAvailable, type RawOps } from './tfRaw';
import { nativeTfOpsStatus } from './nativeKernels';

type Conv2DArgs = Parameters<typeof tf.layers.conv2d>[0];
type Base = ReturnType<typeof tf.layers.conv2d>;
/** tfjs-layers does not export the class itself; its constructor is the factory's product's. */
const Conv2DBase = tf.layers.conv2d({ filters: 1, kernelSize: 1 }).constructor as unknown as { new (args: Conv2DArgs): Base; className: string };

/** The fields of tfjs-layers' Conv2D this file (and lib/train/rawStep.ts) reads. */
export interface Internals {
  kernel: TF.LayerVariable;
  bias: TF.LayerVariable | null;
  strides: number[];
  padding: string;
  dataFormat: string;
  dilationRate: number[];
  activation: { getClassName(): string };
  rank: number;
}


/** Whether the addon's fused bias + ReLU ops run (native CPU backend, addon built: lib/layers/nativeKernels.ts). */
const fusedOps = () => nativeTfOpsStatus().active;

/** The op's name in tfjs' kernel registry (backend `tensorflow`: tfjs-node and tfjs-node-gpu). */
const KERNEL = 'GenreLabConv2D';

interface ConvAttrs {
  strides: [number, number];
  padding: 'same' | 'valid';
  relu: boolean;
  /** Whether a bias is among the inputs (a gradient function sees only the saved tensors). */
  bias: boolean;
}

/** The attributes of the conv ops (`conv`: Conv2D and its two gradients) and of BiasAdd / BiasAddGrad (`bias`). */
export function opAttrs(r: RawOps, a: Pick<ConvAttrs, 'strides' | 'padding'>) {
  const ints = (name: string, v: number[]) => ({ name, type: r.b.TF_ATTR_INT, value: v });
  return {
    conv: [r.tFloat, ints('strides', [1, a.strides[0], a.strides[1], 1]), r.str('padding', a.padding.toUpperCase()), r.str('data_format', 'NHWC'), ints('dilations', [1, 1, 1, 1])],
    bias: [r.tFloat, r.str('data_format', 'NHWC')],
  };
}

/** Outputs of the fused conv + bias + ReLU op (`GenreLabBiasRelu`): lib/layers/pool.ts' gradient may do the ReLU's and bias' work for them. */
const reluBiasOutputs = new WeakSet<TF.Tensor>();
/** Whether `t` is the output of the fused conv + bias + ReLU op (whose gradient takes `precomputeReluBiasGrad`). */
export function isReluBiasOutput(t: TF.Tensor): boolean {
  return reluBiasOutputs.has(t);
}
/** Gradients dy that already are dz = dy·(y > 0), with BiasAddGrad(dz) as a raw handle, until the conv's gradient takes them. */
const precomputed = new Map<TF.Tensor, number>();
/**
 * Hands the conv's gradient a dy that already is ReluGrad(dy, y) (the conv output's gradient), with
 * `db` = its per-channel sum (a raw handle, owned from now on). Entries whose dy was disposed unused
 * (a bias left out of the gradient) are freed here.
 */
export function precomputeReluBiasGrad(dz: TF.Tensor, db: { id: number }): void {
  for (const [t, id] of precomputed)
    if (t.isDisposed) {
      rawOps().free(id);
      precomputed.delete(t);
    }
  precomputed.set(dz, db.id);
}

let registered = false;
/**
 * Registers the op and its gradient with tfjs (once). A registered gradient, not `tf.customGrad`: tfjs
 * asks a registered gradient only for the inputs the result depends on, so the data batch's gradient
 * (the first layer's `Conv2DBackpropInput`) is never computed.
 */
function register(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: KERNEL,
    backendName: 'tensorflow',
    kernelFunc: (({ inputs, attrs }: { inputs: Record<string, TF.TensorInfo>; attrs: ConvAttrs }) => {
      const r = rawOps();
      const a = opAttrs(r, attrs);
      const [xi, wi] = r.ids([inputs.x as TF.Tensor, inputs.filter as TF.Tensor]);
      let y = r.run('Conv2D', a.conv, [xi, wi])[0];
      if (inputs.bias && attrs.relu && fusedOps()) {
        const z = r.run('GenreLabBiasRelu', [], [y.id, r.ids([inputs.bias as TF.Tensor])[0]])[0];
        r.free(y.id);
        return r.toTensor(z);
      }
      if (inputs.bias) {
        const z = r.run('BiasAdd', a.bias, [y.id, r.ids([inputs.bias as TF.Tensor])[0]])[0];
        r.free(y.id);
        y = z;
      }
      if (attrs.relu) {
        const z = r.run('Relu', [r.tFloat], [y.id])[0];
        r.free(y.id);
        y = z;
      }
      return r.toTensor(y);
    }) as never,
  });
  tf.registerGradient({
    kernelName: KERNEL,
    inputsToSave: ['x', 'filter'],
    outputsToSave: [true],
    gradFunc: ((dy: TF.Tensor, saved: TF.Tensor[], attrs: ConvAttrs) => {
      const [x, w, y] = saved;
      const r = rawOps();
      const a = opAttrs(r, attrs);
      const [dyi] = r.ids([dy]);
      // The gradient at the pre-activation, shared by the three closures below. tfjs calls them in
      // this object's key order, for the inputs the result depends on: the last one (the bias, or the
      // filter without one) frees it; otherwise the enclosing gradient scope does.
      let db: TF.Tensor | null = null;
      let dz: TF.Tensor;
      const pre = attrs.relu && attrs.bias ? precomputed.get(dy) : undefined;
      if (pre !== undefined) {
        // lib/layers/pool.ts' gradient already applied the ReLU and summed the bias' gradient.
        precomputed.delete(dy);
        dz = dy;
        db = r.toTensor({ id: pre, shape: [w.shape[3] as number] });
      } else if (attrs.relu && attrs.bias && fusedOps()) {
        const [dzh, dbh] = r.run('GenreLabReluBiasGrad', [], [dyi, r.ids([y])[0]], 2);
        dz = r.toTensor(dzh);
        db = r.toTensor(dbh);
      } else dz = attrs.relu ? r.toTensor({ id: r.run1('ReluGrad', [r.tFloat], [dyi, r.ids([y])[0]]), shape: y.shape }) : dy;
      const dzId = () => r.ids([dz])[0];
      const done = () => {
        if (dz !== dy) dz.dispose();
      };
      const grads: Record<string, () => TF.Tensor> = {
        x: () => r.toTensor({ id: r.run1('Conv2DBackpropInput', a.conv, [r.int32(x.shape), r.ids([w])[0], dzId()]), shape: x.shape }),
        filter: () => {
          const g = r.toTensor({ id: r.run1('Conv2DBackpropFilter', a.conv, [r.ids([x])[0], r.int32(w.shape), dzId()]), shape: w.shape });
          if (!attrs.bias) done();
          return g;
        },
      };
      if (attrs.bias)
        grads.bias = () => {
          const g = db ?? r.toTensor({ id: r.run1('BiasAddGrad', a.bias, [dzId()]), shape: [w.shape[3] as number] });
          done();
          return g;
        };
      return grads;
    }) as never,
  });
}

/**
 * relu(conv2d(x, w) + b) (or without the ReLU, or the bias) in NHWC with `padding` 'same' | 'valid', as
 * one op with its own gradient; native backends only (see `nativeOpsAvailable`).
 */
export function conv2dBiasRelu(x: TF.Tensor4D, w: TF.Tensor4D, b: TF.Tensor1D | null, strides: [number, number], padding: 'same' | 'valid', relu: boolean): TF.Tensor4D {
  register();
  const attrs: ConvAttrs = { strides, padding, relu, bias: b !== null };
  const y = tf.engine().runKernel(KERNEL, (b ? { x, filter: w, bias: b } : { x, filter: w }) as never, attrs as never) as TF.Tensor4D;
  if (b && relu && fusedOps()) reluBiasOutputs.add(y);
  return y;
}

/** tfjs-layers' `Conv2D`, as one op with its own gradient where it can (see the module comment). */
export class Conv2D extends Conv2DBase {
  static className = 'Conv2D';

  call(inputs: TF.Tensor | TF.Tensor[], kwargs: TF.serialization.ConfigDict): TF.Tensor | TF.Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const me = this as unknown as Internals;
    const act = me.activation.getClassName();
    if (
      me.rank !== 2 ||
      x.rank !== 4 ||
      x.dtype !== 'float32' ||
      me.dataFormat !== 'channelsLast' ||
      me.dilationRate.some((d) => d !== 1) ||
      (me.padding !== 'same' && me.padding !== 'valid') ||
      (act !== 'relu' && act !== 'linear') ||
      !nativeOpsAvailable()
    )
      return super.call(inputs, kwargs as never);
    return tf.tidy(() =>
      conv2dBiasRelu(
        x as TF.Tensor4D,
        me.kernel.read() as TF.Tensor4D,
        me.bias ? (me.bias.read() as TF.Tensor1D) : null,
        [me.strides[0], me.strides[1]],
        me.padding as 'same' | 'valid',
        act === 'relu',
      ),
    );
  }
}

tf.serialization.registerClass(Conv2D as never);

/** `tf.layers.conv2d`, as one op with its own gradient on the native backends. */
export function conv2d(args: Conv2DArgs): Conv2D {
  return new Conv2D(args);
}
