/**
 * lib/layers/cpuKernel.ts + native/rnn.cc, the CPU recurrent kernel, beyond what test/rnn.test.ts checks
 * for every kernel (PyTorch goldens, tfjs-layers, leaks): results independent of the thread count,
 * inter-layer dropout (mask statistics and a finite-difference gradient check through it), the
 * kernel choice, and bad input. Where a C++ compiler is present, a kernel that did not build or is
 * not active fails these tests with the compiler's message; only a machine without a compiler (or
 * on the GPU build, which runs the recurrent layers on TF ops) skips them, and says so.
 */
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT, SETUP_CACHE } from '../lib/paths';
import { backendInfo, tf, type TF } from '../lib/backend';
import { gru, lstm, type FusedRecurrentArgs } from '../lib/layers/recurrent';
import { cpuKernelStats, cpuKernelStatus, kernel, kernelBuild, setCpuKernelDropoutSeed, setCpuKernelThreads, setFusedKernel } from '../lib/layers/cpuKernel';

const status = cpuKernelStatus();
const cxx = process.env.CXX || 'g++';
const skip =
  (spawnSync(cxx, ['--version']).status !== 0 && `no C++ compiler (${cxx}): the CPU kernel cannot be built on this machine`) ||
  (backendInfo.kind === 'native-gpu' && 'GPU backend: the recurrent layers run on TF ops there, the CPU kernel is not built');
after(() => {
  if (status.active) setCpuKernelThreads(status.threads);
  setCpuKernelDropoutSeed(null);
  setFusedKernel('auto');
});

test('the CPU kernel is built for this CPU and active (where a C++ compiler is present)', { skip }, () => {
  assert.ok(status.active, `CPU kernel not active: ${status.reason}`);
  assert.match(status.reason, /\(built for (x86-64(-v[234])?|armv8-a)\) on \d+ threads?/);
});

function maxDiff(a: TF.Tensor, b: TF.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/** Output and every gradient (input and weights) of sum(layer(x)·R). */
function outputsAndGrads(layer: TF.layers.Layer, x: TF.Variable, R: TF.Tensor, training = false): TF.Tensor[] {
  const vars = layer.trainableWeights.map((w) => w.read() as TF.Variable);
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x, { training }) as TF.Tensor, R)) as TF.Scalar, [x, ...vars]);
  return [value, grads[x.name], ...vars.map((v) => grads[v.name])];
}

for (const kind of ['lstm', 'gru'] as const) {
  test(`${kind}: the same results on 1, 2 and 3 threads (batch shards and GEMM slabs change, the math does not)`, { skip }, () => {
    tf.tidy(() => {
      const cfg: FusedRecurrentArgs = { units: 8, numLayers: 2, bidirectional: true, returnSequences: true };
      const layer = kind === 'lstm' ? lstm(cfg) : gru(cfg);
      layer.build([null, 7, 5]);
      const x = tf.variable(tf.randomNormal([13, 7, 5], 0, 1, 'float32', 5));
      const R = tf.randomNormal([13, 7, 16], 0, 1, 'float32', 6);
      const runs = [1, 2, 3].map((n) => {
        setCpuKernelThreads(n);
        return outputsAndGrads(layer, x, R);
      });
      for (const other of runs.slice(1)) other.forEach((t, i) => assert.ok(maxDiff(t, runs[0][i]) < 1e-5, `result ${i} differs across thread counts`));
      x.dispose();
    });
    setCpuKernelThreads(status.threads);
  });
}

test('inter-layer dropout: the mask drops a fraction p and scales the rest by 1/(1 − p)', { skip }, () => {
  const n = 200_000;
  const a = Float32Array.from({ length: n }, (_, i) => 1 + (i % 7));
  const out = new Float32Array(n);
  const mask = new Float32Array(n);
  kernel().dropout(a, out, mask, 0.3, 12345);
  const dropped = mask.filter((m) => m === 0).length / n;
  assert.ok(Math.abs(dropped - 0.3) < 0.005, `dropped fraction ${dropped}`);
  assert.ok(mask.every((m) => m === 0 || Math.abs(m - 1 / 0.7) < 1e-6), 'kept entries are scaled by 1/(1 − p)');
  assert.ok(out.every((v, i) => v === Math.fround(a[i] * mask[i])), 'out = a∘mask');
  const again = new Float32Array(n);
  kernel().dropout(a, new Float32Array(n), again, 0.3, 12345);
  assert.deepEqual(again, mask, 'the same seed gives the same mask');
});

for (const kind of ['lstm', 'gru'] as const) {
  test(`${kind} with inter-layer dropout (training): gradients equal finite differences through the same masks`, { skip }, () => {
    setCpuKernelDropoutSeed(99);
    tf.tidy(() => {
      const cfg: FusedRecurrentArgs = { units: 5, numLayers: 3, interLayerDropout: 0.4, bidirectional: kind === 'gru', returnSequences: true };
      const layer = kind === 'lstm' ? lstm(cfg) : gru(cfg);
      layer.build([null, 6, 4]);
      const x = tf.variable(tf.randomNormal([3, 6, 4], 0, 1, 'float32', 8));
      const R = tf.randomNormal([3, 6, kind === 'gru' ? 10 : 5], 0, 1, 'float32', 9);
      const loss = () => tf.sum(tf.mul(layer.apply(x, { training: true }) as TF.Tensor, R)).dataSync()[0];
      const inference = tf.sum(tf.mul(layer.apply(x) as TF.Tensor, R)).dataSync()[0];
      assert.notEqual(loss(), inference, 'dropout is active in training');
      assert.equal(loss(), loss(), 'a fixed seed gives the same masks');
      const [, dx, ...dws] = outputsAndGrads(layer, x, R, true);
      // Central differences in float64 of the float32 network: a few entries of x and of every weight.
      const eps = 1e-2;
      const check = (v: TF.Variable, g: TF.Tensor, what: string) => {
        const values = v.dataSync().slice();
        const grad = g.dataSync();
        for (const i of [0, Math.floor(values.length / 2), values.length - 1]) {
          const at = (delta: number) => {
            const w = values.slice();
            w[i] += delta;
            v.assign(tf.tensor(w, v.shape));
            return loss();
          };
          const fd = (at(eps) - at(-eps)) / (2 * eps);
          v.assign(tf.tensor(values, v.shape));
          assert.ok(Math.abs(fd - grad[i]) <= 2e-2 * Math.max(1, Math.abs(fd)), `${what}[${i}]: finite difference ${fd} vs gradient ${grad[i]}`);
        }
      };
      check(x, dx, 'dL/dx');
      layer.trainableWeights.forEach((w, i) => check(w.read() as TF.Variable, dws[i], `dL/d${w.name}`));
      x.dispose();
    });
    setCpuKernelDropoutSeed(null);
  });
}

test('kernel choice: setFusedKernel("tf") turns the CPU kernel off, and bad input to the kernel names the problem', { skip }, () => {
  setFusedKernel('tf');
  assert.equal(cpuKernelStatus().active, false);
  assert.match(cpuKernelStatus().reason, /TF-op kernels chosen/);
  setFusedKernel('auto');
  assert.equal(cpuKernelStatus().active, true);
  assert.throws(() => setFusedKernel('fast' as never), /must be auto, cpu or tf/);
  const k = kernel();
  const f = (n: number) => new Float32Array(n);
  // D=1, T=2, B=3, F=4, H=5: x must be T·B·F = 24 floats
  assert.throws(() => k.lstmForward([1, 2, 3, 4, 5], f(23), f(4 * 20), f(5 * 20), f(20), f(15), f(15), f(30), f(180)), /native\/rnn\.cc lstmForward: x has 23 elements, expected 24/);
  assert.throws(() => k.gruForward([1, 2, 0, 4, 5], f(0), f(60), f(75), f(30), f(0), f(0), f(0)), /dims must be positive integers/);
  assert.throws(() => k.dropout(f(3), f(3), f(3), 1, 0), /p must be in \[0, 1\)/);
  assert.throws(() => setCpuKernelThreads(0), /threads must be a positive integer/);
});

test('bit-identical results wherever the buffers sit in memory (Eigen vectorises from the first aligned element)', { skip }, () => {
  const k = kernel();
  const [D, T, B, F, H] = [2, 4, 5, 3, 20]; // H not a multiple of the 16-float packet
  const TB = T * B;
  const data = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + seed) * 0.8);
  const run = (offset: number) => {
    // every buffer `offset` floats into a larger one, so its address modulo 64 bytes changes
    const at = (src: Float32Array | number) => {
      const n = typeof src === 'number' ? src : src.length;
      const a = new Float32Array(n + 16).subarray(offset, offset + n);
      if (typeof src !== 'number') a.set(src);
      return a;
    };
    const x = at(data(TB * F, 1)), h0 = at(data(D * B * H, 2)), c0 = at(data(D * B * H, 3)), dy = at(data(TB * D * H, 4));
    const lw = at(data(D * F * 4 * H, 5)), lu = at(data(D * H * 4 * H, 6)), lb = at(data(D * 4 * H, 7));
    const lh = at(TB * D * H), ls = at(D * TB * 6 * H);
    k.lstmForward([D, T, B, F, H], x, lw, lu, lb, h0, c0, lh, ls);
    const lg = [at(TB * F), at(lw.length), at(lu.length), at(lb.length), at(h0.length), at(c0.length)];
    k.lstmBackward([D, T, B, F, H], x, lw, lu, h0, c0, lh, ls, dy, ...(lg as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array]));
    const gw = at(data(D * F * 3 * H, 8)), gu = at(data(D * H * 3 * H, 9)), gb = at(data(D * 6 * H, 10));
    const gh = at(TB * D * H), gs = at(D * TB * 4 * H);
    k.gruForward([D, T, B, F, H], x, gw, gu, gb, h0, gh, gs);
    const gg = [at(TB * F), at(gw.length), at(gu.length), at(gb.length), at(h0.length)];
    k.gruBackward([D, T, B, F, H], x, gw, gu, h0, gh, gs, dy, ...(gg as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array]));
    return [lh, ls, ...lg, gh, gs, ...gg].map((a) => Array.from(a));
  };
  const first = run(0);
  for (const offset of [1, 2, 3, 5]) {
    const other = run(offset);
    other.forEach((a, i) => assert.deepEqual(a, first[i], `output ${i} at offset ${offset}`));
  }
});

test('a model skips the gradient of its input batch, and a layer after another still gets its input gradient right', { skip }, async () => {
  const build = () => {
    const m = tf.sequential();
    m.add(tf.layers.dense({ units: 6, inputShape: [7, 4], kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
    m.add(lstm({ units: 5, returnSequences: true }));
    m.add(gru({ units: 3 }));
    m.add(tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
    return m;
  };
  const [a, b] = [build(), build()];
  b.setWeights(a.getWeights());
  const x = tf.randomNormal([8, 7, 4], 0, 1, 'float32', 3);
  const y = tf.randomNormal([8, 2], 0, 1, 'float32', 4);
  const grads = (m: TF.Sequential) => {
    const vars = m.trainableWeights.map((w) => w.read() as TF.Variable);
    return tf.variableGrads(() => tf.losses.meanSquaredError(y, m.apply(x, { training: true }) as TF.Tensor) as TF.Scalar, vars);
  };
  const before = cpuKernelStats();
  const ga = grads(a); // CPU kernel: the LSTM's input comes from the first dense layer (needs dx), the GRU's from the LSTM
  const after = cpuKernelStats();
  assert.equal(after.backward - before.backward, 2);
  assert.equal(after.inputGradientsSkipped - before.inputGradientsSkipped, 0, 'both layers read recorded tensors');
  setFusedKernel('tf');
  const gb = grads(b);
  setFusedKernel('auto');
  a.trainableWeights.forEach((w, i) => assert.ok(maxDiff(ga.grads[(w.read() as TF.Variable).name], gb.grads[(b.trainableWeights[i].read() as TF.Variable).name]) < 1e-5, `dL/d${w.name}`));

  // A recurrent layer reading the model's input batch: its input gradient is skipped, the weights' are not.
  const m = tf.sequential();
  m.add(lstm({ units: 5, inputShape: [7, 4] }));
  m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  const s0 = cpuKernelStats();
  await m.trainOnBatch(x, tf.randomNormal([8, 5], 0, 1, 'float32', 5));
  const s1 = cpuKernelStats();
  assert.equal(s1.inputGradientsSkipped - s0.inputGradientsSkipped, 1);
});

test('native/rnn.cc and tfops.cc\'s pool / batch-norm helpers are clean under AddressSanitizer on edge shapes (native/check.cc)', { skip, timeout: 300_000 }, () => {
  const eigen = kernelBuild.findEigen(SETUP_CACHE);
  assert.ok(eigen, `Eigen's headers are not unpacked under ${SETUP_CACHE}/eigen (node scripts/setup.js does it)`);
  const exe = path.join(os.tmpdir(), `genre-lab-rnn-check-${process.pid}`);
  // ASan only: with UBSan too (-fsanitize=address,undefined; clean when last run) the build takes ~2 min, not ~30 s.
  // The CPU flags of the target setup builds for this CPU (native/kernel-build.js).
  const target = kernelBuild.pickTarget(kernelBuild.compilerFeatures(cxx, ['-march=native']) ?? new Set());
  const flags = ['-O1', '-fsanitize=address', ...target.flags, '-std=c++17', '-DGENRE_LAB_RNN_NO_NODE', `-I${eigen}`, '-pthread'];
  const build = spawnSync(cxx, [...flags, path.join(ROOT, 'native', 'check.cc'), '-o', exe], { encoding: 'utf8' });
  assert.equal(build.status, 0, `building native/check.cc failed:\n${build.stderr}`);
  try {
    const run = spawnSync(exe, [], { encoding: 'utf8' });
    assert.equal(run.status, 0, `native/check.cc failed:\n${run.stderr.slice(0, 3000)}`);
    assert.match(run.stdout, /ok 1296 cases/);
    assert.match(run.stdout, /ok 72 attention cases/);
    assert.match(run.stdout, /ok 48 layer-norm cases/);
    assert.match(run.stdout, /ok 8064 tfops pool\/batch-norm cases/);
  } finally {
    fs.rmSync(exe, { force: true });
  }
});
