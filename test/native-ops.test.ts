/**
 * native/tfops.cc, the addon's TensorFlow CPU ops (lib/layers/nativeKernels.ts swaps them in on the
 * native CPU backend), against TensorFlow's own kernels run on the same inputs: GenreLabMaxPoolGrad
 * against TF's MaxPoolGrad, bit for bit, over paddings, windows, strides, ties (ReLU zeros, repeated
 * values) and NaN. Where a C++ compiler is present the op must be active on the native CPU backend
 * (a silent fallback fails here); the GPU build keeps TF's kernels and skips.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import { tf, backendInfo, type TF } from '../lib/backend';
import { installNativeKernels, nativeTfOpsStatus } from '../lib/layers/nativeKernels';
import { RawOps } from '../lib/layers/tfRaw';
import { opsRun } from './helpers/ops';

const cxx = process.env.CXX || 'g++';
const skip =
  (backendInfo.kind !== 'native-cpu' && `backend is ${backendInfo.kind}: the addon's TF ops serve the native CPU backend only`) ||
  (spawnSync(cxx, ['--version']).status !== 0 && `no C++ compiler (${cxx}): the addon cannot be built on this machine`) ||
  (process.env.GENRE_LAB_TFJS_KERNELS === '1' && 'GENRE_LAB_TFJS_KERNELS=1 turns them off');

test('the addon\'s TF ops are registered and active on the native CPU backend', { skip }, () => {
  const s = nativeTfOpsStatus();
  assert.ok(s.active, `not active: ${s.reason}`);
  assert.equal(installNativeKernels(), true);
});

/** Values with the ties a trained CNN pools: ReLU zeros, a coarse grid of repeated values. */
function tiedInput(shape: number[], seed: number): TF.Tensor4D {
  return tf.tidy(() => tf.relu(tf.round(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed), 2))) as TF.Tensor4D);
}


const CASES: { shape: [number, number, number, number]; k: [number, number]; s: [number, number]; pad: 'SAME' | 'VALID'; about: string }[] = [
  { shape: [4, 128, 11, 32], k: [3, 3], s: [2, 2], pad: 'SAME', about: 'lecture CNN block 1' },
  { shape: [3, 30, 2, 32], k: [2, 2], s: [2, 2], pad: 'SAME', about: 'lecture CNN block 3 (odd → padded)' },
  { shape: [2, 130, 65, 16], k: [2, 2], s: [2, 2], pad: 'VALID', about: 'seed 004 (odd width dropped)' },
  { shape: [2, 13, 259, 16], k: [2, 2], s: [2, 2], pad: 'VALID', about: 'seed 001' },
  { shape: [3, 9, 10, 5], k: [3, 2], s: [1, 3], pad: 'SAME', about: 'overlapping rows, stride > window in columns' },
  { shape: [2, 7, 8, 3], k: [4, 4], s: [3, 2], pad: 'VALID', about: 'large window' },
  { shape: [1, 5, 5, 1], k: [5, 5], s: [1, 1], pad: 'SAME', about: 'window as large as the input' },
];

test('GenreLabMaxPoolGrad equals TF\'s MaxPoolGrad bit for bit', { skip }, () => {
  const r = new RawOps();
  const ints = (name: string, v: number[]) => ({ name, type: r.b.TF_ATTR_INT, value: v });
  for (const [i, c] of CASES.entries()) {
    for (const x of [tiedInput(c.shape, 10 + i), tf.randomNormal(c.shape, 0, 1, 'float32', 20 + i) as TF.Tensor4D]) {
      const attrs = [ints('ksize', [1, ...c.k, 1]), ints('strides', [1, ...c.s, 1]), r.str('padding', c.pad)];
      const [xi] = r.ids([x]);
      const y = r.run('MaxPool', [r.tFloat, ...attrs, r.str('data_format', 'NHWC')], [xi])[0];
      const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 30 + i);
      const [dyi] = r.ids([dy]);
      const theirs = r.toTensor({ id: r.run1('MaxPoolGrad', [r.tFloat, ...attrs, r.str('data_format', 'NHWC')], [xi, y.id, dyi]), shape: c.shape });
      const ours = r.toTensor({ id: r.run1('GenreLabMaxPoolGrad', attrs, [xi, dyi]), shape: c.shape });
      r.free(y.id);
      const a = theirs.dataSync();
      const b = ours.dataSync();
      let differ = 0;
      for (let j = 0; j < a.length; j++) if (!Object.is(a[j], b[j])) differ++;
      assert.equal(differ, 0, `${c.about}: ${differ} of ${a.length} values differ`);
      tf.dispose([x, dy, theirs, ours]);
    }
  }
  r.dispose();
});

test('NaN in a window: the same gradient as TF (NaN wins only where it comes first)', { skip }, () => {
  const x = tf.tensor4d([NaN, 1, 2, 3, 4, NaN, 0, 5, 6, 7, 8, 9, NaN, NaN, 1, 2], [1, 4, 4, 1]);
  const dy = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
  const r = new RawOps();
  const ints = (name: string, v: number[]) => ({ name, type: r.b.TF_ATTR_INT, value: v });
  const attrs = [ints('ksize', [1, 2, 2, 1]), ints('strides', [1, 2, 2, 1]), r.str('padding', 'VALID')];
  const [xi, dyi] = r.ids([x, dy]);
  const y = r.run1('MaxPool', [r.tFloat, ...attrs, r.str('data_format', 'NHWC')], [xi]);
  const theirs = r.toTensor({ id: r.run1('MaxPoolGrad', [r.tFloat, ...attrs, r.str('data_format', 'NHWC')], [xi, y, dyi]), shape: [1, 4, 4, 1] });
  const ours = r.toTensor({ id: r.run1('GenreLabMaxPoolGrad', attrs, [xi, dyi]), shape: [1, 4, 4, 1] });
  r.free(y);
  assert.deepEqual(Array.from(ours.dataSync()), Array.from(theirs.dataSync()));
  r.dispose();
});

test('tf.maxPool\'s gradient runs GenreLabMaxPoolGrad once installed, with TF\'s values; bad attributes are refused', { skip }, () => {
  installNativeKernels();
  const x = tiedInput([2, 12, 9, 4], 3);
  const { result: dx, ops: seen } = opsRun(() =>
    tf.grad((v: TF.Tensor) => tf.sum(tf.mul(tf.maxPool(v as TF.Tensor4D, 3, 2, 'same'), tf.range(1, 1 + 2 * 6 * 5 * 4).reshape([2, 6, 5, 4]))))(x),
  );
  assert.ok(seen.includes('GenreLabMaxPoolGrad') && !seen.includes('MaxPoolGrad'), `ops run: ${[...new Set(seen)].join(', ')}`);
  // the same through the JS CPU reference: every upstream gradient lands on its window's first maximum
  const xs = x.arraySync() as number[][][][];
  const want = tf.buffer([2, 12, 9, 4]);
  for (let b = 0; b < 2; b++)
    for (let oh = 0; oh < 6; oh++)
      for (let ow = 0; ow < 5; ow++)
        for (let d = 0; d < 4; d++) {
          // SAME, 3×3 stride 2 on 12 × 9: pad top 0 (need (6−1)·2+3−12 = 1 → 0 before), left 1 ((5−1)·2+3−9 = 2 → 1 before)
          let best = -Infinity;
          let at = [0, 0];
          for (let h = Math.max(0, oh * 2); h < Math.min(12, oh * 2 + 3); h++)
            for (let w = Math.max(0, ow * 2 - 1); w < Math.min(9, ow * 2 - 1 + 3); w++)
              if (xs[b][h][w][d] > best) (best = xs[b][h][w][d]), (at = [h, w]);
          want.set(want.get(b, at[0], at[1], d) + 1 + ((b * 6 + oh) * 5 + ow) * 4 + d, b, at[0], at[1], d);
        }
  assert.deepEqual(Array.from(dx.dataSync()), Array.from(want.toTensor().dataSync()));
  const r = new RawOps();
  const [xi] = r.ids([x]);
  assert.throws(
    () => r.run1('GenreLabMaxPoolGrad', [{ name: 'ksize', type: r.b.TF_ATTR_INT, value: [2, 2, 2, 1] }, { name: 'strides', type: r.b.TF_ATTR_INT, value: [1, 2, 2, 1] }, r.str('padding', 'SAME')], [xi, xi]),
    /ksize\/strides must be/,
  );
});

test('dense matmuls run as 2-D MatMul on the native CPU backend, equal to BatchMatMulV2; batched ones keep BatchMatMulV2', { skip: backendInfo.kind !== 'native-cpu' && `backend is ${backendInfo.kind}` }, () => {
  installNativeKernels();
  const r = new RawOps();
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
    const a = tf.randomNormal(ta ? [300, 32] : [32, 300], 0, 1, 'float32', 1);
    const b = tf.randomNormal(tb ? [64, 300] : [300, 64], 0, 1, 'float32', 2);
    const { result, ops } = opsRun(() => tf.matMul(a, b, ta, tb));
    assert.ok(ops.includes('MatMul') && !ops.includes('BatchMatMulV2'), `ops: ${ops.join(', ')}`);
    const [a3, b3] = r.ids([a.reshape([1, ...a.shape]), b.reshape([1, ...b.shape])]);
    const want = r.toTensor({ id: r.batchMatMul(a3, b3, ta, tb), shape: [1, 32, 64] }).reshape([32, 64]);
    const diff = tf.max(tf.abs(tf.sub(result, want))).dataSync()[0];
    assert.ok(diff < 1e-4, `transpose ${ta}/${tb}: differs by ${diff}`);
  }
  // a dense layer's gradient goes the same way
  const w = tf.variable(tf.randomNormal([20, 5], 0, 1, 'float32', 3));
  const x = tf.randomNormal([8, 20], 0, 1, 'float32', 4);
  const { result: g, ops } = opsRun(() => tf.grad((v: TF.Tensor) => tf.sum(tf.square(tf.matMul(x, v))))(w));
  assert.ok(!ops.includes('BatchMatMulV2'), `gradient ops: ${ops.join(', ')}`);
  const want = tf.matMul(x.transpose(), tf.mul(2, tf.matMul(x, w)));
  assert.ok(tf.max(tf.abs(tf.sub(g, want))).dataSync()[0] < 1e-3);
  const batched = opsRun(() => tf.matMul(tf.ones([3, 4, 5]), tf.ones([3, 5, 2])));
  assert.ok(batched.ops.includes('BatchMatMulV2'));
  assert.deepEqual(Array.from(batched.result.dataSync()), new Array(24).fill(5));
  r.dispose();
});

test('GenreLabBiasRelu and GenreLabReluBiasGrad equal TF\'s BiasAdd + Relu and ReluGrad + BiasAddGrad', { skip }, () => {
  const r = new RawOps();
  for (const [i, shape] of [[4, 30, 11, 32], [3, 7, 5], [70000, 3]].entries()) {
    const C = shape[shape.length - 1];
    const x = tf.randomNormal(shape, 0, 1, 'float32', 40 + i);
    const b = tf.randomNormal([C], 0, 1, 'float32', 50 + i);
    const dy = tf.randomNormal(shape, 0, 1, 'float32', 60 + i);
    const [xi, bi, dyi] = r.ids([x, b, dy]);
    const biased = r.run1('BiasAdd', [r.tFloat, r.str('data_format', 'NHWC')], [xi, bi]);
    const theirs = r.toTensor({ id: r.run1('Relu', [r.tFloat], [biased]), shape });
    r.free(biased);
    const ours = r.toTensor(r.run('GenreLabBiasRelu', [], [xi, bi])[0]);
    assert.deepEqual(ours.shape, shape);
    assert.deepEqual(Array.from(ours.dataSync()), Array.from(theirs.dataSync()), `relu(x + b) for [${shape}]`);
    const [yi] = r.ids([theirs]);
    const dzTheirs = r.run1('ReluGrad', [r.tFloat], [dyi, yi]);
    const dbTheirs = r.toTensor({ id: r.run1('BiasAddGrad', [r.tFloat, r.str('data_format', 'NHWC')], [dzTheirs]), shape: [C] });
    const [dz, db] = r.run('GenreLabReluBiasGrad', [], [dyi, yi], 2).map((h) => r.toTensor(h));
    assert.deepEqual(Array.from(dz.dataSync()), Array.from(r.toTensor({ id: dzTheirs, shape }).dataSync()), `dy·(y > 0) for [${shape}]`);
    const diff = tf.max(tf.abs(tf.sub(db, dbTheirs))).dataSync()[0];
    const scale = tf.max(tf.abs(dbTheirs)).dataSync()[0];
    assert.ok(diff <= 1e-5 * (1 + scale) * Math.sqrt(dz.size / C), `bias gradient for [${shape}] differs by ${diff} (scale ${scale})`);
  }
  r.dispose();
});

test('the gradient of Relu is TensorFlow\'s ReluGrad on the native backend: dy·(x > 0), one op, bit for bit', { skip }, () => {
  installNativeKernels();
  tf.tidy(() => {
    const x = tf.mul(tf.round(tf.mul(tf.randomNormal([4, 13, 9, 8], 0, 1, 'float32', 3), 2)), 0.5); // zeros included
    const dy = tf.randomNormal(x.shape, 0, 1, 'float32', 4);
    const { result: dx, ops } = opsRun(() => tf.grad((v: TF.Tensor) => tf.relu(v))(x, dy));
    assert.ok(ops.includes('ReluGrad'), `ops run: ${ops.join(', ')}`);
    assert.ok(!ops.includes('Sign') && !ops.includes('Mul'), `tfjs' dy·Step(x) still ran: ${ops.join(', ')}`);
    const want = tf.where(tf.greater(x, 0), dy, tf.zerosLike(dy));
    // equal as numbers (a product gives −0 where dy < 0 and x ≤ 0, as tfjs' dy·Step(x) does; where gives +0)
    const plain = (t: TF.Tensor) => Array.from(t.dataSync(), (v) => v + 0);
    assert.deepEqual(plain(dx), plain(want));
  });
});
