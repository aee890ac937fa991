/**
 * lib/train/losses.ts' categorical cross-entropy from logits: on the native backends one
 * `SoftmaxCrossEntropyWithLogits` op (as Keras runs it), against tfjs' own composition
 * (logSoftmax, product, sums) on the same inputs: the loss and its gradient within float tolerance,
 * including saturated logits; from probabilities it stays the clipped Keras formula.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { tf, backendInfo, type TF } from '../lib/backend';
import { categoricalCrossentropy } from '../lib/train/losses';
import { opsRun } from './helpers/ops';

const native = backendInfo.kind === 'native-cpu' || backendInfo.kind === 'native-gpu';

/** The loss as tfjs composes it: mean(−Σ y·logSoftmax(z)). */
const reference = (y: TF.Tensor, z: TF.Tensor) => tf.mean(tf.neg(tf.sum(tf.mul(y, tf.logSoftmax(z)), -1))) as TF.Scalar;

test('cross-entropy from logits equals tfjs\' composition (loss and gradient); one TF op on the native backends', () => {
  const y = tf.oneHot(tf.tensor1d([3, 0, 9, 9, 1, 5], 'int32'), 10).toFloat();
  for (const [i, z] of [tf.randomNormal([6, 10], 0, 2, 'float32', 1), tf.mul(tf.randomNormal([6, 10], 0, 1, 'float32', 2), 60)].entries()) {
    const loss = categoricalCrossentropy(true);
    const { result: ours, ops } = opsRun(() => tf.valueAndGrad((zz: TF.Tensor) => loss(y, zz) as TF.Scalar)(z));
    const theirs = tf.valueAndGrad((zz: TF.Tensor) => reference(y, zz))(z);
    const l = ours.value.dataSync()[0];
    const t = theirs.value.dataSync()[0];
    assert.ok(Math.abs(l - t) <= 1e-5 * (1 + Math.abs(t)), `case ${i}: loss ${l}, tfjs ${t}`);
    const d = tf.max(tf.abs(tf.sub(ours.grad, theirs.grad))).dataSync()[0];
    assert.ok(d <= 1e-6, `case ${i}: gradients differ by ${d}`);
    if (native) assert.ok(ops.includes('SoftmaxCrossEntropyWithLogits') && !ops.includes('Log'), `case ${i}: ops run: ${[...new Set(ops)].join(', ')}`);
  }
});

test('cross-entropy from probabilities keeps Keras\' clipped formula', () => {
  const y = tf.tensor2d([[0, 1, 0], [1, 0, 0]]);
  const p = tf.tensor2d([[0.2, 0.7, 0.1], [0, 0.5, 0.5]]);
  const l = categoricalCrossentropy(false)(y, p).dataSync()[0];
  assert.ok(Math.abs(l - (-Math.log(0.7) - Math.log(1e-7)) / 2) < 1e-4, `loss ${l}`);
});
