/**
 * The training fast paths against tfjs' own: lib/layers/batchNorm.ts (FusedBatchNormV3 /
 * FusedBatchNormGradV3) against tfjs-layers' BatchNormalization, and lib/layers/nativeKernels.ts' Step
 * against tfjs-node's, lib/layers/layerNorm.ts against tfjs-layers' LayerNormalization. The native ones
 * must be active on the native backend (a silent fallback fails here).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { tf, backendInfo, type TF } from '../lib/backend';
import { BatchNormalization, batchNormalization, fusedBatchNormTraining, addonBatchNormTraining } from '../lib/layers/batchNorm';
import { nativeTfOpsStatus } from '../lib/layers/nativeKernels';
import { spawnSync } from 'child_process';
import { opsRun } from './helpers/ops';
import { LayerNormalization, layerNormalization } from '../lib/layers/layerNorm';
import { installNativeKernels } from '../lib/layers/nativeKernels';
import { setFusedKernel } from '../lib/layers/cpuKernel';
import { nativeOpsAvailable } from '../lib/layers/tfRaw';
import { lectureCnn } from '../lib/models/lecture';
import { FusedAdam } from '../lib/train/fusedAdam';

const native = backendInfo.kind === 'native-cpu' || backendInfo.kind === 'native-gpu';

function maxDiff(a: TF.Tensor, b: TF.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

function pair(momentum = 0.9, epsilon = 1e-5): [TF.layers.Layer, BatchNormalization] {
  const a = tf.layers.batchNormalization({ momentum, epsilon });
  const b = batchNormalization({ momentum, epsilon });
  for (const l of [a, b]) l.apply(tf.input({ shape: [10, 7, 5] }));
  const w = [tf.randomNormal([5], 0, 1, 'float32', 1), tf.randomNormal([5], 0, 1, 'float32', 2), tf.randomNormal([5], 0, 1, 'float32', 3), tf.randomUniform([5], 0.5, 2, 'float32', 4)];
  a.setWeights(w);
  b.setWeights(w);
  return [a, b];
}

test('the fused paths are active on the native backend', () => {
  assert.equal(nativeOpsAvailable(), native);
  assert.equal(installNativeKernels(), native && process.env.GENRE_LAB_TFJS_KERNELS !== '1');
  assert.equal(FusedAdam.usesTensorFlow(), native, 'FusedAdam steps through TensorFlow on the native backend');
  assert.equal(FusedAdam.path(), !native ? 'kernel' : nativeTfOpsStatus().active ? 'addon' : 'tensorflow', 'FusedAdam: one GenreLabAdam call where the addon\'s TF ops are registered, else ResourceApplyAdam');
});

test('fused BatchNormalization trains like tfjs-layers: outputs, gradients of x/γ/β, moving statistics', () => {
  const [a, b] = pair();
  const x = tf.randomNormal([8, 10, 7, 5], 1, 2, 'float32', 5);
  const w = tf.randomNormal([8, 10, 7, 5], 0, 1, 'float32', 6);
  const run = (l: TF.layers.Layer) => {
    const loss = () => tf.sum(tf.mul(l.call(x, { training: true }) as TF.Tensor, w)) as TF.Scalar;
    const { grads } = tf.variableGrads(loss, l.trainableWeights.map((v) => (v as unknown as { val: TF.Variable }).val));
    const dx = tf.grad((xx: TF.Tensor) => tf.sum(tf.mul(l.call(xx, { training: true }) as TF.Tensor, w)))(x);
    return { y: l.call(x, { training: true }) as TF.Tensor, dx, grads: Object.values(grads), moving: l.getWeights().slice(2) };
  };
  const ra = run(a);
  const rb = run(b);
  assert.ok(maxDiff(ra.y, rb.y) < 1e-5, `outputs differ by ${maxDiff(ra.y, rb.y)}`);
  assert.ok(maxDiff(ra.dx, rb.dx) < 1e-5, `dx differs by ${maxDiff(ra.dx, rb.dx)}`);
  ra.grads.forEach((g, i) => assert.ok(maxDiff(g, rb.grads[i]) < 1e-4 * (1 + tf.max(tf.abs(g)).dataSync()[0]), `gradient ${i} differs by ${maxDiff(g, rb.grads[i])}`));
  // three training calls each: the moving statistics saw the same three updates (biased variance, as tfjs-layers)
  ra.moving.forEach((m, i) => assert.ok(maxDiff(m, rb.moving[i]) < 1e-5, `moving statistic ${i} differs by ${maxDiff(m, rb.moving[i])}`));
  assert.ok(maxDiff(ra.moving[0], tf.randomNormal([5], 0, 1, 'float32', 3)) > 1e-3, 'the moving mean moved');
  // inference is tfjs-layers' own
  assert.ok(maxDiff(a.apply(x) as TF.Tensor, b.apply(x) as TF.Tensor) < 1e-5);
});

const addonSkip =
  (backendInfo.kind !== 'native-cpu' && `backend is ${backendInfo.kind}: the addon's TF ops serve the native CPU backend only`) ||
  (spawnSync(process.env.CXX || 'g++', ['--version']).status !== 0 && 'no C++ compiler: the addon cannot be built on this machine') ||
  (process.env.GENRE_LAB_TFJS_KERNELS === '1' && 'GENRE_LAB_TFJS_KERNELS=1 turns them off');

test('BatchNormalization trains through the addon\'s GenreLabBatchNorm on the native CPU backend, equal to TF\'s fused ops (outputs, gradients, moving statistics)', { skip: addonSkip }, () => {
  assert.ok(nativeTfOpsStatus().active, nativeTfOpsStatus().reason);
  const [, b] = pair(0.99, 1e-3);
  const { ops } = opsRun(() => tf.tidy(() => tf.grad((xx: TF.Tensor) => tf.sum(b.call(xx, { training: true }) as TF.Tensor))(tf.randomNormal([2, 10, 7, 5]))));
  assert.ok(ops.includes('GenreLabBatchNorm') && ops.includes('GenreLabBatchNormGrad') && !ops.some((o) => o.startsWith('FusedBatchNorm')), `ops run: ${[...new Set(ops)].join(', ')}`);
  // the op pair against FusedBatchNormV3/GradV3 (the tfjs-node-gpu path), on inputs with a mean far from 0
  const x = tf.randomNormal([6, 12, 5, 7], 3, 2, 'float32', 11);
  const [g, bt, mm, mv] = [tf.randomNormal([7], 1, 0.3, 'float32', 12), tf.randomNormal([7], 0, 1, 'float32', 13), tf.randomNormal([7], 0, 1, 'float32', 14), tf.randomUniform([7], 0.5, 2, 'float32', 15)];
  const w = tf.randomNormal(x.shape, 0, 1, 'float32', 16);
  const via = (addon: boolean) => {
    let stats: TF.Tensor[] = [];
    const f = (xx: TF.Tensor, gg: TF.Tensor, bb: TF.Tensor) => {
      if (addon) {
        const r = addonBatchNormTraining(xx, gg as TF.Tensor1D, bb as TF.Tensor1D, mm as TF.Tensor1D, mv as TF.Tensor1D, 1e-3, 0.99);
        stats = [r.movingMean, r.movingVariance];
        return tf.sum(tf.mul(r.y, w)) as TF.Scalar;
      }
      const r = fusedBatchNormTraining(xx as TF.Tensor4D, gg as TF.Tensor1D, bb as TF.Tensor1D, 1e-3);
      stats = [tf.keep(tf.sub(mm, tf.mul(tf.sub(mm, r.mean), 1 - 0.99))), tf.keep(tf.sub(mv, tf.mul(tf.sub(mv, r.variance), 1 - 0.99)))];
      return tf.sum(tf.mul(r.y, w)) as TF.Scalar;
    };
    const { value, grads } = tf.valueAndGrads(f)([x, g, bt]);
    return { value, grads, stats };
  };
  const a = via(true);
  const t = via(false);
  const close = (p: TF.Tensor, q: TF.Tensor, what: string) => assert.ok(maxDiff(p, q) <= 1e-5 * (1 + tf.max(tf.abs(q)).dataSync()[0]), `${what} differs by ${maxDiff(p, q)}`);
  close(a.value, t.value, 'the output');
  ['dx', 'dγ', 'dβ'].forEach((n, i) => close(a.grads[i], t.grads[i], n));
  close(a.stats[0], t.stats[0], 'the moving mean');
  close(a.stats[1], t.stats[1], 'the moving variance');
});

test('fused BatchNormalization runs fewer eager kernels than tfjs-layers (the fused op, not the composition)', { skip: !native && 'needs the native backend' }, async () => {
  const [a, b] = pair();
  const x = tf.randomNormal([4, 10, 7, 5]);
  const count = async (l: TF.layers.Layer) => (await tf.profile(() => tf.grad((xx: TF.Tensor) => tf.sum(l.call(xx, { training: true }) as TF.Tensor))(x))).kernels.length;
  const [ka, kb] = [await count(a), await count(b)];
  assert.ok(kb * 2 < ka, `fused: ${kb} kernels, tfjs-layers: ${ka}`);
});

test('a lecture CNN trains identically with the fused BatchNormalization (5 SGD steps)', async () => {
  const fused = lectureCnn({ inputShape: [130, 13, 1], numClasses: 4, dropout: 0 });
  const plain = lectureCnn({ inputShape: [130, 13, 1], numClasses: 4, dropout: 0 });
  assert.ok(fused.layers.some((l) => l instanceof BatchNormalization));
  // the same network with tfjs-layers' own batch norm: same layers, same weights
  const swapped = tf.sequential({
    layers: plain.layers.map((l) => (l instanceof BatchNormalization ? tf.layers.batchNormalization({ momentum: 0.99 }) : l)),
  });
  swapped.setWeights(fused.getWeights());
  const x = tf.randomNormal([16, 130, 13, 1], 0, 1, 'float32', 7);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3], 'int32'), 4);
  for (const m of [fused, swapped]) {
    // SGD, not Adam: Adam's normalised step turns float-order noise in near-zero gradients into ±lr moves
    m.compile({ optimizer: tf.train.sgd(0.05), loss: 'categoricalCrossentropy' });
    for (let i = 0; i < 5; i++) await m.trainOnBatch(x, y);
  }
  const wa = fused.getWeights();
  const wb = swapped.getWeights();
  assert.equal(wa.length, wb.length);
  const d = Math.max(...wa.map((w, i) => maxDiff(w, wb[i])));
  const moved = Math.max(...wa.map((w, i) => maxDiff(w, plain.getWeights()[i])));
  assert.ok(moved > 1e-2, `the weights moved (${moved})`);
  // The lecture's own input shape (130 × 13): at 20 × 13 the last block normalises 1 × 1 maps of 16
  // examples, some channels all-zero after ReLU, and x/√(var + ε) blew float-order differences up to
  // 20 % of the step on some weight draws. Relative to how far training moved the weights: a wrong
  // gradient or moving statistic differs by the order of `moved` itself.
  assert.ok(d < 0.01 * moved, `weights after 5 steps differ by ${d}, ${((100 * d) / moved).toFixed(2)} % of how far they moved (${moved})`);
});

test('a saved model with the fused layer reloads (class name BatchNormalization)', async () => {
  const m = tf.sequential({ layers: [batchNormalization({ inputShape: [3, 3, 2] })] });
  const json = m.toJSON(null, false) as { config: { layers: { class_name: string }[] } };
  assert.equal(json.config.layers[0].class_name, 'BatchNormalization');
  const back = await tf.models.modelFromJSON({ modelTopology: m.toJSON(null, false) } as never);
  assert.ok(back.layers[0] instanceof BatchNormalization);
});

test('Step (the ReLU derivative) matches tfjs: zeros, negatives, NaN, and ReLU gradients', () => {
  installNativeKernels();
  const x = tf.tensor([-2, -0, 0, 1e-30, 3, NaN, -Infinity, Infinity]);
  assert.deepEqual(Array.from(tf.step(x).dataSync()), [0, 0, 0, 1, 1, NaN, 0, 1]);
  assert.deepEqual(Array.from(tf.step(x, 0.5).dataSync()), [0.5, 0.5, 0.5, 1, 1, NaN, 0.5, 1]);
  const g = tf.grad((v: TF.Tensor) => tf.sum(tf.relu(v)))(tf.tensor([-1, 0, 2, 5]));
  assert.deepEqual(Array.from(g.dataSync()), [0, 0, 1, 1]);
});

test('LayerNormalization without tiling matches tfjs-layers: outputs and gradients of x/γ/β (CPU kernel and TF ops), far fewer kernels', async () => {
  const a = tf.layers.layerNormalization({ epsilon: 1e-6 });
  const b = layerNormalization({ epsilon: 1e-6 });
  for (const l of [a, b]) l.apply(tf.input({ shape: [9, 6] }));
  const w = [tf.randomNormal([6], 1, 0.5, 'float32', 1), tf.randomNormal([6], 0, 1, 'float32', 2)];
  a.setWeights(w);
  b.setWeights(w);
  const x = tf.randomNormal([5, 9, 6], 0.5, 3, 'float32', 3);
  const up = tf.randomNormal([5, 9, 6], 0, 1, 'float32', 4);
  const run = (l: TF.layers.Layer) => {
    const f = (xx: TF.Tensor) => tf.sum(tf.mul(l.call(xx, {}) as TF.Tensor, up)) as TF.Scalar;
    const { grads } = tf.variableGrads(() => f(x), l.trainableWeights.map((v) => (v as unknown as { val: TF.Variable }).val));
    return { y: l.call(x, {}) as TF.Tensor, dx: tf.grad(f)(x), grads: Object.values(grads) };
  };
  const ra = run(a);
  // On the native CPU backend `auto` runs layerNormCpu (native/rnn.cc), `tf` the TF-op custom gradient.
  for (const choice of ['auto', 'tf'] as const) {
    setFusedKernel(choice);
    const rb = run(b);
    setFusedKernel('auto');
    assert.ok(maxDiff(ra.y, rb.y) < 1e-5, `${choice}: outputs differ by ${maxDiff(ra.y, rb.y)}`);
    assert.ok(maxDiff(ra.dx, rb.dx) < 1e-4, `${choice}: dx differs by ${maxDiff(ra.dx, rb.dx)}`);
    ra.grads.forEach((g, i) => assert.ok(maxDiff(g, rb.grads[i]) < 1e-4, `${choice}: gradient ${i} differs by ${maxDiff(g, rb.grads[i])}`));
  }
  // no Tile (whose gradient is a Slice + Add per tile, batch × time of them)
  const kernels = async (l: TF.layers.Layer) => (await tf.profile(() => tf.grad((v: TF.Tensor) => tf.sum(l.call(v, {}) as TF.Tensor))(x))).kernels.map((k) => k.name);
  assert.ok((await kernels(a)).includes('Tile'), 'tfjs-layers tiles');
  assert.ok(!(await kernels(b)).includes('Tile'), 'ours does not tile');
  const m = tf.sequential({ layers: [layerNormalization({ inputShape: [4] })] });
  const back = await tf.models.modelFromJSON({ modelTopology: m.toJSON(null, false) } as never);
  assert.ok(back.layers[0] instanceof LayerNormalization);
});
