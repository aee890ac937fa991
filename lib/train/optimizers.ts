/**
 * Optimizers as data, the learning-rate knob the schedulers turn, and gradient clipping by global
 * norm with PyTorch's `clip_grad_norm_` arithmetic (seed 000 clips to 1).
 */
import { tf, type TF } from '../backend';
import { cpuKernelStatus } from '../layers/cpuKernel';
import { FusedAdam } from './fusedAdam';

export interface OptimizerSpec {
  name: 'adam' | 'sgd';
  learningRate: number;
  /** Adam β₁ (0.9) and β₂ (0.999). */
  beta1?: number;
  beta2?: number;
  /** Adam ε: PyTorch 1e-8, Keras 1e-7 (set it to the seed's framework). */
  epsilon?: number;
  /** SGD momentum (0 = plain SGD). */
  momentum?: number;
}

/**
 * The optimizer for a spec. Adam is `FusedAdam` (one native call per variable, fusedAdam.ts) where
 * the CPU kernel runs, `tf.train.adam` elsewhere (GPU, wasm, or the kernel not built): the same update.
 */
export function makeOptimizer(spec: OptimizerSpec): TF.Optimizer {
  if (!(spec.learningRate > 0)) throw new Error(`optimizer ${spec.name}: learningRate must be > 0, got ${spec.learningRate}`);
  if (spec.name === 'adam' && cpuKernelStatus().active) return new FusedAdam(spec.learningRate, spec.beta1 ?? 0.9, spec.beta2 ?? 0.999, spec.epsilon ?? 1e-7);
  if (spec.name === 'adam') return tf.train.adam(spec.learningRate, spec.beta1 ?? 0.9, spec.beta2 ?? 0.999, spec.epsilon ?? 1e-7);
  if (spec.name === 'sgd') return spec.momentum ? tf.train.momentum(spec.learningRate, spec.momentum) : tf.train.sgd(spec.learningRate);
  throw new Error(`unknown optimizer '${(spec as { name: string }).name}' (adam, sgd)`);
}

/** Sets the learning rate of a tfjs optimizer in place (SGD caches it as a tensor, Adam reads the field). */
export function setLearningRate(optimizer: TF.Optimizer, lr: number): void {
  const o = optimizer as unknown as { learningRate: number; setLearningRate?: (lr: number) => void };
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  else o.learningRate = lr;
}

export function getLearningRate(optimizer: TF.Optimizer): number {
  return (optimizer as unknown as { learningRate: number }).learningRate;
}

/**
 * Scales gradients so their global L2 norm is at most `maxNorm`:
 * total = √Σ‖g‖², coef = maxNorm / (total + 1e-6), g ← g·coef when coef < 1 (torch `clip_grad_norm_`).
 * Returns the clipped tensors and the norm before clipping.
 */
export function clipByGlobalNorm(grads: TF.Tensor[], maxNorm: number): { clipped: TF.Tensor[]; norm: number } {
  return tf.tidy(() => {
    const total = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
    const norm = total.dataSync()[0];
    const coef = maxNorm / (norm + 1e-6);
    const clipped = coef < 1 ? grads.map((g) => tf.mul(g, coef)) : grads.map((g) => g.clone());
    return { clipped, norm };
  }) as { clipped: TF.Tensor[]; norm: number };
}

/**
 * Makes `optimizer` clip every update by global norm before applying it. The wrapper replaces the
 * instance's `applyGradients`, which `minimize` (and so `model.fit`/`trainOnBatch`) calls.
 * `lastNorm()` reports the norm of the latest update before clipping.
 */
export function withGradientClipping(optimizer: TF.Optimizer, maxNorm: number): TF.Optimizer & { lastNorm(): number } {
  if (!(maxNorm > 0)) throw new Error(`gradient clipping: maxNorm must be > 0, got ${maxNorm}`);
  const inner = optimizer.applyGradients.bind(optimizer);
  let last = NaN;
  type Named = { name: string; tensor: TF.Tensor };
  const o = optimizer as TF.Optimizer & { lastNorm(): number };
  o.applyGradients = (grads: TF.NamedTensorMap | Named[]) => {
    const named: Named[] = Array.isArray(grads) ? grads : Object.entries(grads).map(([name, tensor]) => ({ name, tensor }));
    const present = named.filter((g) => g.tensor != null);
    const { clipped, norm } = clipByGlobalNorm(present.map((g) => g.tensor), maxNorm);
    last = norm;
    inner(present.map((g, i) => ({ name: g.name, tensor: clipped[i] })));
    tf.dispose(clipped);
  };
  o.lastNorm = () => last;
  return o;
}
