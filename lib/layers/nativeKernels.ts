/**
 * Leaner tfjs-node (TensorFlow backend) kernels for ops every CNN and MLP trains through, swapped in for
 * tfjs-node's own by `installNativeKernels()` on the native TensorFlow backends (tfjs-node and
 * tfjs-node-gpu: the ops exist on both devices); wasm and the JS CPU backend keep tfjs' kernels. Same results:
 *
 * - `Step` (the ReLU derivative inside tfjs' fused conv/dense gradients; a ReLU layer's gradient is ReluGrad, below): tfjs-node builds it
 *   from six TensorFlow ops (IsNan, Greater, Fill ×2, Select ×2), four of them full-size float tensors
 *   alive at once, which on seed 004's first conv layer (batch 128 × 130 × 1295 × 16) is gigabytes.
 *   For alpha 0 on float32 it is Sign(Relu(x)): two ops, one live temporary; NaN stays NaN.
 * - The gradient of `Relu` (a ReLU layer or activation outside our fused conv/dense ops, e.g. seed
 *   001's conv → batch norm → ReLU): tfjs' is dy·Step(x), three full-size passes (Relu, Sign, Mul)
 *   here; on the native backends it is TensorFlow's `ReluGrad(dy, x)` = dy·(x > 0), one pass, what Keras
 *   and PyTorch run. tfjs' own gradient everywhere else (the registry is global: checked per call).
 * - `MaxPoolGrad` (native CPU backend only, when the addon is built): `GenreLabMaxPoolGrad`, a
 *   TensorFlow CPU kernel of our addon (native/tfops.cc) registered into the TF runtime tfjs-node
 *   runs, so it executes as a TF op on TF tensors (no copy). TF's own CPU MaxPoolGrad recomputes the
 *   pool with a scalar loop per channel (about 25× its forward pool: half of the lecture CNN's
 *   training batch); ours takes the same argmax (first maximum of the window in row-major order) and
 *   adds the gradients in the same order: the same bits (test/native-ops.test.ts).
 * - `BatchMatMul` of two matrices (or batches of one; every dense layer, forward and in its
 *   gradient) on the native CPU backend: TF's 2-D `MatMul` on the same buffers (Reshape shares them), which TF's CPU runtime runs about twice as fast as
 *   `BatchMatMulV2` at these sizes. Other shapes keep `BatchMatMulV2`.
 */
import { tf, backendInfo, type TF } from '../backend';
import { rawOps, nativeOpsAvailable } from './tfRaw';
import { kernel } from './cpuKernel';

type Info = TF.TensorInfo;
type KernelFunc = (args: { inputs: Record<string, Info>; backend: unknown; attrs?: Record<string, unknown> }) => Info | Info[];


function replaceKernel(name: string, make: (original: KernelFunc) => KernelFunc): void {
  const k = tf.getKernel(name, 'tensorflow');
  if (!k) return;
  const original = k.kernelFunc as unknown as KernelFunc;
  tf.unregisterKernel(name, 'tensorflow');
  tf.registerKernel({ ...k, kernelFunc: make(original) as never });
}

let installed = false;
let tfOps: { active: boolean; reason: string } | null = null;

/**
 * Whether the addon's TensorFlow CPU ops (native/tfops.cc) are registered and used, and why (not):
 * they serve the native CPU backend only (tfjs-node-gpu keeps TF's kernels, which run on the GPU).
 * GENRE_LAB_TFJS_KERNELS=1 turns them off with the other replacements here.
 */
export function nativeTfOpsStatus(): { active: boolean; reason: string } {
  if (tfOps) return tfOps;
  if (process.env.GENRE_LAB_TFJS_KERNELS === '1') return (tfOps = { active: false, reason: 'GENRE_LAB_TFJS_KERNELS=1: tfjs-node\'s own kernels' });
  if (backendInfo.kind !== 'native-cpu' || !nativeOpsAvailable()) return (tfOps = { active: false, reason: `backend is ${backendInfo.kind}; the addon's TF ops serve native-cpu only` });
  let why: string;
  try {
    why = kernel().registerTfOps();
  } catch (e) {
    why = (e as Error).message;
  }
  return (tfOps = why ? { active: false, reason: why } : { active: true, reason: 'GenreLabMaxPoolGrad (native/tfops.cc) registered' });
}

interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | unknown;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * Swaps in the kernels above on the native TensorFlow backend; a no-op elsewhere, or with
 * GENRE_LAB_TFJS_KERNELS=1 (tfjs' own kernels, for before/after measurements). Returns whether they are active.
 */
export function installNativeKernels(): boolean {
  if (installed) return true;
  if (process.env.GENRE_LAB_TFJS_KERNELS === '1') return false;
  if (!nativeOpsAvailable() || tf.getBackend() !== 'tensorflow') return false;
  replaceKernel('Step', (original) => (args) => {
    const { x } = args.inputs;
    if (x.dtype !== 'float32' || (args.attrs as { alpha?: number }).alpha !== 0) return original(args);
    const r = rawOps();
    const [xi] = r.ids([x as TF.Tensor]);
    const relu = r.run1('Relu', [r.tFloat], [xi]);
    try {
      return r.toTensor({ id: r.run1('Sign', [r.tFloat], [relu]), shape: x.shape });
    } finally {
      r.free(relu);
    }
  });
  const reluGrad = tf.getGradient('Relu');
  if (reluGrad)
    tf.registerGradient({
      ...reluGrad,
      gradFunc: (dy, saved, attrs) => {
        const [x] = saved;
        const d = dy as TF.Tensor;
        if (tf.getBackend() !== 'tensorflow' || x.dtype !== 'float32' || d.dtype !== 'float32') return reluGrad.gradFunc(dy, saved, attrs);
        return {
          x: () => {
            const r = rawOps();
            return r.toTensor({ id: r.run1('ReluGrad', [r.tFloat], r.ids([d, x])), shape: x.shape });
          },
        };
      },
    });
  if (backendInfo.kind === 'native-cpu')
    replaceKernel('BatchMatMul', (original) => (args) => {
      const { a, b } = args.inputs;
      const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
      const plain = (t: Info) => t.dtype === 'float32' && (t.shape.length === 2 || (t.shape.length === 3 && t.shape[0] === 1));
      if (!plain(a) || !plain(b) || a.shape.length !== b.shape.length) return original(args);
      const r = rawOps();
      const [ai, bi] = r.ids([a as TF.Tensor, b as TF.Tensor]);
      const as = a.shape.slice(-2);
      const bs = b.shape.slice(-2);
      const shape = [...a.shape.slice(0, -2), transposeA ? as[1] : as[0], transposeB ? bs[0] : bs[1]];
      if (a.shape.length === 2) return r.toTensor({ id: r.matMul(ai, bi, transposeA, transposeB), shape });
      const a2 = r.reshape(ai, as);
      const b2 = r.reshape(bi, bs);
      const c = r.matMul(a2, b2, transposeA, transposeB);
      try {
        return r.toTensor({ id: r.reshape(c, shape), shape });
      } finally {
        r.free(a2, b2, c);
      }
    });
  if (nativeTfOpsStatus().active)
    replaceKernel('MaxPoolGrad', (original) => (args) => {
      const { dy, input } = args.inputs;
      const a = args.attrs as unknown as PoolAttrs;
      if (input.dtype !== 'float32' || input.shape.length !== 4) return original(args);
      const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad as 'same', a.dimRoundingMode);
      const padding = info.padInfo.type;
      if ((padding !== 'SAME' && padding !== 'VALID') || info.dataFormat !== 'channelsLast') return original(args);
      const r = rawOps();
      const ints = (name: string, v: number[]) => ({ name, type: r.b.TF_ATTR_INT, value: v });
      const [xi, dyi] = r.ids([input as TF.Tensor, dy as TF.Tensor]);
      const attrs = [ints('ksize', [1, info.filterHeight, info.filterWidth, 1]), ints('strides', [1, info.strideHeight, info.strideWidth, 1]), r.str('padding', padding)];
      return r.toTensor({ id: r.run1('GenreLabMaxPoolGrad', attrs, [xi, dyi]), shape: input.shape });
    });
  installed = true;
  return true;
}
