/**
 * lib/layers/conv2d.ts (convolution + bias + ReLU as one op with its own gradient on the native
 * backends) against tfjs-layers' Conv2D on the same weights: outputs and the gradients of x, kernel
 * and bias, for ReLU and linear, 'same' and 'valid', strides; the data batch's gradient is skipped;
 * the CNNs of lib/models train through it; fewer tensors outlive a gradient.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { tf, backendInfo, type TF } from '../lib/backend';
import { Conv2D, conv2d } from '../lib/layers/conv2d';
import { nativeOpsAvailable } from '../lib/layers/tfRaw';
import { lectureCnn } from '../lib/models/lecture';
import { trackCnn, mfccCnn } from '../lib/models/cnn';

const native = backendInfo.kind === 'native-cpu' || backendInfo.kind === 'native-gpu';

function maxDiff(a: TF.Tensor, b: TF.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}
function scale(a: TF.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(a)).dataSync()[0]);
}

const CASES: { args: Parameters<typeof tf.layers.conv2d>[0]; shape: [number, number, number, number] }[] = [
  { args: { filters: 8, kernelSize: 3, activation: 'relu' }, shape: [4, 20, 13, 1] },
  { args: { filters: 6, kernelSize: 3, padding: 'same' }, shape: [3, 13, 30, 4] },
  { args: { filters: 5, kernelSize: [2, 3], strides: [2, 1], padding: 'same', activation: 'relu' }, shape: [2, 11, 9, 3] },
  { args: { filters: 4, kernelSize: 2, strides: 2, useBias: false, activation: 'relu' }, shape: [2, 9, 8, 2] },
];

test('the native path is taken on the native backends', () => {
  assert.equal(nativeOpsAvailable(), native);
  assert.equal(conv2d({ filters: 1, kernelSize: 1 }).getClassName(), 'Conv2D');
  for (const m of [lectureCnn(), mfccCnn({ inputShape: [13, 40, 1] }), trackCnn({ inputShape: [20, 40, 1] })])
    assert.ok(m.layers.filter((l) => l.getClassName() === 'Conv2D').every((l) => l instanceof Conv2D), `${m.name}: every conv is lib/layers/conv2d's`);
});

test('Conv2D: outputs and gradients of x, kernel and bias equal tfjs-layers\' Conv2D', () => {
  for (const [i, c] of CASES.entries()) {
    const ours = conv2d(c.args);
    const theirs = tf.layers.conv2d(c.args);
    for (const l of [ours, theirs]) l.build(c.shape);
    const w = ours.getWeights().map((v, j) => tf.randomNormal(v.shape, 0, 0.5, 'float32', 100 * i + j));
    ours.setWeights(w);
    theirs.setWeights(w);
    const x = tf.randomNormal(c.shape, 0, 1, 'float32', 7 + i);
    const outShape = ours.computeOutputShape(c.shape) as number[];
    const r = tf.randomNormal(outShape, 0, 1, 'float32', 50 + i);
    const run = (l: TF.layers.Layer) => {
      const f = (xx: TF.Tensor) => tf.sum(tf.mul(l.apply(xx, { training: true }) as TF.Tensor, r)) as TF.Scalar;
      const { grads } = tf.variableGrads(() => f(x), l.trainableWeights.map((v) => (v as unknown as { val: TF.Variable }).val));
      return { y: l.apply(x) as TF.Tensor, dx: tf.grad(f)(x), dw: Object.values(grads) };
    };
    const a = run(ours);
    const b = run(theirs);
    const tol = (t: TF.Tensor) => 1e-5 * (1 + scale(t));
    const what = JSON.stringify(c.args);
    assert.ok(maxDiff(a.y, b.y) <= tol(b.y), `${what}: outputs differ by ${maxDiff(a.y, b.y)}`);
    assert.ok(maxDiff(a.dx, b.dx) <= tol(b.dx), `${what}: dx differs by ${maxDiff(a.dx, b.dx)}`);
    assert.equal(a.dw.length, b.dw.length);
    a.dw.forEach((g, j) => assert.ok(maxDiff(g, b.dw[j]) <= tol(b.dw[j]), `${what}: weight gradient ${j} differs by ${maxDiff(g, b.dw[j])}`));
    assert.ok(scale(a.dx) > 0 && a.dw.every((g) => scale(g) > 0), `${what}: gradients are not all zero`);
  }
});

test('Conv2D: a model trains the same through it as through tfjs-layers\' layer (one SGD step)', () => {
  const build = (mine: boolean) => {
    const make = mine ? conv2d : tf.layers.conv2d;
    return tf.sequential({
      layers: [make({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [10, 8, 1] }), tf.layers.maxPooling2d({ poolSize: 2 }), make({ filters: 3, kernelSize: 2, padding: 'same' }), tf.layers.flatten(), tf.layers.dense({ units: 3 })],
    });
  };
  const a = build(true);
  const b = build(false);
  b.setWeights(a.getWeights());
  const x = tf.randomNormal([6, 10, 8, 1], 0, 1, 'float32', 3);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32'), 3);
  for (const m of [a, b]) {
    const opt = tf.train.sgd(0.1);
    opt.minimize(() => tf.losses.softmaxCrossEntropy(y, m.apply(x, { training: true }) as TF.Tensor) as TF.Scalar);
  }
  a.getWeights().forEach((w, i) => assert.ok(maxDiff(w, b.getWeights()[i]) < 1e-5, `weight ${i} differs by ${maxDiff(w, b.getWeights()[i])} after a step`));
});

test('Conv2D: the native gradient keeps fewer tensors alive than tfjs\' fused conv (seed 004\'s memory)', { skip: !native && 'native backends only' }, () => {
  const peak = (mine: boolean) => {
    const make = mine ? conv2d : tf.layers.conv2d;
    const m = tf.sequential({ layers: [make({ filters: 8, kernelSize: 3, activation: 'relu', inputShape: [40, 60, 1] }), tf.layers.maxPooling2d({ poolSize: 2 }), make({ filters: 8, kernelSize: 3, activation: 'relu' }), tf.layers.flatten(), tf.layers.dense({ units: 2 })] });
    const x = tf.randomNormal([4, 40, 60, 1], 0, 1, 'float32', 1);
    let most = 0;
    const before = tf.memory().numBytes;
    // the most bytes alive while the gradient runs: sampled after each op through the engine's kernel hook
    const engine = tf.engine() as unknown as { runKernel: (...a: unknown[]) => unknown };
    const orig = engine.runKernel.bind(engine);
    engine.runKernel = (...args: unknown[]) => {
      const out = orig(...args);
      most = Math.max(most, tf.memory().numBytes - before);
      return out;
    };
    try {
      const { value, grads } = tf.variableGrads(() => tf.sum(m.apply(x, { training: true }) as TF.Tensor) as TF.Scalar);
      tf.dispose([value, ...Object.values(grads)]);
    } finally {
      engine.runKernel = orig;
    }
    return most;
  };
  const ours = peak(true);
  const theirs = peak(false);
  assert.ok(ours < 0.6 * theirs, `peak bytes during the gradient: ours ${ours}, tfjs-layers' ${theirs}`);
});
