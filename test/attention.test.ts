/**
 * Seed 002's Transformer training path: the self-attention core on the CPU kernel (native/rnn.cc,
 * lib/layers/attentionKernel.ts) against the TF-op path, one encoder layer on either path against
 * PyTorch's nn.TransformerEncoderLayer (goldens from test/fixtures/attention/make_goldens.py), the
 * dropout op (lib/layers/dropout.ts), and the tape's early release (lib/train/tapeRelease.ts): same
 * gradients, fewer tensors alive. Where a C++ compiler is present, a kernel that did not build or is
 * not active fails here; only a machine without one (or the GPU build, which runs TF ops) skips.
 */
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from '../lib/paths';
import { backendInfo, tf, type TF } from '../lib/backend';
import { attentionCpu, attentionCpuActive, attentionTf, scaledDotProductAttention } from '../lib/layers/attentionKernel';
import { cpuKernelStatus, setCpuKernelThreads, setFusedKernel } from '../lib/layers/cpuKernel';
import { MultiHeadSelfAttention } from '../lib/models/attention';
import { dense } from '../lib/layers/dense';
import { dropoutOp, dropout } from '../lib/layers/dropout';
import { encoderLayer, transformerClassifier } from '../lib/models/transformer';
import { installTapeRelease, setTapeRelease, tapeReleaseStats } from '../lib/train/tapeRelease';
import { withSeed } from '../lib/train/random';

const cxx = process.env.CXX || 'g++';
const skip =
  (spawnSync(cxx, ['--version']).status !== 0 && `no C++ compiler (${cxx}): the CPU kernel cannot be built on this machine`) ||
  (backendInfo.kind === 'native-gpu' && 'GPU backend: attention runs on TF ops there, the CPU kernel is not built');
after(() => {
  setFusedKernel('auto');
  setTapeRelease(true);
});

/** max |a − b| / max(max |b|, floor). */
function relDiff(a: TF.Tensor, b: TF.Tensor, floor = 1e-12): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / Math.max(tf.max(tf.abs(b)).dataSync()[0], floor));
}

test('the attention kernel is active on the native CPU backend (where a C++ compiler is present)', { skip }, () => {
  const s = cpuKernelStatus();
  assert.ok(s.active, `CPU kernel not active: ${s.reason}`);
});

/** Names of the TensorFlow ops `f` runs through tfjs-node's binding (the backend's binding swapped for a recording copy meanwhile). */
function tfOpsRun(f: () => void): Set<string> {
  const be = tf.backend() as unknown as { binding: Record<string, unknown> };
  const binding = be.binding;
  const names = new Set<string>();
  const copy: Record<string, unknown> = {};
  for (const k of Object.getOwnPropertyNames(binding)) copy[k] = typeof binding[k] === 'function' ? (binding[k] as (...a: unknown[]) => unknown).bind(binding) : binding[k];
  const run = copy.executeOp as (...a: unknown[]) => unknown;
  copy.executeOp = (...a: unknown[]) => (names.add(a[0] as string), run(...a));
  be.binding = copy;
  try {
    f();
  } finally {
    be.binding = binding;
  }
  return names;
}

test('a Transformer training step runs the addon\'s TF ops: attention, layer norm, dropout, dense + bias + ReLU (no copies into JS)', { skip }, () => {
  assert.ok(attentionCpuActive(), 'the attention CPU path is not active');
  const model = transformerClassifier({ nMels: 16, layers: 1, heads: 4, dff: 32, numClasses: 3 });
  const x = tf.randomNormal([2, 10, 16], 0, 1, 'float32', 1);
  const ops = tfOpsRun(() => tf.dispose(tf.variableGrads(() => tf.sum(model.apply(x, { training: true }) as TF.Tensor) as TF.Scalar).grads));
  for (const op of ['GenreLabAttention', 'GenreLabAttentionGrad', 'GenreLabLayerNorm', 'GenreLabLayerNormGrad', 'GenreLabDropout', 'GenreLabBiasRelu', 'GenreLabReluBiasGrad'])
    assert.ok(ops.has(op), `${op} did not run (ran: ${[...ops].sort().join(', ')})`);
  assert.ok(!ops.has('StatelessRandomUniform') && !ops.has('Softmax'), 'TF-op dropout or attention ran');
  tf.dispose([x]);
  model.dispose();
});

/** A layer's output, dx and weight gradients of Σ(layer(x)·up), with the fused kernels on `choice` ('tf': the TF-op path). */
function outputsAndGradients(layer: TF.layers.Layer, x: TF.Tensor, up: TF.Tensor, choice: 'auto' | 'tf') {
  setFusedKernel(choice);
  try {
    const f = (xx: TF.Tensor) => tf.sum(tf.mul(layer.apply(xx) as TF.Tensor, up)) as TF.Scalar;
    const { grads } = tf.variableGrads(() => f(x), layer.trainableWeights.map((v) => (v as unknown as { val: TF.Variable }).val));
    return { y: layer.apply(x) as TF.Tensor, dx: tf.grad(f)(x), grads: Object.values(grads) };
  } finally {
    setFusedKernel('auto');
  }
}

test('multi-head block: the one-op CPU path (q/k/v as one GEMM) equals the TF-op layer, output, dx and every weight gradient', { skip }, () => {
  for (const [b, t, d, h] of [[2, 7, 16, 4], [3, 33, 24, 8], [1, 1, 8, 1]]) {
    tf.tidy(() => {
      const layer = new MultiHeadSelfAttention({ numHeads: h });
      layer.build([b, t, d]);
      layer.setWeights(layer.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 0.5, 'float32', 10 + i)));
      const x = tf.randomNormal([b, t, d], 0, 1, 'float32', 1);
      const up = tf.randomNormal([b, t, d], 0, 1, 'float32', 2);
      const [cpu, ref] = [outputsAndGradients(layer, x, up, 'auto'), outputsAndGradients(layer, x, up, 'tf')];
      const what = `[${b}, ${t}, ${d}] × ${h} heads`;
      assert.ok(relDiff(cpu.y, ref.y) < 1e-5, `${what}: outputs differ by ${relDiff(cpu.y, ref.y)}`);
      assert.ok(relDiff(cpu.dx, ref.dx) < 1e-5, `${what}: dx differs by ${relDiff(cpu.dx, ref.dx)}`);
      assert.equal(cpu.grads.length, 8);
      cpu.grads.forEach((g, i) => {
        const name = layer.trainableWeights[i].name;
        // the key bias's gradient is 0 up to rounding on both paths (softmax ignores a per-row constant)
        if (/key_bias/.test(name)) return assert.ok(tf.max(tf.abs(g)).dataSync()[0] < 1e-4, `${what}: ${name} gradient not ~0`);
        assert.ok(relDiff(g, ref.grads[i]) < 1e-5, `${what}: gradient ${name} differs by ${relDiff(g, ref.grads[i])}`);
      });
    });
  }
});

test('dense: the one-op CPU path equals tfjs\' Dense (ReLU and linear, rank 2 and 3): output, dx, kernel and bias gradients', { skip }, () => {
  for (const [shape, activation] of [[[6, 5], 'relu'], [[3, 7, 5], 'relu'], [[3, 7, 5], 'linear']] as const) {
    tf.tidy(() => {
      const layer = dense({ units: 4, activation });
      layer.build([...shape]);
      layer.setWeights([tf.randomNormal([5, 4], 0, 1, 'float32', 3), tf.randomNormal([4], 0, 1, 'float32', 4)]);
      const x = tf.randomNormal([...shape], 0, 1, 'float32', 1);
      const up = tf.randomNormal([...shape.slice(0, -1), 4], 0, 1, 'float32', 2);
      const [cpu, ref] = [outputsAndGradients(layer, x, up, 'auto'), outputsAndGradients(layer, x, up, 'tf')];
      const what = `[${shape}] ${activation}`;
      assert.ok(relDiff(cpu.y, ref.y) < 1e-6, `${what}: outputs differ by ${relDiff(cpu.y, ref.y)}`);
      assert.ok(relDiff(cpu.dx, ref.dx) < 1e-6, `${what}: dx differs by ${relDiff(cpu.dx, ref.dx)}`);
      cpu.grads.forEach((g, i) => assert.ok(relDiff(g, ref.grads[i]) < 1e-6, `${what}: gradient ${i} differs by ${relDiff(g, ref.grads[i])}`));
    });
  }
});

test('attention core: the CPU kernel equals the TF-op path, outputs and gradients of q, k, v (edge shapes, 1–8 heads)', { skip }, () => {
  for (const [b, t, h, e] of [[1, 1, 1, 1], [2, 5, 3, 2], [3, 17, 4, 5], [2, 33, 8, 16], [1, 7, 1, 9]]) {
    tf.tidy(() => {
      const shape = { batch: b, time: t, heads: h };
      const [q, k, v, up] = [1, 2, 3, 4].map((s) => tf.randomNormal([b * t, h * e], 0, 1.5, 'float32', s));
      const loss = (f: typeof attentionTf) => (qq: TF.Tensor, kk: TF.Tensor, vv: TF.Tensor) => tf.sum(tf.mul(f(qq, kk, vv, shape), up)) as TF.Scalar;
      const gCpu = tf.grads(loss(attentionCpu))([q, k, v]);
      const gTf = tf.grads(loss(attentionTf))([q, k, v]);
      const what = `[${b}, ${t}, ${h}, ${e}]`;
      const dy = relDiff(attentionCpu(q, k, v, shape), attentionTf(q, k, v, shape));
      assert.ok(dy < 1e-5, `${what} outputs differ by ${dy}`);
      gCpu.forEach((g, i) => {
        const d = relDiff(g, gTf[i]);
        assert.ok(d < 1e-5, `${what} gradient of ${'qkv'[i]} differs by ${d}`);
      });
    });
  }
});

test('attention core: the kernel keeps no [B, H, T, T] tensor; the TF-op path keeps several', { skip }, async () => {
  const [b, t, h, e] = [2, 24, 4, 3];
  const shape = { batch: b, time: t, heads: h };
  const [q, k, v] = [1, 2, 3].map((s) => tf.randomNormal([b * t, h * e], 0, 1, 'float32', s));
  const square = async (f: typeof attentionTf) =>
    (await tf.profile(() => tf.grads((qq: TF.Tensor, kk: TF.Tensor, vv: TF.Tensor) => tf.sum(f(qq, kk, vv, shape)) as TF.Scalar)([q, k, v]))).kernels.filter((kk) =>
      kk.outputShapes.some((s) => s && s.length === 4 && s[2] === t && s[3] === t),
    ).length;
  assert.equal(await square(attentionCpu), 0);
  assert.ok((await square(attentionTf)) >= 3);
  setFusedKernel('tf');
  assert.ok((await square(scaledDotProductAttention)) >= 3, 'setFusedKernel("tf") selects TF ops');
  setFusedKernel('auto');
  assert.equal(await square(scaledDotProductAttention), 0, 'auto selects the kernel');
  tf.dispose([q, k, v]);
});

interface Golden {
  batch: number;
  steps: number;
  dModel: number;
  heads: number;
  dff: number;
  x: number[][][];
  R: number[][][];
  y: number[][][];
  dx: number[][][];
  params: Record<string, number[] | number[][]>;
  grads: Record<string, number[] | number[][]>;
}
const goldens = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/attention/goldens.json'), 'utf8')) as Golden[];

/** One encoder layer of ours with the golden's PyTorch weights; returns it with a map from our weight names to PyTorch's (and how to convert). */
function encoderFromGolden(g: Golden): { model: TF.LayersModel; torchOf: Map<string, (grads: Golden['grads']) => TF.Tensor> } {
  const input = tf.input({ shape: [g.steps, g.dModel] });
  const model = tf.model({ inputs: input, outputs: encoderLayer(input, g.dModel, g.heads, g.dff, 0, 0) });
  const d = g.dModel;
  const T = (a: number[][]) => tf.transpose(tf.tensor2d(a));
  const rows = (a: number[][], i: number) => a.slice(i * d, (i + 1) * d);
  // our weight's name after the layer prefix `enc1_` → the PyTorch parameter it comes from
  const torchOf = new Map<string, (src: Golden['grads']) => TF.Tensor>();
  ['query', 'key', 'value'].forEach((n, i) => {
    torchOf.set(`mha/${n}_kernel`, (src) => T(rows(src['self_attn.in_proj_weight'] as number[][], i)));
    torchOf.set(`mha/${n}_bias`, (src) => tf.tensor1d((src['self_attn.in_proj_bias'] as number[]).slice(i * d, (i + 1) * d)));
  });
  torchOf.set('mha/output_kernel', (src) => T(src['self_attn.out_proj.weight'] as number[][]));
  torchOf.set('mha/output_bias', (src) => tf.tensor1d(src['self_attn.out_proj.bias'] as number[]));
  for (const [ours, theirs] of [['ln1', 'norm1'], ['ln2', 'norm2']]) {
    torchOf.set(`${ours}/gamma`, (src) => tf.tensor1d(src[`${theirs}.weight`] as number[]));
    torchOf.set(`${ours}/beta`, (src) => tf.tensor1d(src[`${theirs}.bias`] as number[]));
  }
  for (const [ours, theirs] of [['ffn1', 'linear1'], ['ffn2', 'linear2']]) {
    torchOf.set(`${ours}/kernel`, (src) => T(src[`${theirs}.weight`] as number[][]));
    torchOf.set(`${ours}/bias`, (src) => tf.tensor1d(src[`${theirs}.bias`] as number[]));
  }
  const convert = (w: TF.LayerVariable) => {
    const k = [...torchOf.keys()].find((key) => new RegExp(`^enc1_${key}(_\\d+)?$`).test(w.name));
    assert.ok(k, `no PyTorch parameter for ${w.name}`);
    return torchOf.get(k)!;
  };
  assert.equal(model.trainableWeights.length, torchOf.size);
  model.setWeights(model.weights.map((w) => convert(w)(g.params)));
  return { model, torchOf: new Map(model.trainableWeights.map((w) => [w.name, convert(w)] as const)) };
}

for (const kernelChoice of ['auto', 'tf'] as const)
  test(`one encoder layer (${kernelChoice === 'auto' ? 'attention on the CPU kernel' : 'TF ops'}) matches PyTorch's nn.TransformerEncoderLayer: output, dx, every weight gradient`, { skip: kernelChoice === 'auto' && skip }, () => {
    setFusedKernel(kernelChoice);
    try {
      for (const g of goldens) {
        tf.tidy(() => {
          const { model, torchOf } = encoderFromGolden(g);
          const x = tf.tensor3d(g.x);
          const R = tf.tensor3d(g.R);
          const f = () => tf.sum(tf.mul(model.apply(x, { training: true }) as TF.Tensor, R)) as TF.Scalar;
          const what = `[${g.batch}, ${g.steps}, ${g.dModel}] × ${g.heads} heads`;
          const dy = relDiff(model.apply(x, { training: true }) as TF.Tensor, tf.tensor3d(g.y));
          assert.ok(dy < 1e-5, `${what}: output differs from PyTorch by ${dy}`);
          const ddx = relDiff(tf.grad((xx: TF.Tensor) => tf.sum(tf.mul(model.apply(xx, { training: true }) as TF.Tensor, R)) as TF.Scalar)(x), tf.tensor3d(g.dx));
          assert.ok(ddx < 1e-4, `${what}: dx differs from PyTorch by ${ddx}`);
          const { grads } = tf.variableGrads(f);
          for (const w of model.trainableWeights) {
            // (floor: the key bias gets no gradient, softmax ignores a per-row constant: both sides give rounding noise)
            const d = relDiff(grads[w.name], torchOf.get(w.name)!(g.grads), 1e-2);
            assert.ok(d < 1e-4, `${what}: gradient of ${w.name} differs from PyTorch by ${d}`);
          }
        });
      }
    } finally {
      setFusedKernel('auto');
    }
  });

test('dropout op: keeps a 1 − rate fraction scaled by 1/(1 − rate), gradient dy·mask, identity at inference, repeats under withSeed', () => {
  const x = tf.ones([64, 100, 16]);
  const y = dropoutOp(x, 0.3);
  const vals = y.dataSync();
  const kept = vals.filter((v) => v !== 0);
  assert.ok(Math.abs(kept.length / vals.length - 0.7) < 0.01, `kept ${kept.length / vals.length}`);
  assert.ok(kept.every((v) => Math.abs(v - 1 / 0.7) < 1e-6));
  // The gradient goes through the same mask as the forward pass: d/dx sum(dropout(x)·u) = mask·u.
  const u = tf.randomNormal([64, 100, 16], 0, 1, 'float32', 1);
  let forward: TF.Tensor | null = null;
  const dx = tf.grad((xx: TF.Tensor) => {
    forward = tf.keep(dropoutOp(xx, 0.5));
    return tf.sum(tf.mul(forward, u)) as TF.Scalar;
  })(tf.randomNormal([64, 100, 16], 0, 1, 'float32', 2));
  assert.ok(forward);
  const m = tf.tidy(() => tf.mul(tf.cast(tf.notEqual(forward!, 0), 'float32'), 2));
  assert.ok(relDiff(dx, tf.mul(m, u)) < 1e-6);
  const layer = dropout({ rate: 0.4 });
  assert.equal(relDiff(layer.apply(x, { training: false }) as TF.Tensor, x), 0);
  assert.ok((layer.apply(x, { training: true }) as TF.Tensor).dataSync().some((v) => v === 0));
  const draw = () => withSeed(7, () => Array.from(dropoutOp(x, 0.3).dataSync().slice(0, 200)));
  assert.deepEqual(draw(), draw());
  // the same seed, the same mask on any number of kernel threads (native CPU: GenreLabDropout)
  const whole = (threads: number) => {
    setCpuKernelThreads(threads);
    return withSeed(3, () => Array.from(dropoutOp(x, 0.5).dataSync()));
  };
  if (!skip) {
    const one = whole(1);
    const three = whole(3);
    setCpuKernelThreads(os.availableParallelism());
    assert.deepEqual(one, three);
  }
  tf.dispose([x, u, dx, forward!]);
});

test('tape release: the same gradients as tfjs, fewer tensors alive at the peak, nothing leaked', async () => {
  assert.ok(installTapeRelease());
  const model = transformerClassifier({ nMels: 8, layers: 2, heads: 2, dff: 16, numClasses: 5, rate: 0, dropout: 0 });
  const x = tf.randomNormal([3, 12, 8], 0, 1, 'float32', 1);
  const up = tf.randomNormal([3, 5], 0, 1, 'float32', 2);
  const step = () => tf.variableGrads(() => tf.sum(tf.mul(model.apply(x, { training: true }) as TF.Tensor, up)) as TF.Scalar);
  const run = async (on: boolean) => {
    setTapeRelease(on);
    const before = tf.memory().numTensors;
    const released = tapeReleaseStats().released;
    let grads: TF.NamedTensorMap = {};
    const prof = await tf.profile(() => {
      grads = step().grads;
      return Object.values(grads);
    });
    return { grads, peak: prof.peakBytes, released: tapeReleaseStats().released - released, newTensors: tf.memory().numTensors - before };
  };
  const on = await run(true);
  const off = await run(false);
  setTapeRelease(true);
  assert.equal(off.released, 0);
  assert.ok(on.released > 50, `released ${on.released}`);
  assert.ok(on.peak < off.peak, `peak ${on.peak} bytes with the release, ${off.peak} without`);
  assert.equal(on.newTensors, off.newTensors, 'the same tensors survive the step (the gradients)');
  for (const k of Object.keys(off.grads)) assert.equal(relDiff(on.grads[k], off.grads[k]), 0, k);
  // A custom gradient that hands its dy on unchanged, and a caller's own dy, survive.
  const passThrough = tf.customGrad(((a: TF.Tensor) => ({ value: tf.mul(a, 1), gradFunc: (dy: TF.Tensor) => [dy] })) as never) as unknown as (a: TF.Tensor) => TF.Tensor;
  const a = tf.tensor1d([1, 2, 3]);
  const dy = tf.tensor1d([4, 5, 6]);
  const g = tf.grad((v: TF.Tensor) => tf.relu(passThrough(tf.mul(v, 2))))(a, dy);
  assert.deepEqual(Array.from(g.dataSync()), [8, 10, 12]);
  assert.deepEqual(Array.from(dy.dataSync()), [4, 5, 6]);
  tf.dispose([x, up, a, dy, g, ...Object.values(on.grads), ...Object.values(off.grads)]);
});
