import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { tf, type TF } from '../lib/backend';
import { initLike } from '../lib/models/init';
import { lstm } from '../lib/layers/recurrent';
import { lectureCnn } from '../lib/models/lecture';
import { withSeed } from '../lib/train/random';

const values = (layer: TF.layers.Layer, name: string) => {
  const i = layer.weights.findIndex((w) => (w.originalName ?? w.name).endsWith(name));
  return Array.from(layer.getWeights()[i].dataSync());
};
const std = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / xs.length);
};
const maxAbs = (xs: number[]) => xs.reduce((a, x) => Math.max(a, Math.abs(x)), 0);

test("initLike('torch'): Linear and Conv U(±1/√fan_in) weights and biases, LSTM U(±1/√hidden) with PyTorch's two biases summed", () => {
  const model = withSeed(1, () =>
    initLike(
      tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [12, 12, 4], filters: 64, kernelSize: 3 }),
          tf.layers.reshape({ targetShape: [100, 64] }),
          lstm({ units: 100 }),
          tf.layers.dense({ units: 300 }),
        ],
      }),
      'torch',
    ),
  );
  const [conv, , rnn, dense] = model.layers;
  const bConv = 1 / Math.sqrt(3 * 3 * 4);
  const bDense = 1 / Math.sqrt(100);
  for (const [layer, bound, name] of [[conv, bConv, 'kernel'], [conv, bConv, 'bias'], [dense, bDense, 'kernel'], [dense, bDense, 'bias'], [rnn, 0.1, 'kernel'], [rnn, 0.1, 'recurrent_kernel']] as const) {
    const v = values(layer, name);
    assert.ok(maxAbs(v) <= bound + 1e-7, `${layer.name} ${name} within ±${bound}`);
    if (v.length >= 1000) {
      assert.ok(maxAbs(v) > 0.98 * bound, `${layer.name} ${name} reaches its bound`);
      assert.ok(Math.abs(std(v) / (bound / Math.sqrt(3)) - 1) < 0.05, `${layer.name} ${name} sd ${std(v)} ≈ bound/√3`);
    }
  }
  // LSTM bias: b_ih + b_hh, a triangular distribution on ±2/√H with sd √(2/3)/√H
  const bias = values(rnn, 'bias');
  assert.ok(maxAbs(bias) <= 0.2 + 1e-7 && maxAbs(bias) > 0.12);
  assert.ok(Math.abs(std(bias) / (0.1 * Math.sqrt(2 / 3)) - 1) < 0.12, `LSTM bias sd ${std(bias)}`);
  assert.ok(Math.abs(values(dense, 'bias').reduce((a, b) => a + b, 0)) > 0, 'torch biases are not zero');
});

test("initLike('keras'): glorot-uniform kernels (tfjs' default is glorotNormal) and zero biases; the LSTM keeps Keras' orthogonal/forget-bias start", () => {
  const model = withSeed(2, () => initLike(lectureCnn({ inputShape: [130, 13, 1], numClasses: 10 }), 'keras'));
  const convs = model.layers.filter((l) => l.getClassName() === 'Conv2D');
  const k = values(convs[1], 'kernel'); // 3×3×32 → 32: fan_in 288, fan_out 288
  const limit = Math.sqrt(6 / (288 + 288));
  assert.ok(maxAbs(k) <= limit + 1e-7 && maxAbs(k) > 0.97 * limit, `max |w| ${maxAbs(k)} vs limit ${limit}`);
  assert.ok(Math.abs(std(k) / (limit / Math.sqrt(3)) - 1) < 0.05);
  assert.ok(values(convs[1], 'bias').every((b) => b === 0));
  // batch norm stays Keras': momentum 0.99, epsilon 1e-3
  const bn = model.layers.find((l) => l.getClassName() === 'BatchNormalization')!.getConfig() as { momentum: number; epsilon: number };
  assert.deepEqual([bn.momentum, bn.epsilon], [0.99, 1e-3]);
  const rnn = withSeed(3, () => initLike(tf.sequential({ layers: [lstm({ units: 8, inputShape: [5, 4] })] }), 'keras')).layers[0];
  assert.deepEqual(values(rnn, 'bias'), [...new Array(8).fill(0), ...new Array(8).fill(1), ...new Array(16).fill(0)]);
});
