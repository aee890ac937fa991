import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tf, type TF } from '../lib/backend';
import {
  CosineAnnealingLR,
  ReduceLROnPlateau,
  StepLR,
  arrayBatches,
  clipByGlobalNorm,
  cropBatches,
  evaluate,
  fit,
  loadModel,
  mulberry32,
  saveModel,
  withGradientClipping,
  withSeed,
  type ArrayDataset,
  type LrScheduler,
} from '../lib/train';
import { lectureMlp, transformerClassifier } from '../lib/models';

// torch goldens from test/fixtures/models/schedulers.py
const S = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures/models/schedulers.json'), 'utf8'));

function sequence(s: LrScheduler, metrics?: number[]): number[] {
  return Array.from({ length: S.epochs }, (_, e) => s.step(metrics?.[e]));
}
function sameLrs(mine: number[], torch: number[], what: string) {
  assert.equal(mine.length, torch.length);
  mine.forEach((v, i) => assert.ok(Math.abs(v - torch[i]) <= 1e-12 * Math.max(1e-3, torch[i]), `${what} epoch ${i + 1}: ${v} vs torch ${torch[i]}`));
}

test('schedulers reproduce torch.optim.lr_scheduler sequences', () => {
  sameLrs(sequence(new StepLR(1e-3, 10, 0.1)), S['step_10_0.1'], 'StepLR(10, 0.1)');
  sameLrs(sequence(new StepLR(1e-3, 7, 0.5)), S['step_7_0.5'], 'StepLR(7, 0.5)');
  sameLrs(sequence(new CosineAnnealingLR(1e-3, 20)), S['cosine_20'], 'CosineAnnealingLR(20)');
  sameLrs(sequence(new CosineAnnealingLR(1e-3, 25, 1e-5)), S['cosine_25_min1e-5'], 'CosineAnnealingLR(25, 1e-5)');
  sameLrs(sequence(new ReduceLROnPlateau(1e-3, { mode: 'max', factor: 0.1, patience: 10 }), S.acc), S['plateau_max_p10'], 'plateau max p10');
  sameLrs(sequence(new ReduceLROnPlateau(1e-3, { mode: 'max', factor: 0.5, patience: 3, cooldown: 2, minLr: 2e-4 }), S.acc), S['plateau_max_p3_cooldown2_minlr'], 'plateau cooldown/minLr');
  sameLrs(sequence(new ReduceLROnPlateau(1e-5, { mode: 'min', factor: 0.1, patience: 2, threshold: 1e-3, thresholdMode: 'abs', minLr: 1e-7 }), S.loss), S['plateau_min_abs'], 'plateau min abs');
  // the plateau sequence does change (the test would catch a scheduler that never reduces)
  assert.ok(new Set(S['plateau_max_p10']).size > 1);
});

test("ReduceLROnPlateau style 'keras' reduces after `patience` bad epochs, torch after more than `patience`", () => {
  // hand-worked from tf.keras.callbacks.ReduceLROnPlateau.on_epoch_end: epoch 1 sets best, 2 and 3
  // are bad → reduce; epoch 4 ends the cooldown and already counts as bad, 5 reduces again, …
  const flat = [1, 1, 1, 1, 1, 1, 1];
  const keras = new ReduceLROnPlateau(1, { style: 'keras', patience: 2, factor: 0.5, threshold: 1e-4, thresholdMode: 'abs', cooldown: 1 });
  assert.deepEqual(flat.map((m) => keras.step(m)), [1, 1, 0.5, 0.5, 0.25, 0.25, 0.125]);
  const torch = new ReduceLROnPlateau(1, { patience: 2, factor: 0.5, threshold: 1e-4, thresholdMode: 'abs', cooldown: 1 });
  assert.deepEqual(flat.map((m) => torch.step(m)), [1, 1, 1, 0.5, 0.5, 0.5, 0.5]);
  // an improvement of less than min_delta is no improvement in Keras
  const k2 = new ReduceLROnPlateau(1, { style: 'keras', patience: 1, factor: 0.1, threshold: 0.01, thresholdMode: 'abs' });
  assert.deepEqual([1, 0.995, 0.5].map((m) => k2.step(m)), [1, 0.1, 0.1]);
});

test('clipByGlobalNorm follows torch clip_grad_norm_', () => {
  const g = [tf.tensor1d([3, 0]), tf.tensor1d([0, 4])];
  const { clipped, norm } = clipByGlobalNorm(g, 1);
  assert.ok(Math.abs(norm - 5) < 1e-6);
  const coef = 1 / (5 + 1e-6);
  assert.ok(Math.abs(clipped[0].dataSync()[0] - 3 * coef) < 1e-6 && Math.abs(clipped[1].dataSync()[1] - 4 * coef) < 1e-6);
  const small = clipByGlobalNorm(g, 10).clipped;
  assert.deepEqual(Array.from(small[1].dataSync()), [0, 4]);
  tf.dispose([...g, ...clipped, ...small]);
});

/** Dense(1, no bias) with weight w: one SGD step on x=10, y=0 under MSE has gradient 2·10·10w = 200w. */
function oneWeightModel(w: number): TF.LayersModel {
  const m = tf.sequential({ layers: [tf.layers.dense({ units: 1, useBias: false, inputShape: [1], kernelInitializer: 'zeros' })] });
  m.setWeights([tf.tensor2d([[w]])]);
  return m;
}
const oneExample = () => [{ x: tf.tensor2d([[10]]), y: tf.tensor2d([[0]]) }];

test('gradient clipping limits the update to maxNorm (seed 000 clips to 1)', async () => {
  const m = oneWeightModel(1);
  const opt = withGradientClipping(tf.train.sgd(0.5), 1);
  await fit(m, { epochs: 1, train: oneExample, output: 'regression', optimizer: opt, verbose: false });
  assert.ok(Math.abs(opt.lastNorm() - 200) < 1e-3, `norm before clipping ${opt.lastNorm()}`);
  const w = (m.getWeights()[0].dataSync() as Float32Array)[0];
  assert.ok(Math.abs(w - (1 - 0.5 * (200 / (200 + 1e-6)))) < 1e-5, `w after one clipped step: ${w}`);
});

test('l2 adds l2·Σw² over kernels to the training loss', async () => {
  const m = oneWeightModel(2);
  // loss = (10·2)² + 0.5·2² = 400 + 2; lr tiny so the weight barely moves during the step
  const h = await fit(m, { epochs: 1, train: oneExample, output: 'regression', optimizer: { name: 'sgd', learningRate: 1e-12 }, l2: 0.5, verbose: false });
  assert.ok(Math.abs(h.epochs[0].loss - 402) < 1e-3, `loss ${h.epochs[0].loss}`);
});

/** Two Gaussian blobs in 6-D, labels 0/1; `flip` swaps the labels. */
function blobs(n: number, seed: number, flip = false): ArrayDataset {
  const r = mulberry32(seed);
  const x = new Float32Array(n * 6);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    labels[i] = flip ? 1 - c : c;
    for (let j = 0; j < 6; j++) x[i * 6 + j] = (c ? 1 : -1) * (j < 3 ? 1 : 0.5) + (r() - 0.5) * 0.6;
  }
  return { x, shape: [2, 3], labels, numClasses: 2 };
}
const tinyMlp = () => lectureMlp({ inputShape: [2, 3], numClasses: 2, hidden: [8] });

/** Trains on blobs whose validation set has the opposite labels: validation loss worsens as training succeeds. */
function fitWorseningVal(model: ReturnType<typeof tinyMlp>, epochs: number, earlyStopping: NonNullable<Parameters<typeof fit>[1]['earlyStopping']>) {
  return fit(model, {
    epochs,
    train: arrayBatches(blobs(32, 1), { batchSize: 8, random: mulberry32(4) }),
    validation: arrayBatches(blobs(16, 2, true), { batchSize: 16 }),
    output: 'softmax',
    optimizer: { name: 'adam', learningRate: 0.05 },
    earlyStopping,
    seed: 5,
    verbose: false,
  });
}

test('early stopping stops after `patience` bad epochs and restores the best epoch', async () => {
  const val = blobs(16, 2, true);
  const model = withSeed(3, tinyMlp);
  const h = await fitWorseningVal(model, 30, { monitor: 'valLoss', patience: 3 });
  assert.equal(h.stoppedEarly, true);
  assert.equal(h.epochs.length, (h.bestEpoch ?? 0) + 3);
  assert.equal(h.restoredBest, true);
  const best = h.epochs[h.bestEpoch! - 1].valLoss!;
  const last = h.epochs.at(-1)!.valLoss!;
  assert.ok(last > best + 1e-3, `validation loss did worsen: best ${best}, last ${last}`);
  const now = (await evaluate(model, arrayBatches(val, { batchSize: 16 }), 'softmax')).loss;
  assert.ok(Math.abs(now - best) < 1e-5, `restored weights score ${now}, best epoch scored ${best}`);
});

test("restoreBestWeights 'on-stop' (seed 000): the best weights come back only when training stops early", async () => {
  const val = blobs(16, 2, true);
  const run = async (patience: number) => {
    const model = withSeed(3, tinyMlp);
    const h = await fitWorseningVal(model, 8, { monitor: 'valLoss', patience, restoreBestWeights: 'on-stop' });
    return { h, now: (await evaluate(model, arrayBatches(val, { batchSize: 16 }), 'softmax')).loss };
  };
  const reachedLimit = await run(100);
  assert.equal(reachedLimit.h.stoppedEarly, false);
  assert.ok(reachedLimit.h.bestEpoch! < 8, `best epoch ${reachedLimit.h.bestEpoch} is before the limit`);
  assert.equal(reachedLimit.h.restoredBest, false);
  const bestLoss = reachedLimit.h.epochs[reachedLimit.h.bestEpoch! - 1].valLoss!;
  assert.ok(reachedLimit.now > bestLoss + 1e-3, `the last weights stay at the epoch limit (loss ${reachedLimit.now}, best epoch's ${bestLoss})`);
  const stopped = await run(2);
  assert.equal(stopped.h.stoppedEarly, true);
  assert.equal(stopped.h.restoredBest, true);
  assert.ok(Math.abs(stopped.now - stopped.h.epochs[stopped.h.bestEpoch! - 1].valLoss!) < 1e-5, 'the best weights come back on stopping');
});

test("cropBatches epochShare (seed 002's Sequence): ⌊N / batch × share⌋ full batches per epoch, at least one, a fresh draw each epoch", () => {
  const n = 700;
  const s = { sequences: Array.from({ length: n }, (_, i) => new Float32Array(300 * 2).fill(i)), nFeatures: 2, targets: new Float32Array(n), outputs: 1 };
  const epoch = (share: number | undefined, size = n, seed = 1) => {
    const src = cropBatches({ ...s, sequences: s.sequences.slice(0, size), targets: s.targets.slice(0, size) }, { batchSize: 32, minCrop: 128, maxCrop: 256, random: mulberry32(seed), dropLast: size > 32, epochShare: share });
    const firsts: number[][] = [];
    for (const e of [0, 1]) {
      const b = [...(src(e) as Iterable<{ x: TF.Tensor; y: TF.Tensor }>)];
      firsts.push(b.map((x) => { const v = x.x.shape[0]!; const first = (x.x.dataSync() as Float32Array)[0]; x.x.dispose(); x.y.dispose(); return v * 10000 + first; }));
    }
    return firsts;
  };
  const [a, b] = epoch(0.1); // ⌊700 / 32 / 10⌋ = 2 batches of 32
  assert.equal(a.length, 2);
  assert.ok(a.every((v) => Math.floor(v / 10000) === 32));
  assert.notDeepEqual(a, b, 'each epoch draws other tracks');
  assert.equal(epoch(undefined)[0].length, 21, 'default: every full batch (700 / 32, last dropped)');
  assert.equal(epoch(0.1, 20)[0].length, 1, 'a small set still gets one batch');
});

test('fit consumes an asynchronous batch source (how the feature cache streams)', async () => {
  const data = blobs(32, 1);
  const sync = arrayBatches(data, { batchSize: 8 });
  const source = (epoch: number) =>
    (async function* () {
      for await (const b of sync(epoch)) {
        await new Promise((r) => setImmediate(r));
        yield b;
      }
    })();
  const model = withSeed(3, tinyMlp);
  const h = await fit(model, { epochs: 4, train: source, validation: source, output: 'softmax', optimizer: { name: 'adam', learningRate: 0.05 }, verbose: false });
  assert.equal(h.epochs.length, 4);
  assert.ok(h.epochs[3].loss < h.epochs[0].loss, `loss ${h.epochs[0].loss} → ${h.epochs[3].loss}`);
  assert.ok(h.epochs[3].valAccuracy! > 0.9);
});

test('same seed and backend → identical training run; another seed → a different one', async () => {
  const run = (seed: number) =>
    withSeed(seed, async () => {
      const model = tinyMlp();
      const h = await fit(model, {
        epochs: 3,
        train: arrayBatches(blobs(32, 1), { batchSize: 8, random: mulberry32(seed) }),
        output: 'softmax',
        optimizer: { name: 'adam', learningRate: 0.01 },
        verbose: false,
      });
      return { losses: h.epochs.map((e) => e.loss), w: Array.from(model.getWeights()[0].dataSync()) };
    });
  const a = await run(11);
  const b = await run(11);
  const c = await run(12);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.losses, c.losses);
});

test('a saved model reloads with its meta.json and predicts identically (custom attention layers included)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genre-lab-ckpt-'));
  try {
    const model = withSeed(9, () => transformerClassifier({ nMels: 16, layers: 1, heads: 2, dff: 8, numClasses: 3, timeSteps: null }));
    const x = tf.tensor3d(Float32Array.from({ length: 2 * 10 * 16 }, (_, i) => Math.sin(i)), [2, 10, 16]);
    const before = (model.predict(x) as TF.Tensor).dataSync();
    await saveModel(model, dir, { experiment: 'unit', model: model.name, output: 'sigmoid', inputShape: [null, 16], classNames: ['a', 'b', 'c'], features: { kind: 'mel', nMels: 16 }, training: { epochs: 0 } });
    const { model: again, meta } = await loadModel(dir);
    const after = (again.predict(x) as TF.Tensor).dataSync();
    assert.deepEqual(Array.from(after), Array.from(before));
    assert.deepEqual(meta.classNames, ['a', 'b', 'c']);
    assert.deepEqual(meta.inputShape, [null, 16]);
    await assert.rejects(loadModel(path.join(dir, 'nope')), /no saved model here/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
