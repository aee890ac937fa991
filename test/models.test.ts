import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import type { TF } from '../lib/backend';
import {
  audioLstm,
  biGruClassifier,
  countParams,
  firstNetwork,
  genreLstm,
  lectureCnn,
  lectureMlp,
  lectureRnn,
  mfccCnn,
  trackCnn,
  transformerClassifier,
  type OutputKind,
} from '../lib/models';
import { arrayBatches, evaluate, fit, mulberry32, withSeed, type ArrayDataset } from '../lib/train';

// Seed-framework parameter counts from test/fixtures/models/param_counts.py (torch).
const P = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures/models/param_counts.json'), 'utf8'));

/**
 * tfjs' LSTM/GRU cells keep one bias vector per gate where torch (and Keras' reset-after GRU) keep
 * two, so the tfjs count is the seed's minus torch's `bias_hh_*`; a recurrent implementation that
 * keeps the second bias matches the seed's count exactly. Either way nothing else may differ.
 */
function checkCount(model: TF.LayersModel, key: string) {
  const ref = P[key];
  const got = countParams(model);
  const allowed = [ref.trainable - ref.recurrentHiddenBias, ref.trainable];
  assert.ok(allowed.includes(got.trainable), `${key}: ${got.trainable} trainable parameters, seed has ${ref.trainable} (${ref.recurrentHiddenBias} of them torch's second recurrent bias)`);
  assert.equal(got.nonTrainable, ref.nonTrainable, `${key}: non-trainable (batch-norm statistics)`);
}

const shapeOf = (m: TF.LayersModel) => (m.inputs[0].shape as (number | null)[]).slice(1);
const outOf = (m: TF.LayersModel) => (m.outputs[0].shape as (number | null)[]).slice(1);

test('every model builds with its documented input shape and the seed\'s parameter count', () => {
  const cases: [string, () => TF.LayersModel, (number | null)[], number][] = [
    ['lecture-first', firstNetwork, [2], 1],
    ['lecture-mlp', () => lectureMlp(), [130, 13], 10],
    ['lecture-mlp', () => lectureMlp({ l2: 0.001, dropout: 0.3 }), [130, 13], 10],
    ['lecture-cnn', () => lectureCnn(), [130, 13, 1], 10],
    ['lecture-rnn', () => lectureRnn(), [130, 13], 10],
    ['seed000-audio-lstm', () => audioLstm(), [331, 80], 10],
    ['seed001-lstm', () => genreLstm(), [128, 33], 8],
    ['seed001-lstm-dropout', () => genreLstm({ dropout: 0.2 }), [128, 33], 8],
    ['seed001-cnn', () => mfccCnn(), [13, 259, 1], 8],
    ['seed004-cnn-readme', () => trackCnn(), [128, 1293, 1], 10],
    ['seed004-cnn-code', () => trackCnn({ variant: 'code' }), [20, 111, 1], 10],
    ['seed002-bigru', () => biGruClassifier(), [null, 128], 163],
    ['seed002-transformer', () => transformerClassifier(), [null, 128], 163],
  ];
  for (const [key, build, input, classes] of cases) {
    const m = withSeed(1, build);
    assert.deepEqual(shapeOf(m), input, `${key} input shape`);
    assert.deepEqual(outOf(m), [classes], `${key} output shape`);
    checkCount(m, key);
    m.dispose();
  }
  // seed 002's two encoders were sized to match: both ~700k trainable parameters
  for (const k of ['seed002-bigru', 'seed002-transformer']) assert.ok(Math.abs(P[k].trainable - 700_000) < 80_000, k);
});

/**
 * A tiny separable set: class c raises the features whose index ≡ c (mod 3). Multi-label
 * targets tag class c, and class 2 also tags class 0.
 */
function separable(shape: number[], n = 24, classes = 3, multi = false): ArrayDataset {
  const r = mulberry32(42);
  const per = shape.reduce((a, b) => a * b, 1);
  const last = shape[shape.length - 1] === 1 && shape.length === 3 ? shape[1] : shape[shape.length - 1];
  const x = new Float32Array(n * per);
  const labels = new Int32Array(n);
  const targets = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    labels[i] = c;
    targets[i * classes + c] = 1;
    if (c === 2) targets[i * classes] = 1;
    for (let j = 0; j < per; j++) x[i * per + j] = ((j % last) % classes === c ? 1 : -0.5) + (r() - 0.5) * 0.3;
  }
  return multi ? { x, shape, targets, numClasses: classes } : { x, shape, labels, numClasses: classes };
}

async function overfits(name: string, build: () => TF.LayersModel, shape: number[], output: OutputKind, epochs = 25, lr = 0.01) {
  const data = separable(shape, 24, 3, output === 'sigmoid');
  const model = withSeed(7, build);
  await fit(model, {
    epochs,
    train: arrayBatches(data, { batchSize: 8, random: mulberry32(1) }),
    output,
    optimizer: { name: 'adam', learningRate: lr },
    seed: 3,
    verbose: false,
  });
  const ev = await evaluate(model, arrayBatches(data, { batchSize: 24 }), output);
  if (output === 'sigmoid') assert.ok(ev.apMicro! > 0.95, `${name}: training-set micro AP ${ev.apMicro}`);
  else assert.ok(ev.accuracy! >= 0.95, `${name}: training-set accuracy ${ev.accuracy}`);
  model.dispose();
}

test('lecture models overfit a tiny separable set', async () => {
  await overfits('lecture MLP (regularised)', () => lectureMlp({ inputShape: [4, 3], numClasses: 3, hidden: [16, 8], l2: 0.001, dropout: 0.3 }), [4, 3], 'softmax');
  // batch norm's moving statistics at Keras' momentum 0.99 take hundreds of steps to reach the
  // batch statistics that training used; 0.8 lets 90 steps settle them for inference
  await overfits('lecture CNN', () => lectureCnn({ inputShape: [16, 13, 1], numClasses: 3, filters: 8, dense: 16, batchNormMomentum: 0.8 }), [16, 13, 1], 'softmax', 30);
  await overfits('lecture RNN', () => lectureRnn({ inputShape: [6, 3], numClasses: 3, units: 8, dense: 8 }), [6, 3], 'softmax', 30, 0.02);
});

test('the lecture\'s first network learns to add two numbers', async () => {
  const r = mulberry32(5);
  const n = 256;
  const x = Float32Array.from({ length: 2 * n }, () => r() / 2);
  const targets = Float32Array.from({ length: n }, (_, i) => x[2 * i] + x[2 * i + 1]);
  const data: ArrayDataset = { x, shape: [2], targets, numClasses: 1 };
  const model = withSeed(2, firstNetwork);
  const h = await fit(model, { epochs: 40, train: arrayBatches(data, { batchSize: 16, random: r }), output: 'regression', optimizer: { name: 'adam', learningRate: 0.05 }, verbose: false });
  assert.ok(h.epochs.at(-1)!.loss < 2e-3, `MSE after training ${h.epochs.at(-1)!.loss}`);
});

test('seed 000 / 001 LSTMs overfit a tiny separable set', async () => {
  await overfits('AudioLSTM (3 layers)', () => audioLstm({ nFeatures: 3, timeSteps: 6, hidden: 8, numClasses: 3 }), [6, 3], 'logits', 30, 0.02);
  await overfits('seed 001 LSTM + dropout', () => genreLstm({ nFeatures: 3, timeSteps: 6, hidden: 8, numClasses: 3, dropout: 0.2 }), [6, 3], 'logits', 30, 0.02);
});

test('seed 001 / 004 CNNs overfit a tiny separable set', async () => {
  await overfits('seed 001 MFCC CNN', () => mfccCnn({ inputShape: [8, 12, 1], numClasses: 3, channels: [4, 4, 4], dense: 8, dropout: 0.2 }), [8, 12, 1], 'logits');
  await overfits('seed 004 track CNN', () => trackCnn({ inputShape: [8, 12, 1], numClasses: 3, channels: [4, 4, 4, 4] }), [8, 12, 1], 'logits');
});

test('seed 002 BiGRU and Transformer overfit a tiny multi-label set', async () => {
  await overfits('BiGRU', () => biGruClassifier({ nMels: 6, units: 6, timeSteps: 6, numClasses: 3 }), [6, 6], 'sigmoid', 30, 0.02);
  await overfits('Transformer', () => transformerClassifier({ nMels: 6, layers: 1, heads: 2, dff: 12, numClasses: 3, rate: 0.1 }), [6, 6], 'sigmoid', 30, 0.01);
});
