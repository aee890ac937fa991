/**
 * Leaner tfjs-node (TensorFlow backend) kernels for ops every CNN and MLP trains through, swapped in for
 * tfjs-node's own by `installNativeKernels()` on the native TensorFlow backends (tfjs-node and
 * tfjs-node-gpu: the ops exist on both devices); wasm and the JS CPU backend keep tfjs' kernels. Same results:
 *
 * - `Step` (the ReLU derivative inside tfjs' ReLU and fused conv/dense gradients): tfjs-node builds it
 *   from six TensorFlow ops (IsNan, Greater, Fill ×2, Select ×2), four of them full-size float tensors
 *   alive at once, which on seed 004's first conv layer (batch 128 × 130 × 1295 × 16) is gigabytes.
 *   For alpha 0 on float32 it is Sign(Relu(x)): two ops, one live temporary; NaN stays NaN.
 */
import { tf, type TF } from '../backend';
import { RawOps, nativeOpsAvailable } from './tfRaw';

type Info = TF.TensorInfo;
type KernelFunc = (args: { inputs: Record<string, Info>; backend: unknown; attrs?: Record<string, unknown> }) => Info | Info[];

let raw: RawOps | null = null;
const rawOps = () => (raw ??= new RawOps());

function replaceKernel(name: string, make: (original: KernelFunc) => KernelFunc): void {
  const k = tf.getKernel(name, 'tensorflow');
  if (!k) return;
  const original = k.kernelFunc as unknown as KernelFunc;
  tf.unregisterKernel(name, 'tensorflow');
  tf.registerKernel({ ...k, kernelFunc: make(original) as never });
}

let installed = false;

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
  installed = true;
  return true;
}
