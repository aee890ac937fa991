/**
 * lib/layers: the fused LSTM/GRU layers against PyTorch (goldens from test/fixtures/rnn/make_goldens.py)
 * and against tfjs-layers' LSTM, forward and every gradient, on both implementations (native fused
 * kernels and the plain-tfjs fallback); plus save/load, fit, and bad input.
 */
import { before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { ready, tf, type TF } from '../lib/backend';
import { ROOT } from '../lib/paths';
import { bidirectional, gru, lstm, FusedGRU, FusedLSTM, type RnnImplementation } from '../lib/layers/recurrent';
import { nativeOpsAvailable } from '../lib/layers/tfRaw';
import { setLstmBackward, type LstmBackward } from '../lib/layers/lstmKernel';
import { cpuKernelStatus, setFusedKernel, type FusedKernel } from '../lib/layers/cpuKernel';
import { orthogonalMatrix } from '../lib/layers/orthogonal';

type Nested = number | Nested[];
interface Golden {
  kind: 'lstm' | 'gru';
  batch: number;
  steps: number;
  features: number;
  units: number;
  numLayers: number;
  x: Nested;
  h0: Nested;
  c0?: Nested;
  R: Nested;
  y: Nested;
  grad_x: Nested;
  grad_h0: Nested;
  grad_c0?: Nested;
  params: Record<string, Nested>;
  grads: Record<string, Nested>;
}
const goldens = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/rnn/goldens.json'), 'utf8')) as Record<'lstm' | 'gru', Golden>;

const TOL = 1e-4;
before(async () => {
  await ready(); // wasm initialises asynchronously (GENRE_LAB_BACKEND=wasm runs the fallback path)
});
const impls: RnnImplementation[] = nativeOpsAvailable() ? ['fused', 'generic'] : ['generic'];
// The fused layers run on the CPU kernel (native/rnn.cc) where it is built, else on TF ops; both are checked.
setFusedKernel('auto');
const cpuKernel = cpuKernelStatus();
const kernels: FusedKernel[] = cpuKernel.active ? ['cpu', 'tf'] : ['tf'];

/** Runs `body` with the fused layers on `kernel`, restoring the default after. */
function withKernel<R>(kernel: FusedKernel, body: () => R): R {
  setFusedKernel(kernel);
  try {
    return body();
  } finally {
    setFusedKernel('auto');
  }
}

/** max |a − b| / max(1, |b|) over all elements; fails naming `what`. */
function assertClose(a: TF.Tensor, b: TF.Tensor | Nested, what: string): void {
  const bt = b instanceof tf.Tensor ? b : tf.tensor(b as number[]);
  assert.deepEqual(a.shape, bt.shape, `${what}: shape`);
  const av = a.dataSync();
  const bv = bt.dataSync();
  let worst = 0;
  for (let i = 0; i < av.length; i++) worst = Math.max(worst, Math.abs(av[i] - bv[i]) / Math.max(1, Math.abs(bv[i])));
  assert.ok(worst <= TOL, `${what}: max error ${worst.toExponential(2)} > ${TOL}`);
}

/** PyTorch gate blocks (rows of weight_ih/hh, entries of biases) reordered to ours. */
function reorderRows(t: TF.Tensor, kind: 'lstm' | 'gru'): TF.Tensor {
  if (kind === 'lstm') return t; // i, f, g, o == Keras i, f, c, o
  const [r, z, n] = tf.split(t, 3, 0); // PyTorch r, z, n → Keras z, r, h
  return tf.concat([z, r, n], 0);
}

/** Our weights [kernel, recurrent_kernel, bias] for each layer/direction, from PyTorch's parameters. */
function weightsFromTorch(g: Golden, src: Record<string, Nested>): TF.Tensor[] {
  const out: TF.Tensor[] = [];
  for (let l = 0; l < g.numLayers; l++) {
    for (const sfx of ['', '_reverse']) {
      const p = (n: string) => tf.tensor(src[`${n}_l${l}${sfx}`] as number[]);
      out.push(reorderRows(p('weight_ih'), g.kind).transpose(), reorderRows(p('weight_hh'), g.kind).transpose());
      const bih = reorderRows(p('bias_ih'), g.kind);
      const bhh = reorderRows(p('bias_hh'), g.kind);
      out.push(g.kind === 'lstm' ? tf.add(bih, bhh) : tf.stack([bih, bhh]));
    }
  }
  return out;
}

/** [implementation, fused kernel, LSTM backward of the TF-op kernel] */
type Variant = [RnnImplementation, FusedKernel, LstmBackward];
const variants = (kind: 'lstm' | 'gru'): Variant[] =>
  impls.flatMap((i): Variant[] => {
    if (i !== 'fused') return [[i, 'auto', 'auto']];
    const tf: Variant[] = kind === 'lstm' ? (['batched', 'blockGrad', 'cellGrad'] as const).map((b): Variant => ['fused', 'tf', b]) : [['fused', 'tf', 'auto']];
    return cpuKernel.active ? [['fused', 'cpu', 'auto'], ...tf] : tf;
  });
for (const kind of ['lstm', 'gru'] as const) {
  for (const [implementation, kernel, backward] of variants(kind)) {
    const label = implementation === 'fused' ? `fused on ${kernel === 'cpu' ? 'the CPU kernel' : `TF ops${kind === 'lstm' ? `, ${backward} backward` : ''}`}` : implementation;
    test(`${kind} (${label}) equals PyTorch: outputs and all gradients, 2 layers, bidirectional, initial state`, (t) => {
      setLstmBackward(backward);
      setFusedKernel(kernel);
      t.after(() => (setLstmBackward('auto'), setFusedKernel('auto')));
      const g = goldens[kind];
      const args = { units: g.units, numLayers: g.numLayers, bidirectional: true, returnSequences: true, implementation };
      const layer = kind === 'lstm' ? new FusedLSTM(args) : new FusedGRU(args);
      layer.build([null, g.steps, g.features]);
      layer.setWeights(weightsFromTorch(g, g.params));
      const x = tf.variable(tf.tensor(g.x as number[]));
      const h0 = tf.variable(tf.tensor(g.h0 as number[]));
      const c0 = g.c0 ? tf.variable(tf.tensor(g.c0 as number[])) : null;
      const R = tf.tensor(g.R as number[]);
      const inputs = c0 ? [x, h0, c0] : [x, h0];
      const y = layer.apply(inputs) as TF.Tensor;
      assertClose(y, g.y, `${kind} y`);
      const weights = layer.trainableWeights.map((w) => w.read() as TF.Variable);
      const { grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(inputs) as TF.Tensor, R)) as TF.Scalar, [x, h0, ...(c0 ? [c0] : []), ...weights]);
      assertClose(grads[x.name], g.grad_x, `${kind} dL/dx`);
      assertClose(grads[h0.name], g.grad_h0, `${kind} dL/dh0`);
      if (c0) assertClose(grads[c0.name], g.grad_c0 as number[], `${kind} dL/dc0`);
      const expected = weightsFromTorch(g, g.grads);
      weights.forEach((w, i) => {
        // LSTM: our bias is b_ih + b_hh, whose gradient equals each of PyTorch's (identical) bias gradients;
        // weightsFromTorch summed the two gradients, so halve it.
        const want = kind === 'lstm' && i % 3 === 2 ? tf.mul(expected[i], 0.5) : expected[i];
        assertClose(grads[w.name], want, `${kind} dL/d${layer.trainableWeights[i].originalName}`);
      });
    });
  }
}

/** Every implementation, the fused one on each kernel this machine has. */
const runs: [RnnImplementation, FusedKernel, string][] = impls.flatMap((i): [RnnImplementation, FusedKernel, string][] =>
  i === 'fused' ? kernels.map((k): [RnnImplementation, FusedKernel, string] => [i, k, `fused on ${k === 'cpu' ? 'the CPU kernel' : 'TF ops'}`]) : [[i, 'auto', i]],
);
for (const [implementation, kernel, label] of runs) {
  test(`lstm (${label}) equals tfjs-layers LSTM with the same weights (forward, dL/dx, dL/dweights)`, () => {
    withKernel(kernel, () => tf.tidy(() => {
      const [B, T, F, H] = [4, 9, 3, 5];
      const ref = tf.layers.lstm({ units: H, returnSequences: true, recurrentActivation: 'sigmoid', activation: 'tanh' });
      const ours = lstm({ units: H, returnSequences: true, implementation });
      const x = tf.randomNormal([B, T, F], 0, 1, 'float32', 7);
      const yRef = ref.apply(x) as TF.Tensor; // builds it (tfjs RNNs do not like a separate build())
      ours.build([null, T, F]);
      ours.setWeights(ref.getWeights()); // same layout: kernel [F, 4H], recurrent [H, 4H], bias [4H], gates i, f, c, o
      const R = tf.randomNormal([B, T, H], 0, 1, 'float32', 8);
      assertClose(ours.apply(x) as TF.Tensor, yRef, 'LSTM output');
      const lossOf = (layer: TF.layers.Layer, xv: TF.Variable) => () => tf.sum(tf.mul(layer.apply(xv) as TF.Tensor, R)) as TF.Scalar;
      const xv = tf.variable(x);
      const gRef = tf.variableGrads(lossOf(ref, xv), [xv, ...ref.trainableWeights.map((w) => w.read() as TF.Variable)]);
      const gOurs = tf.variableGrads(lossOf(ours, xv), [xv, ...ours.trainableWeights.map((w) => w.read() as TF.Variable)]);
      assertClose(gOurs.grads[xv.name], gRef.grads[xv.name], 'dL/dx');
      ['kernel', 'recurrent_kernel', 'bias'].forEach((n, i) =>
        assertClose(gOurs.grads[(ours.trainableWeights[i].read() as TF.Variable).name], gRef.grads[(ref.trainableWeights[i].read() as TF.Variable).name], `dL/d${n}`),
      );
      xv.dispose();
    }));
  });

  test(`bidirectional lstm (${label}) equals tf.layers.bidirectional on the last step (Keras semantics), mergeMode sum`, () => {
    withKernel(kernel, () => tf.tidy(() => {
      const [B, T, F, H] = [2, 6, 3, 4];
      const ref = tf.layers.bidirectional({ layer: tf.layers.lstm({ units: H, recurrentActivation: 'sigmoid' }) as never, mergeMode: 'sum' });
      const ours = bidirectional(lstm({ units: H, implementation }), 'sum');
      const x = tf.randomNormal([B, T, F], 0, 1, 'float32', 3);
      const yRef = ref.apply(x) as TF.Tensor;
      ours.build([null, T, F]);
      ours.setWeights(ref.getWeights()); // forward kernel, recurrent, bias, then backward's
      const y = ours.apply(x) as TF.Tensor;
      assert.deepEqual(y.shape, [B, H]);
      assertClose(y, yRef, 'bidirectional LSTM last step');
    }));
  });
}

for (const [bidi, kernel] of [true, false].flatMap((b) => kernels.map((k): [boolean, FusedKernel] => [b, k]))) {
  const what = bidi ? 'a 3-layer bidirectional stack, returnSequences false, mergeMode ave' : 'a 2-layer one-direction stack, returnSequences true';
  test(`fused (${kernel === 'cpu' ? 'CPU kernel' : 'TF ops'}) and generic GRU agree on ${what} (outputs and gradients)`, { skip: !nativeOpsAvailable() && 'native TF not available' }, () => {
    withKernel(kernel, () => tf.tidy(() => {
      const cfg = bidi ? { units: 6, numLayers: 3, bidirectional: true, mergeMode: 'ave' as const } : { units: 6, numLayers: 2, returnSequences: true };
      const a = gru({ ...cfg, implementation: 'fused' });
      const b = gru({ ...cfg, implementation: 'generic' });
      a.build([null, 5, 4]);
      b.build([null, 5, 4]);
      b.setWeights(a.getWeights());
      const x = tf.variable(tf.randomNormal([3, 5, 4], 0, 1, 'float32', 11));
      const ya = a.apply(x) as TF.Tensor;
      assert.deepEqual(ya.shape, bidi ? [3, 6] : [3, 5, 6]);
      assertClose(ya, b.apply(x) as TF.Tensor, 'GRU stack');
      const R = tf.randomNormal(ya.shape, 0, 1, 'float32', 12);
      const gradsOf = (l: TF.layers.Layer) =>
        tf.variableGrads(() => tf.sum(tf.mul(l.apply(x) as TF.Tensor, R)) as TF.Scalar, [x, ...l.trainableWeights.map((w) => w.read() as TF.Variable)]);
      const [ga, gb] = [gradsOf(a), gradsOf(b)];
      assertClose(ga.grads[x.name], gb.grads[x.name], 'dL/dx');
      a.trainableWeights.forEach((w, i) =>
        assertClose(ga.grads[(w.read() as TF.Variable).name], gb.grads[(b.trainableWeights[i].read() as TF.Variable).name], `dL/d${w.originalName}`),
      );
      x.dispose();
    }));
  });
}

test('a model with fused layers trains with fit, saves, reloads with the same predictions and parameter count', async () => {
  const T = 8;
  const F = 5;
  const model = tf.sequential();
  model.add(lstm({ units: 6, numLayers: 2, interLayerDropout: 0.2, dropout: 0.1, returnSequences: true, inputShape: [T, F] }));
  model.add(bidirectional(gru({ units: 4 })));
  model.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
  // LSTM: per layer 4H(F+H+1); GRU reset-after: 3H(F+H+2) per direction; dense 8·3+3.
  const expected = 4 * 6 * (F + 6 + 1) + 4 * 6 * (6 + 6 + 1) + 2 * 3 * 4 * (6 + 4 + 2) + (8 * 3 + 3);
  assert.equal(model.countParams(), expected);
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  const x = tf.randomNormal([16, T, F], 0, 1, 'float32', 1);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0], 'int32'), 3);
  const before = model.getWeights().map((w) => w.dataSync().slice());
  const hist = await model.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0 });
  const losses = hist.history.loss as number[];
  assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
  const after = model.getWeights();
  assert.ok(after.every((w, i) => w.dataSync().some((v, j) => v !== before[i][j])), 'every weight tensor changed during fit');

  const p1 = model.predict(x) as TF.Tensor;
  assertClose(model.predict(x) as TF.Tensor, p1, 'inference is deterministic (dropout off)');
  let saved: Parameters<typeof tf.io.fromMemory>[0] | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved as Parameters<typeof tf.io.fromMemory>[0]));
  assert.ok(loaded.layers[0] instanceof FusedLSTM && loaded.layers[1] instanceof FusedGRU, 'layer classes restored');
  assert.equal(loaded.countParams(), expected);
  assertClose(loaded.predict(x) as TF.Tensor, p1, 'reloaded predictions');
});

test('no tensors leak from a forward + backward pass (tfjs and raw TF handles)', () => {
  const layer = gru({ units: 4, numLayers: 2, bidirectional: true, returnSequences: true });
  const layer2 = lstm({ units: 4, bidirectional: true });
  layer.build([null, 5, 3]);
  layer2.build([null, 5, 8]);
  const x = tf.randomNormal([2, 5, 3]);
  const raw = () => (nativeOpsAvailable() ? (tf.backend() as unknown as { binding: { getNumOfTensors(): number } }).binding.getNumOfTensors() : 0);
  const run = () => {
    const vars = [...layer.trainableWeights, ...layer2.trainableWeights].map((w) => w.read() as TF.Variable);
    const { value, grads } = tf.variableGrads(() => tf.sum(layer2.apply(layer.apply(x) as TF.Tensor) as TF.Tensor) as TF.Scalar, vars);
    value.dispose();
    tf.dispose(grads);
  };
  const settings: [FusedKernel, LstmBackward][] = [...(cpuKernel.active ? [['cpu', 'auto'] as [FusedKernel, LstmBackward]] : []), ['tf', 'blockGrad'], ['tf', 'cellGrad'], ['tf', 'batched']];
  for (const [kernel, backward] of settings) {
    const what = kernel === 'cpu' ? 'CPU kernel' : `TF ops, LSTM ${backward} backward`;
    setLstmBackward(backward);
    setFusedKernel(kernel);
    run();
    const [n0, r0] = [tf.memory().numTensors, raw()];
    run();
    assert.equal(tf.memory().numTensors, n0, `tfjs tensors (${what})`);
    assert.equal(raw(), r0, `raw TF handles (${what})`);
  }
  setLstmBackward('auto');
  setFusedKernel('auto');
});

test('bad input raises errors naming the layer and the problem', () => {
  const l = lstm({ units: 3, name: 'enc' });
  assert.throws(() => l.apply(tf.zeros([2, 3])), /enc: expects input \[batch, time, features\]/);
  const g = gru({ units: 3, numLayers: 2, name: 'g2' });
  assert.throws(() => g.apply([tf.zeros([2, 4, 5]), tf.zeros([2, 3])]), /g2: initial h0 must be \[2, 2, 3\]/);
  assert.throws(() => lstm({ units: 0 }), /units must be a positive integer/);
  assert.throws(() => gru({ units: 2, interLayerDropout: 1 }), /interLayerDropout must be in \[0, 1\)/);
});

test('orthogonalMatrix gives orthonormal rows (wide) or columns (tall), like Keras Orthogonal', () => {
  for (const [r, c] of [[6, 24], [24, 6], [9, 9]]) {
    const q = tf.tensor2d(orthogonalMatrix(r, c), [r, c]);
    const gram = r <= c ? tf.matMul(q, q, false, true) : tf.matMul(q, q, true, false);
    assertClose(gram, tf.eye(Math.min(r, c)), `Q·Qᵀ for [${r}, ${c}]`);
  }
  assert.throws(() => orthogonalMatrix(0, 3), /bad shape/);
});
