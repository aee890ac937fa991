/**
 * tfjs-layers' `Dense` whose training step on the native CPU backend is one op each way (the Transformer's
 * feed-forward layers). tfjs runs a ReLU dense layer as MatMul, Add and Relu forward and, backward,
 * ReluGrad (lib/layers/nativeKernels.ts), Sum and two GEMMs, each with its engine bookkeeping; here, with the
 * addon's TF ops registered (lib/layers/nativeKernels.ts) and the CPU kernel selected
 * (lib/layers/cpuKernel.ts), forward is MatMul then `GenreLabBiasRelu` (ReLU) or `BiasAdd` (linear),
 * backward `GenreLabReluBiasGrad` (ReLU) or `BiasAddGrad`, then the two GEMMs (native/tfops.cc): the
 * same arithmetic. Other activations, no bias, other dtypes and other backends keep tfjs' own call.
 * Same weights, config and class name as tfjs' layer; not registered, so a saved model reloads with
 * tfjs-layers' own (identical) `Dense`.
 */
import { tf, type TF } from '../backend';
import { cpuKernelActive } from './cpuKernel';
import { nativeTfOpsStatus } from './nativeKernels';
import { rawOps } from './tfRaw';

type DenseArgs = Parameters<typeof tf.layers.dense>[0];
type Base = ReturnType<typeof tf.layers.dense>;
const DenseBase = tf.layers.dense({ units: 1 }).constructor as unknown as { new (args: DenseArgs): Base; className: string };

interface Internals {
  kernel: TF.LayerVariable | null;
  bias: TF.LayerVariable | null;
  useBias: boolean;
  activation: { getClassName(): string } | null;
}

/**
 * y = act(x·W + b) over x's last axis, act ReLU or identity, on the addon's TF ops (needs them
 * registered: `nativeTfOpsStatus().active`). Keeps x, W and (ReLU) y for the backward pass.
 */
export function denseCpu(x: TF.Tensor, kernel: TF.Tensor, bias: TF.Tensor, relu: boolean): TF.Tensor {
  const st = nativeTfOpsStatus();
  if (!st.active) throw new Error(`denseCpu: the addon's TF ops are not available: ${st.reason}`);
  const [inF, units] = kernel.shape;
  const rows = x.size / inF;
  const outShape = [...x.shape.slice(0, -1), units];
  const f = tf.customGrad(((xs: TF.Tensor, w: TF.Tensor, b: TF.Tensor, save: TF.GradSaveFunc) => {
    const r = rawOps();
    const [xi, wi, bi] = r.ids([xs, w, b]);
    const x2 = r.reshape(xi, [rows, inF]);
    const z = r.matMul(x2, wi);
    const y2 = relu ? r.run1('GenreLabBiasRelu', [], [z, bi]) : r.biasAdd(z, bi);
    const y = r.reshape(y2, outShape);
    r.free(x2, z, y2);
    const value = r.toTensor({ id: y, shape: outShape });
    save(relu ? [xs, w, value] : [xs, w]);
    return {
      value,
      gradFunc: (dy: TF.Tensor, saved: TF.Tensor[]) => {
        const [dyi, sx, sw, sy] = r.ids([dy, ...saved]);
        const dy2 = r.reshape(dyi, [rows, units]);
        let dz: number;
        let db: number;
        if (relu) {
          const yy = r.reshape(sy, [rows, units]);
          [dz, db] = r.run('GenreLabReluBiasGrad', [], [dy2, yy], 2).map((h) => h.id);
          r.free(yy, dy2);
        } else {
          dz = dy2;
          db = r.biasAddGrad(dy2);
        }
        const xx = r.reshape(sx, [rows, inF]);
        const dw = r.matMul(xx, dz, true, false);
        const dx2 = r.matMul(dz, sw, false, true);
        const dx = r.reshape(dx2, xs.shape);
        r.free(xx, dz, dx2);
        return [r.toTensor({ id: dx, shape: xs.shape }), r.toTensor({ id: dw, shape: [inF, units] }), r.toTensor({ id: db, shape: [units] })];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x, kernel, bias);
}

/** tfjs-layers' `Dense` training through `denseCpu` where it applies (see the module comment). */
export class Dense extends DenseBase {
  static className = 'Dense';

  call(inputs: TF.Tensor | TF.Tensor[], kwargs: TF.serialization.ConfigDict): TF.Tensor | TF.Tensor[] {
    const me = this as unknown as Internals;
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const act = me.activation?.getClassName();
    if (!me.useBias || !me.kernel || !me.bias || (act !== 'relu' && act !== 'linear') || x.dtype !== 'float32' || x.rank < 2 || !cpuKernelActive() || !nativeTfOpsStatus().active)
      return super.call(inputs, kwargs as never);
    return tf.tidy(() => denseCpu(x, me.kernel!.read(), me.bias!.read(), act === 'relu'));
  }
}

/** `tf.layers.dense` training through `denseCpu` where it applies. */
export function dense(args: DenseArgs): Dense {
  return new Dense(args);
}
