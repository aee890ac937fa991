import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { tf, backendInfo, describeBackend } from '../lib/backend';

test('the native TensorFlow backend is active (not wasm / pure-JS cpu)', () => {
  assert.equal(tf.getBackend(), 'tensorflow');
  assert.match(backendInfo.kind, /^native-/);
  assert.match(backendInfo.tensorflow ?? '', /^\d+\.\d+/);
  assert.match(describeBackend(), /tensorflow \[native-(cpu|gpu)\]/);
});

test('matmul gives the right numbers (small exact, larger against a JS reference)', () => {
  const c = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5, 6], [7, 8]]));
  assert.deepEqual(c.arraySync(), [[19, 22], [43, 50]]);

  // 64x48 @ 48x32 with deterministic values, compared element-wise to a plain JS triple loop.
  const [m, k, n] = [64, 48, 32];
  const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i * 0.37));
  const b = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i * 0.11));
  const got = tf.matMul(tf.tensor2d(a, [m, k]), tf.tensor2d(b, [k, n])).dataSync();
  let maxErr = 0;
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
      maxErr = Math.max(maxErr, Math.abs(s - got[i * n + j]));
    }
  assert.ok(maxErr < 1e-4, `max abs error ${maxErr}`);
});
