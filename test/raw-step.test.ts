/**
 * lib/train/rawStep.ts: each experiment's network trained through the raw step and through tfjs-layers'
 * `trainOnBatch` from the same initial weights, data and seed gives the same losses, accuracies,
 * weights and batch-norm moving statistics; the step covers the models it is meant for (a must-run
 * check on the native CPU backend with the addon) and hands everything else to `trainOnBatch`.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { tf, backendInfo, type TF } from '../lib/backend';
import { EXPERIMENTS } from '../lib/experiments/registry';
import { arrayBatches } from '../lib/train/data';
import { fit, trainingView } from '../lib/train/fit';
import { makeOptimizer } from '../lib/train/optimizers';
import { withSeed, mulberry32 } from '../lib/train/random';
import { rawStepPlan, rawStepStats } from '../lib/train/rawStep';
import { nativeTfOpsStatus } from '../lib/layers/nativeKernels';

const ops = nativeTfOpsStatus();
const skip = !ops.active && `the addon's TF ops are not active: ${ops.reason}`;

/** The experiments whose networks the step must cover, with a small input of their kind. */
const CASES: { experiment: string; shape: number[]; classes: number; l2?: number }[] = [
  { experiment: 'lecture-mlp', shape: [130, 13], classes: 10 },
  { experiment: 'lecture-mlp-regularised', shape: [130, 13], classes: 10 },
  { experiment: 'lecture-cnn', shape: [130, 13, 1], classes: 10 },
  { experiment: 'seed001-cnn', shape: [13, 259, 1], classes: 8 },
  { experiment: 'seed004-cnn', shape: [20, 111, 1], classes: 10 },
];

interface Run {
  losses: number[];
  accuracies: number[];
  weights: Float32Array[];
  /** Per weight: whether rounding noise drives it (see `noiseDriven`). */
  noise: boolean[];
  steps: number;
  kind?: string;
}

async function train(experiment: string, shape: number[], classes: number, raw: boolean, l2 = 0): Promise<Run> {
  const exp = EXPERIMENTS.find((e) => e.id === experiment)!;
  const before = process.env.GENRE_LAB_RAW_STEP;
  process.env.GENRE_LAB_RAW_STEP = raw ? '1' : '0';
  try {
    const model = withSeed(11, () => exp.build(shape, classes, {}));
    const n = 24;
    const per = shape.reduce((a, b) => a * b, 1);
    const rand = mulberry32(5);
    const x = Float32Array.from({ length: n * per }, () => rand() * 4 - 2);
    const labels = Int32Array.from({ length: n }, () => Math.floor(rand() * classes));
    const train = arrayBatches({ x, shape, labels, numClasses: classes }, { batchSize: 8, random: mulberry32(9) });
    const steps0 = rawStepStats().steps;
    const h = await fit(model, { epochs: 3, train, output: exp.output, optimizer: exp.profiles.full.optimizer, verbose: false, seed: 1, l2 });
    const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
    const noise = noiseDriven(model);
    model.dispose();
    return { losses: h.epochs.map((e) => e.loss), accuracies: h.epochs.map((e) => e.accuracy ?? NaN), weights, noise, steps: rawStepStats().steps - steps0, kind: h.step?.kind };
  } finally {
    if (before === undefined) delete process.env.GENRE_LAB_RAW_STEP;
    else process.env.GENRE_LAB_RAW_STEP = before;
  }
}

/**
 * Per weight of `model.getWeights()`: true for the bias of a convolution that feeds a batch norm, and that
 * batch norm's moving mean. In exact arithmetic that bias' gradient is 0 (the batch mean absorbs it); in
 * floats it is rounding noise, which Adam turns into steps of up to ~lr either way, on both paths alike
 * (PyTorch's seed 001 model too), and the moving mean carries the bias. Those are compared against Adam's
 * step bound instead of float tolerance; they change neither the training loss nor any other weight.
 */
function noiseDriven(model: TF.LayersModel): boolean[] {
  const names = new Set<string>();
  model.layers.forEach((l, i) => {
    const next = model.layers[i + 1];
    const act = (l as unknown as { activation?: { getClassName(): string } }).activation?.getClassName();
    if (l.getClassName() === 'Conv2D' && act === 'linear' && next?.getClassName() === 'BatchNormalization')
      for (const w of [...l.weights, ...next.weights]) if (/\/(bias|moving_mean)$/.test(w.originalName)) names.add(w.originalName);
  });
  return model.weights.map((w) => names.has(w.originalName));
}

/** Largest |a − b| over the largest |b| (at least 1e-3), over all weights. */
function relDiff(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((wa, i) => {
    const wb = b[i];
    assert.equal(wa.length, wb.length);
    let d = 0;
    let m = 1e-3;
    for (let k = 0; k < wa.length; k++) {
      d = Math.max(d, Math.abs(wa[k] - wb[k]));
      m = Math.max(m, Math.abs(wb[k]));
    }
    worst = Math.max(worst, d / m);
  });
  return worst;
}

for (const c of [...CASES, { ...CASES.find((k) => k.experiment === 'seed001-cnn')!, l2: 1e-3 }])
  test(`raw step: ${c.experiment}${c.l2 ? " with fit's l2" : ''} trains as trainOnBatch does (losses, accuracies, weights, moving statistics)`, { skip }, async () => {
    const l2 = c.l2 ?? 0;
    const raw = await train(c.experiment, c.shape, c.classes, true, l2);
    const ref = await train(c.experiment, c.shape, c.classes, false, l2);
    assert.ok(raw.steps === 9, `the raw step ran ${raw.steps} times, expected 9 (3 epochs × 3 batches)`);
    assert.equal(ref.steps, 0);
    // fit's history says which step trained.
    assert.equal(raw.kind, 'raw');
    assert.equal(ref.kind, 'trainOnBatch');
    raw.losses.forEach((l, i) => assert.ok(Math.abs(l - ref.losses[i]) <= 1e-4 * Math.max(1, Math.abs(ref.losses[i])), `epoch ${i + 1} loss ${l} vs ${ref.losses[i]}`));
    assert.deepEqual(raw.accuracies, ref.accuracies);
    // Weights and (batch norm) moving statistics after 9 Adam steps.
    const exact = (r: Run) => r.weights.filter((_, i) => !r.noise[i]);
    assert.deepEqual(raw.noise, ref.noise);
    const d = relDiff(exact(raw), exact(ref));
    assert.ok(d < 1e-4, `weights differ by ${d} (relative to the largest)`);
    // Noise-driven weights: 9 Adam steps of at most ~lr each, on either side.
    const lr = EXPERIMENTS.find((e) => e.id === c.experiment)!.profiles.full.optimizer.learningRate;
    raw.weights.forEach((w, i) => {
      if (!raw.noise[i]) return;
      let worst = 0;
      for (let k = 0; k < w.length; k++) worst = Math.max(worst, Math.abs(w[k] - ref.weights[i][k]));
      assert.ok(worst <= 2 * 9 * lr * 1.01, `noise-driven weight ${i} differs by ${worst}, more than 2 × 9 Adam steps of ${lr}`);
    });
    // Training moved them: the comparison is not between two untouched models.
    const init = withSeed(11, () => EXPERIMENTS.find((e) => e.id === c.experiment)!.build(c.shape, c.classes, {}));
    const start = init.getWeights().map((w) => w.dataSync() as Float32Array);
    init.dispose();
    assert.ok(relDiff(raw.weights, start) > 1e-3, 'training did not change the weights');
  });

test('raw step: covers the CNN and MLP experiments on the native CPU backend, hands other settings to trainOnBatch', { skip }, () => {
  if (backendInfo.kind !== 'native-cpu') return;
  for (const c of CASES) {
    const exp = EXPERIMENTS.find((e) => e.id === c.experiment)!;
    const model = exp.build(c.shape, c.classes, {});
    const { net, output } = trainingView(model, exp.output, false);
    const optimizer = makeOptimizer(exp.profiles.full.optimizer);
    const plan = rawStepPlan(net, { output, optimizer, customLoss: false, l2: 0 });
    assert.ok(plan.ok, `${c.experiment}: ${plan.ok ? '' : plan.reason}`);
    const not = (o: Partial<Parameters<typeof rawStepPlan>[1]>, why: RegExp) => {
      const p = rawStepPlan(net, { output, optimizer, customLoss: false, l2: 0, ...o });
      assert.ok(!p.ok && why.test(p.reason), `${c.experiment}: expected a refusal matching ${why}, got ${p.ok ? 'ok' : p.reason}`);
    };
    not({ clipNorm: 1 }, /clipping/);
    not({ customLoss: true }, /custom loss/);
    not({ optimizer: tf.train.sgd(0.1) }, /FusedAdam/);
    not({ output: 'sigmoid' }, /logits/);
    model.dispose();
  }
  // A layer it does not cover (here an LSTM) leaves the model to trainOnBatch, saying which.
  const rnn = tf.sequential({ layers: [tf.layers.lstm({ units: 4, inputShape: [5, 3] }), tf.layers.dense({ units: 2 })] });
  const p = rawStepPlan(rnn, { output: 'logits', optimizer: makeOptimizer({ name: 'adam', learningRate: 1e-3 }), customLoss: false, l2: 0 });
  assert.ok(!p.ok && /LSTM/.test(p.reason), p.ok ? 'covered' : p.reason);
  rnn.dispose();
  // A dense layer on a sequence (rank-3 input) is tfjs' job too.
  const seq = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [5, 3] }), tf.layers.flatten(), tf.layers.dense({ units: 2 })] });
  const q = rawStepPlan(seq, { output: 'logits', optimizer: makeOptimizer({ name: 'adam', learningRate: 1e-3 }), customLoss: false, l2: 0 });
  assert.ok(!q.ok && /rank-3/.test(q.reason), q.ok ? 'covered' : q.reason);
  seq.dispose();
});

test('raw step: a batch leaves no tensors or TF handles behind', { skip }, async () => {
  const exp = EXPERIMENTS.find((e) => e.id === 'seed001-cnn')!;
  const model = exp.build([13, 259, 1], 8, {});
  const rand = mulberry32(2);
  const x = Float32Array.from({ length: 16 * 13 * 259 }, () => rand());
  const labels = Int32Array.from({ length: 16 }, (_, i) => i % 8);
  const train = arrayBatches({ x, shape: [13, 259, 1], labels, numClasses: 8 }, { batchSize: 8, random: mulberry32(1) });
  // The binding object is frozen: hand the backend a copy that counts TF handles made and deleted.
  const be = tf.backend() as unknown as { binding: Record<string, unknown> & { executeOp: (...a: unknown[]) => { id: number }[] } };
  const binding = be.binding;
  const copy: Record<string, unknown> = {};
  for (const k of Object.getOwnPropertyNames(binding)) copy[k] = typeof binding[k] === 'function' ? (binding[k] as (...a: unknown[]) => unknown).bind(binding) : binding[k];
  let live = 0;
  be.binding = {
    ...copy,
    executeOp: (...a: unknown[]) => {
      const out = binding.executeOp(...a);
      live += out.length;
      return out;
    },
    createTensor: (...a: unknown[]) => (live++, (copy.createTensor as (...a: unknown[]) => unknown)(...a)),
    deleteTensor: (...a: unknown[]) => (live--, (copy.deleteTensor as (...a: unknown[]) => unknown)(...a)),
  } as typeof binding;
  const grown = async (epochs: number) => {
    const [tensors, handles, steps] = [tf.memory().numTensors, live, rawStepStats().steps];
    const optimizer = makeOptimizer(exp.profiles.full.optimizer);
    await fit(model, { epochs, train, output: exp.output, optimizer, verbose: false });
    assert.equal(rawStepStats().steps - steps, 2 * epochs);
    return { tensors: tf.memory().numTensors - tensors, handles: live - handles };
  };
  try {
    await grown(1); // first use: cached constants (shapes as int32 tensors)
    const one = await grown(1);
    const three = await grown(3);
    // Per fit, the optimizer's moments (two handles per weight) stay; nothing grows with the number of steps.
    assert.equal(one.tensors, 0);
    assert.equal(three.tensors, 0);
    assert.equal(one.handles, 2 * model.trainableWeights.length);
    assert.equal(three.handles, one.handles);
  } finally {
    be.binding = binding;
  }
  model.dispose();
});
