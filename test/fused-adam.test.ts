/**
 * lib/train/fusedAdam.ts: the native Adam against tf.train.adam (same updates), its saved state,
 * gradient clipping on top of it, bit-identical results wherever its buffers sit, and
 * makeOptimizer's choice. Skipped where the CPU kernel does not run.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { tf, type TF } from '../lib/backend';
import { cpuKernelStatus, kernel, setFusedKernel } from '../lib/layers/cpuKernel';
import { FusedAdam } from '../lib/train/fusedAdam';
import { makeOptimizer, withGradientClipping } from '../lib/train/optimizers';
import { nativeTfOpsStatus } from '../lib/layers/nativeKernels';
import { backendInfo } from '../lib/backend';

const status = cpuKernelStatus();
const skip = !status.active && `CPU kernel not active: ${status.reason}`;

function mlp(): TF.Sequential {
  const m = tf.sequential();
  m.add(tf.layers.dense({ units: 7, inputShape: [5], activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
  m.add(tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
  return m;
}

const x = () => tf.randomNormal([16, 5], 0, 1, 'float32', 3);
const y = () => tf.randomNormal([16, 3], 0, 1, 'float32', 4);

async function train(model: TF.Sequential, optimizer: TF.Optimizer, steps: number): Promise<void> {
  model.compile({ optimizer, loss: 'meanSquaredError' });
  const [xs, ys] = [x(), y()];
  for (let i = 0; i < steps; i++) await model.trainOnBatch(xs, ys);
  tf.dispose([xs, ys]);
}

function maxDiff(a: TF.Tensor[], b: TF.Tensor[]): number {
  return Math.max(...a.map((t, i) => tf.tidy(() => tf.max(tf.abs(tf.sub(t, b[i]))).dataSync()[0])));
}

test('FusedAdam runs as one GenreLabAdam call (native/tfops.cc) wherever the addon\'s TF ops are registered', { skip }, async () => {
  const ops = nativeTfOpsStatus();
  if (backendInfo.kind === 'native-cpu' && process.env.GENRE_LAB_TFJS_KERNELS !== '1') assert.ok(ops.active, `the addon's TF ops are not active: ${ops.reason}`);
  assert.equal(FusedAdam.path(), ops.active ? 'addon' : backendInfo.kind.startsWith('native') ? 'tensorflow' : 'kernel');
  if (!ops.active) return;
  // One TF call for the whole step, whatever the number of variables.
  const a = mlp();
  const opt = new FusedAdam(0.01);
  a.compile({ optimizer: opt, loss: 'meanSquaredError' });
  // The binding object is frozen: hand the backend a copy whose executeOp records each op.
  const be = tf.backend() as unknown as { binding: Record<string, unknown> & { executeOp: (...args: unknown[]) => unknown } };
  const binding = be.binding;
  const copy: Record<string, unknown> = {};
  for (const k of Object.getOwnPropertyNames(binding)) copy[k] = typeof binding[k] === 'function' ? (binding[k] as (...args: unknown[]) => unknown).bind(binding) : binding[k];
  const seen: unknown[] = [];
  const grads = a.trainableWeights.map((w) => ({ name: (w.read() as TF.Variable).name, tensor: tf.onesLike(w.read()) }));
  be.binding = { ...copy, executeOp: (...args: unknown[]) => (seen.push(args[0]), binding.executeOp(...args)) } as typeof binding;
  try {
    opt.applyGradients(grads);
  } finally {
    be.binding = binding;
  }
  assert.deepEqual(seen, ['GenreLabAdam']);
  tf.dispose(grads.map((g) => g.tensor));
});

test('FusedAdam makes the same updates as tf.train.adam (20 steps, lr 0.01, ε 1e-8)', { skip }, async () => {
  const a = mlp();
  const b = mlp();
  b.setWeights(a.getWeights());
  await train(a, new FusedAdam(0.01, 0.9, 0.999, 1e-8), 20);
  await train(b, tf.train.adam(0.01, 0.9, 0.999, 1e-8), 20);
  const moved = maxDiff(a.getWeights(), mlp().getWeights());
  assert.ok(moved > 0.05, `the weights moved (${moved})`);
  const d = maxDiff(a.getWeights(), b.getWeights());
  assert.ok(d < 2e-5, `FusedAdam vs tf.train.adam: max weight difference ${d}`);
});

test('FusedAdam state survives getWeights/setWeights: a restored optimizer continues identically', { skip }, async () => {
  const a = mlp();
  const optA = new FusedAdam(0.02);
  await train(a, optA, 5);
  const b = mlp();
  b.setWeights(a.getWeights());
  const optB = new FusedAdam(0.02);
  await optB.setWeights(await optA.getWeights());
  await train(a, optA, 5);
  await train(b, optB, 5);
  assert.equal(maxDiff(a.getWeights(), b.getWeights()), 0);
  await assert.rejects(optB.setWeights([{ name: 'nonsense', tensor: tf.scalar(1) }]), /unexpected weight 'nonsense'/);
});

test('gradient clipping wraps FusedAdam like any optimizer', { skip }, async () => {
  const a = mlp();
  const clipped = withGradientClipping(new FusedAdam(0.01), 1e-3);
  await train(a, clipped, 2);
  assert.ok(clipped.lastNorm() > 1e-3, `norm before clipping ${clipped.lastNorm()}`);
});

test('adamStep gives bit-identical results wherever its buffers sit (no alignment-dependent rounding)', { skip }, () => {
  const n = 1003;
  const results = [0, 1, 2, 3, 7].map((offset) => {
    const at = (f: (i: number) => number) => {
      const a = new Float32Array(n + 16).subarray(offset, offset + n);
      for (let i = 0; i < n; i++) a[i] = f(i);
      return a;
    };
    const [w, g, m, v] = [at((i) => Math.sin(i)), at((i) => Math.cos(i * 3)), at((i) => Math.abs(Math.sin(i * 5)) * 0.1), at((i) => Math.abs(Math.cos(i * 7)) * 0.01)];
    for (let t = 1; t <= 3; t++) kernel().adamStep(w, g, m, v, 0.01, 0.9, 0.999, 1e-7, t);
    return Array.from(w);
  });
  for (const r of results.slice(1)) assert.deepEqual(r, results[0]);
});

test('makeOptimizer: FusedAdam where the CPU kernel runs, tf.train.adam when the TF kernels are chosen', { skip }, () => {
  const chosen = makeOptimizer({ name: 'adam', learningRate: 1e-3 });
  assert.ok(chosen instanceof FusedAdam, `makeOptimizer gave ${chosen.constructor.name} (${JSON.stringify(cpuKernelStatus())})`);
  setFusedKernel('tf');
  try {
    const other = makeOptimizer({ name: 'adam', learningRate: 1e-3 });
    assert.ok(!(other instanceof FusedAdam), `makeOptimizer gave ${other.constructor.name}`);
  } finally {
    setFusedKernel('auto');
  }
  assert.throws(() => new FusedAdam(0), /learningRate must be > 0/);
  assert.throws(() => new FusedAdam(0.1, 1), /beta1 and beta2 must be in \[0, 1\)/);
});
