/**
 * lib/layers/blockOps.ts (native/tfops.cc's fused CNN block ops) against the unfused op chains they
 * replace, on the real block shapes of the lecture CNN and seed 001's CNN and on odd ones (VALID dropping
 * a row or column, SAME padding, overlapping windows, channels not a multiple of the vector width,
 * ties, all-negative windows):
 *  - GenreLabBiasReluPool = GenreLabBiasRelu → GenreLabMaxPoolArgmax, y bit for bit, argmax equal;
 *    its gradient (GenreLabMaxPoolScatterRelu) = GenreLabMaxPoolScatter → ReluGrad → BiasAddGrad.
 *  - GenreLabBatchNormReluPool(+Grad) = BiasAdd → GenreLabBatchNorm → Relu → GenreLabMaxPoolArgmax and
 *    GenreLabMaxPoolScatter → ReluGrad → GenreLabBatchNormGrad → BiasAddGrad, within float rounding.
 * Where a C++ compiler is present the ops must be active on the native CPU backend (no silent fallback).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import { tf, backendInfo, type TF } from '../lib/backend';
import { rawOps, type Handle } from '../lib/layers/tfRaw';
import { blockOpsStatus, biasReluPool, biasReluPoolGrad, batchNormReluPool, batchNormReluPoolGrad, type PoolSpec } from '../lib/layers/blockOps';
import { setCpuKernelThreads, cpuKernelStatus } from '../lib/layers/cpuKernel';

// Every op of this file on the addon's thread pool whatever its size (read by native/tfops.cc at its first
// split): the threaded paths are the ones checked, and the thread-count test below compares 1 and 3 threads.
process.env.GENRE_LAB_PARALLEL_MIN = '0';

const cxx = process.env.CXX || 'g++';
const skip =
  (backendInfo.kind !== 'native-cpu' && `backend is ${backendInfo.kind}: the addon's TF ops serve the native CPU backend only`) ||
  (spawnSync(cxx, ['--version']).status !== 0 && `no C++ compiler (${cxx}): the addon cannot be built on this machine`) ||
  (process.env.GENRE_LAB_TFJS_KERNELS === '1' && 'GENRE_LAB_TFJS_KERNELS=1 turns them off');

interface Case {
  shape: [number, number, number, number];
  pool: PoolSpec;
  about: string;
}
const p = (k: [number, number], s: [number, number], padding: 'SAME' | 'VALID'): PoolSpec => ({ ksize: k, strides: s, padding });
const LECTURE: Case[] = [
  { shape: [32, 128, 11, 32], pool: p([3, 3], [2, 2], 'SAME'), about: 'lecture CNN block 1' },
  { shape: [32, 62, 4, 32], pool: p([3, 3], [2, 2], 'SAME'), about: 'lecture CNN block 2' },
  { shape: [32, 30, 1, 32], pool: p([2, 2], [2, 2], 'SAME'), about: 'lecture CNN block 3' },
];
const SEED001: Case[] = [
  { shape: [32, 13, 259, 16], pool: p([2, 2], [2, 2], 'VALID'), about: 'seed 001 block 1 (odd rows and columns dropped)' },
  { shape: [32, 6, 129, 32], pool: p([2, 2], [2, 2], 'VALID'), about: 'seed 001 block 2' },
  { shape: [32, 3, 64, 64], pool: p([2, 2], [2, 2], 'VALID'), about: 'seed 001 block 3' },
];
const ODD: Case[] = [
  { shape: [3, 9, 10, 5], pool: p([3, 2], [1, 3], 'SAME'), about: 'overlapping rows, stride > window in columns, 5 channels' },
  { shape: [2, 7, 8, 3], pool: p([4, 4], [3, 2], 'VALID'), about: 'large window, VALID dropping rows' },
  { shape: [2, 11, 6, 17], pool: p([3, 3], [2, 2], 'SAME'), about: '17 channels (a vector and a remainder), SAME padding' },
  { shape: [1, 5, 5, 1], pool: p([5, 5], [1, 1], 'SAME'), about: 'window as large as the input' },
];

const r = () => rawOps();
/** A handle's values; the handle is freed unless `keep`. */
const values = (h: Handle | number, dtype: 'float32' | 'int32' = 'float32', shape?: number[], keep = false): Float32Array | Int32Array => {
  let id = typeof h === 'number' ? h : h.id;
  if (keep) id = r().run1('Identity', [r().type('T', dtype)], [id]);
  const sh = typeof h === 'number' ? shape! : h.shape;
  const t = r().be.createOutputTensor({ id, shape: sh, dtype: dtype === 'float32' ? r().b.TF_FLOAT : r().b.TF_INT32 });
  const v = t.dataSync() as Float32Array | Int32Array;
  t.dispose(); // frees the handle
  return v;
};
/** A float tensor's handle (owned by the caller) from values. */
const handle = (t: TF.Tensor): number => {
  const [id] = r().ids([t]);
  return r().run1('Identity', [r().tFloat], [id]);
};
/** x: normal values; `tied`: on a grid of 1/4 (many exact ties, no near ties); `negative`: mostly below −bias. */
function input(shape: number[], seed: number, kind: 'normal' | 'tied' | 'negative'): number {
  return tf.tidy(() => {
    let x = tf.randomNormal(shape, 0, 1, 'float32', seed);
    if (kind === 'tied') x = tf.div(tf.round(tf.mul(x, 4)), 4);
    if (kind === 'negative') x = tf.sub(tf.abs(x), 10);
    return handle(x);
  });
}
const vec = (c: number, seed: number, scale = 0.5, offset = 0): number => tf.tidy(() => handle(tf.add(tf.randomUniform([c], -scale, scale, 'float32', seed), offset)));

function poolAttrs(pool: PoolSpec) {
  const ints = (name: string, v: number[]) => ({ name, type: r().b.TF_ATTR_INT, value: v });
  return [ints('ksize', [1, ...pool.ksize, 1]), ints('strides', [1, ...pool.strides, 1]), r().str('padding', pool.padding)];
}

/** max |a − b| / max(max |b|, floor): the error relative to the reference's scale. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-30): number {
  let err = 0;
  let scale = floor;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return err / scale;
}
const sumAbs = (a: ArrayLike<number>, C: number): Float64Array => {
  const s = new Float64Array(C);
  for (let i = 0; i < a.length; i++) s[i % C] += Math.abs(a[i]);
  return s;
};

test('the block ops are active on the native CPU backend', { skip }, () => {
  const s = blockOpsStatus();
  assert.ok(s.active, `not active: ${s.reason}`);
});

test('GenreLabBiasReluPool equals GenreLabBiasRelu → GenreLabMaxPoolArgmax (y bit for bit, argmax), and its gradient the unfused chain\'s', { skip }, () => {
  const o = r();
  for (const [i, c] of [...LECTURE, ...SEED001, ...ODD].entries())
    for (const kind of ['normal', 'tied', 'negative'] as const) {
      const C = c.shape[3];
      const x = input(c.shape, 100 + i, kind);
      const b = vec(C, 200 + i);
      const fused = biasReluPool(x, b, c.pool);
      const relu = o.run1('GenreLabBiasRelu', [], [x, b]);
      const [yRef, amRef] = o.run('GenreLabMaxPoolArgmax', poolAttrs(c.pool), [relu], 2);
      const what = `${c.about} (${kind})`;
      assert.deepEqual(fused.y.shape, yRef.shape, what);
      const y = values(fused.y) as Float32Array;
      const ye = values(yRef) as Float32Array;
      let differ = 0;
      for (let j = 0; j < y.length; j++) if (!Object.is(y[j], ye[j])) differ++;
      assert.equal(differ, 0, `${what}: ${differ} of ${y.length} pooled values differ`);
      const am = values(fused.argmax, 'int32') as Int32Array;
      const ame = values(amRef, 'int32') as Int32Array;
      let amDiffer = 0;
      for (let j = 0; j < am.length; j++) if (ye[j] > 0 && am[j] !== ame[j]) amDiffer++;
      assert.equal(amDiffer, 0, `${what}: ${amDiffer} argmax differ where y > 0`);
      if (kind === 'negative') assert.ok(ye.every((v) => v === 0), `${what}: all-negative windows pool to 0`);
      // gradients: fused (ScatterRelu on the fused argmax) against MaxPoolScatter → ReluGrad → BiasAddGrad
      const fy = biasReluPool(x, b, c.pool);
      const dy = tf.tidy(() => handle(tf.randomNormal(fy.y.shape, 0, 1, 'float32', 300 + i)));
      const g = biasReluPoolGrad(dy, fy.argmax.id, fy.y.id, c.shape);
      const [yR, amR] = o.run('GenreLabMaxPoolArgmax', poolAttrs(c.pool), [relu], 2);
      const dr = o.run1('GenreLabMaxPoolScatter', [], [dy, amR.id, o.int32(c.shape)]);
      const dz = o.run1('ReluGrad', [o.tFloat], [dr, relu]);
      const db = o.biasAddGrad(dz);
      // equal values (a masked zero may be +0 on one side and −0 on the other: ReluGrad multiplies by the mask)
      const dx = values(g.dx);
      const dxe = values(dz, 'float32', c.shape);
      let dxDiffer = 0;
      for (let j = 0; j < dx.length; j++) if (dx[j] !== dxe[j]) dxDiffer++;
      assert.equal(dxDiffer, 0, `${what}: ${dxDiffer} of ${dx.length} dx values differ`);
      assert.ok(relErr(values(g.dbias), values(db, 'float32', [C])) < 1e-5, `${what}: dbias`);
      o.free(x, b, relu, dy, dr, fy.y.id, fy.argmax.id, yR.id, amR.id);
    }
});

/** The unfused chain of seed 001's block: forward and gradients, as handles' values. */
function unfusedBn(x: number, b: number, gamma: number, beta: number, mm: number, mv: number, dy: number | null, c: Case, eps: number, momentum: number) {
  const o = r();
  const xb = o.biasAdd(x, b);
  const [bnY, mean, inv, nmm, nmv] = o.run('GenreLabBatchNorm', [o.float('epsilon', eps), o.float('decay', 1 - momentum)], [xb, gamma, beta, mm, mv], 5);
  const relu = o.run1('Relu', [o.tFloat], [bnY.id]);
  const [y, am] = o.run('GenreLabMaxPoolArgmax', poolAttrs(c.pool), [relu], 2);
  const out = {
    y: values(y),
    argmax: values(am, 'int32'),
    mean: values(mean),
    invStd: values(inv),
    movingMean: values(nmm),
    movingVariance: values(nmv),
    dx: new Float32Array(0) as Float32Array,
    dgamma: new Float32Array(0) as Float32Array,
    dbeta: new Float32Array(0) as Float32Array,
    dbias: new Float32Array(0) as Float32Array,
  };
  if (dy !== null) {
    const [y2, am2] = o.run('GenreLabMaxPoolArgmax', poolAttrs(c.pool), [relu], 2);
    const dr = o.run1('GenreLabMaxPoolScatter', [], [dy, am2.id, o.int32(c.shape)]);
    const dz = o.run1('ReluGrad', [o.tFloat], [dr, bnY.id]);
    const bn2 = o.run('GenreLabBatchNorm', [o.float('epsilon', eps), o.float('decay', 1 - momentum)], [xb, gamma, beta, mm, mv], 5);
    const [dxh, dg, dbt] = o.run('GenreLabBatchNormGrad', [], [dz, xb, gamma, bn2[1].id, bn2[2].id], 3);
    o.free(...bn2.map((h) => h.id));
    const C = c.shape[3];
    const db = o.biasAddGrad(dxh.id);
    out.dbias = values(db, 'float32', [C]) as Float32Array;
    out.dx = values(dxh) as Float32Array;
    out.dgamma = values(dg) as Float32Array;
    out.dbeta = values(dbt) as Float32Array;
    o.free(y2.id, am2.id, dr, dz);
  }
  o.free(xb, relu, bnY.id);
  return out;
}

test('GenreLabBatchNormReluPool(+Grad) equal BiasAdd → GenreLabBatchNorm → Relu → GenreLabMaxPoolArgmax and its gradient chain', { skip }, () => {
  const o = r();
  const eps = 1e-3;
  const momentum = 0.99;
  for (const [i, c] of [...SEED001, ...LECTURE, ...ODD].entries())
    for (const kind of ['tied', 'normal'] as const) {
      const C = c.shape[3];
      const what = `${c.about} (${kind})`;
      const x = input(c.shape, 400 + i, kind);
      const b = vec(C, 500 + i, 2); // a large bias: the statistics must not lose it
      const gamma = vec(C, 510 + i, 0.5, 1);
      const beta = vec(C, 520 + i, 0.5);
      const mm = vec(C, 530 + i, 1);
      const mv = vec(C, 540 + i, 0.5, 1);
      const f = batchNormReluPool(x, b, gamma, beta, mm, mv, { epsilon: eps, momentum }, c.pool);
      const dy = tf.tidy(() => handle(tf.randomNormal(f.y.shape, 0, 1, 'float32', 600 + i)));
      // 'normal' inputs can hold near-ties the two chains break differently (rounding); gradients on 'tied' only.
      const ref = unfusedBn(x, b, gamma, beta, mm, mv, kind === 'tied' ? dy : null, c, eps, momentum);
      const y = values(f.y, 'float32', undefined, true);
      assert.ok(relErr(y, ref.y) < 1e-5, `${what}: y off by ${relErr(y, ref.y)}`);
      // the batch mean of x + bias is the op's mean (of x) + bias
      const mean = values(f.mean, 'float32', undefined, true);
      const bias = values(b, 'float32', [C], true);
      assert.ok(relErr(Array.from(mean, (m, d) => m + bias[d]), ref.mean) < 1e-5, `${what}: mean`);
      assert.ok(relErr(values(f.invStd, 'float32', undefined, true), ref.invStd) < 1e-5, `${what}: inv_std`);
      assert.ok(relErr(values(f.movingMean), ref.movingMean) < 1e-6, `${what}: moving mean`);
      assert.ok(relErr(values(f.movingVariance), ref.movingVariance) < 1e-6, `${what}: moving variance`);
      if (kind === 'tied') {
        const am = values(f.argmax, 'int32', undefined, true);
        let differ = 0;
        for (let j = 0; j < am.length; j++) if (ref.y[j] > 0 && am[j] !== ref.argmax[j]) differ++;
        assert.equal(differ, 0, `${what}: argmax differs where y > 0`);
        const g = batchNormReluPoolGrad(dy, f.argmax.id, f.y.id, x, gamma, f.mean.id, f.invStd.id);
        const dx = values(g.dx);
        assert.deepEqual(g.dx.shape, c.shape);
        assert.ok(relErr(dx, ref.dx) < 1e-5, `${what}: dx off by ${relErr(dx, ref.dx)}`);
        assert.ok(relErr(values(g.dgamma), ref.dgamma) < 1e-5, `${what}: dgamma`);
        assert.ok(relErr(values(g.dbeta), ref.dbeta) < 1e-5, `${what}: dbeta`);
        // dbias = Σ dx ≈ 0: both sides rounding noise, far below the per-channel Σ |dx|
        const dbias = values(g.dbias);
        const scale = sumAbs(ref.dx, C);
        for (let d = 0; d < C; d++) {
          assert.ok(Math.abs(dbias[d] - ref.dbias[d]) <= 1e-5 * scale[d], `${what}: dbias[${d}] ${dbias[d]} vs ${ref.dbias[d]} (Σ|dx| ${scale[d]})`);
        }
      }
      o.free(f.argmax.id, f.mean.id, f.invStd.id, f.y.id, x, b, gamma, beta, mm, mv, dy);
    }
});

test('the block ops give the same bits on 1 and 3 threads (fixed splits of the work)', { skip }, () => {
  const o = r();
  const before = cpuKernelStatus().threads;
  const c = SEED001[0];
  const C = c.shape[3];
  const x = input(c.shape, 700, 'tied');
  const b = vec(C, 701, 2);
  const gamma = vec(C, 702, 0.5, 1);
  const beta = vec(C, 703, 0.5);
  const mm = vec(C, 704, 1);
  const mv = vec(C, 705, 0.5, 1);
  const run = (threads: number) => {
    setCpuKernelThreads(threads);
    const f = batchNormReluPool(x, b, gamma, beta, mm, mv, { epsilon: 1e-3, momentum: 0.99 }, c.pool);
    const dy = tf.tidy(() => handle(tf.randomNormal(f.y.shape, 0, 1, 'float32', 706)));
    const g = batchNormReluPoolGrad(dy, f.argmax.id, f.y.id, x, gamma, f.mean.id, f.invStd.id);
    const l = LECTURE[0];
    const xl = input(l.shape, 707, 'normal');
    const bl = vec(l.shape[3], 708);
    const p1 = biasReluPool(xl, bl, l.pool);
    const dyl = tf.tidy(() => handle(tf.randomNormal(p1.y.shape, 0, 1, 'float32', 709)));
    const gl = biasReluPoolGrad(dyl, p1.argmax.id, p1.y.id, l.shape);
    o.free(dy, xl, bl, dyl);
    return [f.y, f.argmax, f.mean, f.invStd, f.movingMean, f.movingVariance, g.dx, g.dgamma, g.dbeta, g.dbias, p1.y, p1.argmax, gl.dx, gl.dbias].map((h) =>
      Array.from(values(h, h === f.argmax || h === p1.argmax ? 'int32' : 'float32')),
    );
  };
  try {
    const one = run(1);
    const three = run(3);
    one.forEach((v, i) => assert.ok(v.every((e, j) => Object.is(e, three[i][j])), `output ${i} differs between 1 and 3 threads`));
  } finally {
    setCpuKernelThreads(before);
    o.free(x, b, gamma, beta, mm, mv);
  }
});

test('the block ops reject wrong shapes with a message naming the op', { skip }, () => {
  const o = r();
  const x = input([2, 4, 4, 3], 1, 'normal');
  const b = vec(4, 2);
  assert.throws(() => biasReluPool(x, b, p([2, 2], [2, 2], 'VALID')), /GenreLabBiasReluPool: bias must be \[C\]/);
  assert.throws(() => batchNormReluPool(x, b, b, b, b, b, { epsilon: 1e-3, momentum: 0.99 }, p([2, 2], [2, 2], 'VALID')), /GenreLabBatchNormReluPool/);
  assert.throws(() => biasReluPool(x, vec(3, 3), p([5, 5], [1, 1], 'VALID')), /window is larger than the input/);
  o.free(x, b);
});
