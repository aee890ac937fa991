/**
 * lib/layers/pool.ts (max pooling that keeps its argmax; after the fused conv + bias + ReLU its gradient
 * also does the ReLU's and the bias') against tfjs-layers' MaxPooling2D on the same inputs: outputs and
 * gradients bit for bit, TF's tie rule, the conv → pool chain's weight gradients within float tolerance
 * with GenreLabReluBiasGrad skipped, and the fallbacks (inference, an untagged input). Where a C++
 * compiler is present the ops must be active on the native CPU backend (a silent fallback fails here).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import { tf, backendInfo, type TF } from '../lib/backend';
import { MaxPooling2D, maxPooling2d } from '../lib/layers/pool';
import { conv2d } from '../lib/layers/conv2d';
import { nativeTfOpsStatus } from '../lib/layers/nativeKernels';
import { RawOps } from '../lib/layers/tfRaw';
import { lectureCnn } from '../lib/models/lecture';
import { trackCnn, mfccCnn } from '../lib/models/cnn';
import { opsRun } from './helpers/ops';

const cxx = process.env.CXX || 'g++';
const skip =
  (backendInfo.kind !== 'native-cpu' && `backend is ${backendInfo.kind}: the addon's TF ops serve the native CPU backend only`) ||
  (spawnSync(cxx, ['--version']).status !== 0 && `no C++ compiler (${cxx}): the addon cannot be built on this machine`) ||
  (process.env.GENRE_LAB_TFJS_KERNELS === '1' && 'GENRE_LAB_TFJS_KERNELS=1 turns them off');


function differing(a: TF.Tensor, b: TF.Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  let n = 0;
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) n++;
  return n;
}
function maxDiff(a: TF.Tensor, b: TF.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}
function scale(a: TF.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(a)).dataSync()[0]);
}

/** Values with the ties a trained CNN pools: ReLU zeros, a coarse grid of repeated values. */
function tiedInput(shape: number[], seed: number): TF.Tensor4D {
  return tf.tidy(() => tf.relu(tf.round(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed), 2))) as TF.Tensor4D);
}

const CASES: { args: Parameters<typeof tf.layers.maxPooling2d>[0]; shape: [number, number, number, number] }[] = [
  { args: { poolSize: 3, strides: 2, padding: 'same' }, shape: [4, 128, 11, 32] },
  { args: { poolSize: 2, strides: 2, padding: 'same' }, shape: [3, 30, 1, 32] },
  { args: { poolSize: 2, strides: 2 }, shape: [2, 13, 65, 16] },
  { args: { poolSize: [3, 2], strides: [1, 3], padding: 'same' }, shape: [3, 9, 10, 5] },
  { args: { poolSize: 4, strides: [3, 2] }, shape: [2, 7, 8, 3] },
];

test('the CNNs of lib/models pool through lib/layers/pool.ts; the ops are active on the native CPU backend', () => {
  assert.equal(maxPooling2d({ poolSize: 2 }).getClassName(), 'MaxPooling2D');
  for (const m of [lectureCnn(), mfccCnn({ inputShape: [13, 40, 1] }), trackCnn({ inputShape: [20, 40, 1] })])
    assert.ok(m.layers.filter((l) => l.getClassName() === 'MaxPooling2D').every((l) => l instanceof MaxPooling2D), `${m.name}: every pool is lib/layers/pool's`);
  if (!skip) assert.ok(nativeTfOpsStatus().active, `not active: ${nativeTfOpsStatus().reason}`);
});

test('MaxPooling2D: outputs and gradients equal tfjs-layers\' MaxPooling2D bit for bit (ties, overlaps, paddings)', () => {
  for (const [i, c] of CASES.entries()) {
    for (const x of [tiedInput(c.shape, 10 + i), tf.randomNormal(c.shape, 0, 1, 'float32', 20 + i) as TF.Tensor4D]) {
      const ours = maxPooling2d(c.args);
      const theirs = tf.layers.maxPooling2d(c.args);
      const outShape = ours.computeOutputShape(c.shape) as number[];
      const r = tf.randomNormal(outShape, 0, 1, 'float32', 50 + i);
      const run = (l: TF.layers.Layer) => {
        const f = (xx: TF.Tensor) => tf.sum(tf.mul(l.apply(xx, { training: true }) as TF.Tensor, r)) as TF.Scalar;
        return { y: l.apply(x, { training: true }) as TF.Tensor, dx: tf.grad(f)(x) };
      };
      const { result: a, ops } = opsRun(() => run(ours));
      const b = run(theirs);
      const what = JSON.stringify(c.args);
      assert.deepEqual(a.y.shape, b.y.shape);
      assert.equal(differing(a.y, b.y), 0, `${what}: outputs differ`);
      assert.equal(differing(a.dx, b.dx), 0, `${what}: dx differs`);
      if (!skip) {
        assert.ok(ops.includes('GenreLabMaxPoolArgmax') && ops.includes('GenreLabMaxPoolScatter'), `${what}: ops run: ${[...new Set(ops)].join(', ')}`);
        assert.ok(!ops.includes('MaxPool') && !ops.includes('MaxPoolGrad') && !ops.includes('GenreLabMaxPoolGrad'), `${what}: ops run: ${[...new Set(ops)].join(', ')}`);
      }
      tf.dispose([x, r, a.y, a.dx, b.y, b.dx]);
    }
  }
});

test('GenreLabMaxPoolArgmax: TF\'s tie rule (first maximum in row-major window order), offsets inside the item', { skip }, () => {
  const r = new RawOps();
  const ints = (name: string, v: number[]) => ({ name, type: r.b.TF_ATTR_INT, value: v });
  // one 4×4 item, 2 channels; channel 0 is all ties, channel 1 has its maximum twice in the first window
  const x = tf.tensor4d([...Array(16).keys()].flatMap((i) => [1, i === 1 || i === 4 ? 5 : 0]), [1, 4, 4, 2]);
  const [y, am] = r.run('GenreLabMaxPoolArgmax', [ints('ksize', [1, 2, 2, 1]), ints('strides', [1, 2, 2, 1]), r.str('padding', 'VALID')], r.ids([x]), 2);
  const argmax = r.be.createOutputTensor({ id: am.id, shape: am.shape, dtype: r.b.TF_INT32 });
  const pooled = r.toTensor(y);
  assert.deepEqual(Array.from(pooled.dataSync()), [1, 5, 1, 0, 1, 0, 1, 0]);
  // window (0,0): channel 0 → (0,0)·2; channel 1 → (0,1)·2+1 = 3 (before (1,0)); window (0,1) starts at column 2: (0,2)·2 = 4, (0,2)·2+1 = 5
  assert.deepEqual(Array.from(argmax.dataSync()).slice(0, 4), [0, 3, 4, 5]);
  tf.dispose([x, argmax, pooled]);
  r.dispose();
});

test('conv (ReLU) → pool: the pool\'s gradient does the ReLU\'s and bias\' work; weight gradients as tfjs-layers\'', () => {
  const build = (mine: boolean) =>
    tf.sequential({
      layers: [
        (mine ? conv2d : tf.layers.conv2d)({ filters: 8, kernelSize: 3, activation: 'relu', inputShape: [20, 13, 1] }),
        (mine ? maxPooling2d : tf.layers.maxPooling2d)({ poolSize: 3, strides: 2, padding: 'same' }),
        (mine ? conv2d : tf.layers.conv2d)({ filters: 6, kernelSize: 3, activation: 'relu' }),
        (mine ? maxPooling2d : tf.layers.maxPooling2d)({ poolSize: 2, strides: 2, padding: 'same' }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 3 }),
      ],
    });
  const a = build(true);
  const b = build(false);
  // biases below zero, so that some windows are all ReLU zeros (the masked case)
  const w = a.getWeights().map((v, j) => (v.rank === 1 && j < 4 ? tf.fill(v.shape, -0.3) : tf.randomNormal(v.shape, 0, 0.5, 'float32', 40 + j)));
  a.setWeights(w);
  b.setWeights(w);
  const x = tf.randomNormal([5, 20, 13, 1], 0, 1, 'float32', 9);
  const grads = (m: TF.LayersModel) => {
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(m.apply(x, { training: true }) as TF.Tensor)) as TF.Scalar);
    value.dispose();
    return m.trainableWeights.map((v) => grads[(v as unknown as { val: TF.Variable }).val.name]);
  };
  const { result: ga, ops } = opsRun(() => grads(a));
  const gb = grads(b);
  ga.forEach((g, j) => assert.ok(maxDiff(g, gb[j]) <= 1e-5 * (1 + scale(gb[j])), `weight gradient ${j} differs by ${maxDiff(g, gb[j])} (scale ${scale(gb[j])})`));
  assert.ok(ga.every((g) => scale(g) > 0));
  if (!skip) {
    assert.equal(ops.filter((o) => o === 'GenreLabMaxPoolScatterRelu').length, 2, `ops run: ${[...new Set(ops)].join(', ')}`);
    assert.ok(!ops.includes('GenreLabReluBiasGrad') && !ops.includes('ReluGrad'), `the ReLU gradient ran anyway: ${[...new Set(ops)].join(', ')}`);
  }
  tf.dispose([...w, x, ...ga, ...gb]);
});

test('pool fallbacks: inference runs TF\'s MaxPool; a pool after a separate ReLU layer keeps the plain scatter and the conv its own ReLU gradient', () => {
  const m = tf.sequential({ layers: [conv2d({ filters: 4, kernelSize: 3, inputShape: [10, 9, 2] }), tf.layers.reLU(), maxPooling2d({ poolSize: 2 }), tf.layers.flatten(), tf.layers.dense({ units: 2 })] });
  const ref = tf.sequential({ layers: [tf.layers.conv2d({ filters: 4, kernelSize: 3, inputShape: [10, 9, 2] }), tf.layers.reLU(), tf.layers.maxPooling2d({ poolSize: 2 }), tf.layers.flatten(), tf.layers.dense({ units: 2 })] });
  ref.setWeights(m.getWeights());
  const x = tf.randomNormal([3, 10, 9, 2], 0, 1, 'float32', 4);
  const { result: y, ops: inference } = opsRun(() => m.predict(x) as TF.Tensor);
  const yRef = ref.predict(x) as TF.Tensor;
  assert.equal(differing(y, yRef), 0);
  const grads = (mm: TF.LayersModel) => {
    const { value, grads } = tf.variableGrads(() => tf.sum(mm.apply(x, { training: true }) as TF.Tensor) as TF.Scalar);
    value.dispose();
    return mm.trainableWeights.map((v) => grads[(v as unknown as { val: TF.Variable }).val.name]);
  };
  const { result: ga, ops } = opsRun(() => grads(m));
  const gb = grads(ref);
  ga.forEach((g, j) => assert.ok(maxDiff(g, gb[j]) <= 1e-5 * (1 + scale(gb[j])), `weight gradient ${j} differs by ${maxDiff(g, gb[j])}`));
  if (!skip) {
    assert.ok(inference.includes('MaxPool') && !inference.includes('GenreLabMaxPoolArgmax'), `inference ops: ${[...new Set(inference)].join(', ')}`);
    assert.ok(ops.includes('GenreLabMaxPoolScatter') && !ops.includes('GenreLabMaxPoolScatterRelu'), `ops run: ${[...new Set(ops)].join(', ')}`);
  }
  tf.dispose([x, y, yRef, ...ga, ...gb]);
});

test('GenreLabMaxPoolScatter refuses an x_shape that does not match the pooled input', { skip }, () => {
  const r = new RawOps();
  const dy = tf.ones([1, 2, 2, 3]);
  const am = r.be.createOutputTensor({ id: r.b.createTensor([1, 2, 2, 3], r.b.TF_INT32, new Int32Array(12)), shape: [1, 2, 2, 3], dtype: r.b.TF_INT32 });
  assert.throws(() => r.run1('GenreLabMaxPoolScatter', [], [...r.ids([dy, am]), r.int32([2, 4, 4, 3])]), /x_shape/);
  tf.dispose([dy, am]);
  r.dispose();
});
