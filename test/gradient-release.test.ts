/**
 * lib/train/tapeRelease.ts: the backward pass frees each op's saved tensors and output gradients
 * once done with them. Same gradients as tfjs' own lifetimes, no tensor leaked or disposed too early
 * (the caller's dy, higher-order gradients, ops with several outputs), and a lower peak.
 */
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { tf, type TF } from '../lib/backend';
import { installTapeRelease, setTapeRelease } from '../lib/train/tapeRelease';

/** Early release on (installed once on tfjs' engine) or off (tfjs' own lifetimes); whether it is on. */
function setEarlyGradientRelease(on: boolean): boolean {
  if (on && !installTapeRelease()) return false;
  setTapeRelease(on);
  return on;
}
import { lectureCnn } from '../lib/models/lecture';

after(() => setEarlyGradientRelease(false));

function model(): TF.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ filters: 6, kernelSize: 3, activation: 'relu', inputShape: [24, 20, 1] }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.batchNormalization(),
      tf.layers.conv2d({ filters: 6, kernelSize: 3, activation: 'tanh' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 16, activation: 'relu' }),
      tf.layers.dense({ units: 4 }),
    ],
  });
}

/** Gradients of a training loss on `m`, the bytes alive at the busiest moment, and the tensors left over. */
function run(m: TF.LayersModel, x: TF.Tensor, y: TF.Tensor) {
  const before = tf.memory().numTensors;
  const base = tf.memory().numBytes;
  let most = 0;
  const engine = tf.engine() as unknown as { runKernel: (...a: unknown[]) => unknown };
  const orig = engine.runKernel;
  engine.runKernel = function (this: unknown, ...a: unknown[]) {
    const out = orig.apply(this, a);
    most = Math.max(most, tf.memory().numBytes - base);
    return out;
  };
  let result: { value: TF.Scalar; grads: TF.NamedTensorMap };
  try {
    result = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, m.apply(x, { training: true }) as TF.Tensor) as TF.Scalar);
  } finally {
    engine.runKernel = orig;
  }
  const grads = m.trainableWeights.map((w) => result.grads[(w as unknown as { val: TF.Variable }).val.name]);
  const left = tf.memory().numTensors - before - grads.length - 1;
  return { value: result.value, grads, most, left };
}

test('early release: the same gradients as tfjs\' lifetimes, nothing leaked, a lower peak', () => {
  const m = model();
  const x = tf.randomNormal([8, 24, 20, 1], 0, 1, 'float32', 1);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3], 'int32'), 4);
  setEarlyGradientRelease(false);
  const a = run(m, x, y);
  assert.equal(setEarlyGradientRelease(true), true);
  const b = run(m, x, y);
  assert.equal(b.value.dataSync()[0], a.value.dataSync()[0]);
  a.grads.forEach((g, i) => assert.deepEqual(Array.from(b.grads[i].dataSync()), Array.from(g.dataSync()), `gradient ${i}`));
  assert.equal(a.left, 0, 'tfjs leaks nothing');
  assert.equal(b.left, 0, 'early release leaks nothing');
  assert.ok(b.most < 0.8 * a.most, `peak bytes: early release ${b.most}, tfjs ${a.most}`);
  tf.dispose([a.value, b.value, ...a.grads, ...b.grads]);
});

test('early release keeps the caller\'s dy and works through higher-order gradients and multi-output ops', () => {
  setEarlyGradientRelease(true);
  const x = tf.tensor1d([0.5, -1, 2]);
  const dy = tf.tensor1d([1, 2, 3]);
  const g = tf.grad((v: TF.Tensor) => tf.mul(tf.sin(v), tf.exp(v)))(x, dy);
  assert.ok(!dy.isDisposed, 'the caller\'s dy is not disposed');
  const want = [0.5, -1, 2].map((v, i) => (Math.cos(v) + Math.sin(v)) * Math.exp(v) * [1, 2, 3][i]);
  Array.from(g.dataSync()).forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-5, `dx ${i}: ${v} vs ${want[i]}`));
  // second derivative of x³: 6x
  const d2 = tf.grad((v: TF.Tensor) => tf.grad((u: TF.Tensor) => tf.pow(u, 3))(v))(x);
  assert.deepEqual(Array.from(d2.dataSync()).map((v) => Math.round(v * 1e4) / 1e4), [3, -6, 12]);
  // an op with several outputs (split) whose outputs feed different paths
  const s = tf.grad((v: TF.Tensor) => {
    const [p, q] = tf.split(tf.reshape(tf.concat([v, v]), [2, 3]), 2);
    return tf.sum(tf.add(tf.mul(p, 2), tf.mul(q, q)));
  })(x);
  assert.deepEqual(Array.from(s.dataSync()), [0.5, -1, 2].map((v) => 2 + 2 * v));
});

test('a CNN trains through an optimizer step with early release on (finite loss, nothing left over)', async () => {
  setEarlyGradientRelease(true);
  const m = lectureCnn({ inputShape: [30, 13, 1] });
  const x = tf.randomNormal([6, 30, 13, 1], 0, 1, 'float32', 2);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5], 'int32'), 10);
  const opt = tf.train.adam(1e-3);
  const before = tf.memory().numTensors;
  const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, m.apply(x, { training: true }) as TF.Tensor) as TF.Scalar, true) as TF.Scalar;
  assert.ok(Number.isFinite(loss.dataSync()[0]));
  loss.dispose();
  // the optimizer's slots (2 per trainable weight) and the step counter are its own
  assert.ok(tf.memory().numTensors - before <= 2 * m.trainableWeights.length + 2, `${tf.memory().numTensors - before} tensors left`);
});
