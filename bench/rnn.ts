/**
 * `npm run bench:rnn`: training throughput of our recurrent layers (lib/layers/recurrent.ts) against
 * PyTorch CPU (`bench/rnn_torch.py`, installed into .venv on demand) on identical shapes, models and
 * optimizer (Adam), random data. Ours and PyTorch alternate case by case, round by round, so both see
 * the same machine load; each side's best round counts. Ends with `min ratio ours/reference: R`.
 *
 * Options: --rounds N (default 3), --cases lecture,audiolstm,bigru, --threads N (TF intra-op and
 * torch threads, both; default: each library's own default), --impl fused|generic (default auto),
 * --json PATH (also write the results there).
 */
import * as fs from 'fs';
import * as path from 'path';
import { ensurePythonPackages, runPythonJson } from './pyref';
import type { TF } from '../lib/backend';

export interface Case {
  name: string;
  kind: 'lecture' | 'audiolstm' | 'bigru';
  /** What the case reproduces, printed with the results. */
  about: string;
  features: number;
  units: number;
  layers: number;
  dropout?: number;
  classes: number;
  steps: number;
  batch: number;
  /** Timed training batches per round, the same for both sides. */
  batches: number;
  /**
   * Untimed batches first, the same for both sides: JIT, allocator and cache warm-up. The lecture's
   * 20 ms batches needed ~10 before tfjs reached its steady speed (measured 23–26 ms a batch over
   * the first 20, 19–21 ms after 100); the long batches of the other cases are warm after 2.
   */
  warmup: number;
}

export const CASES: Case[] = [
  // Issue 6: the course lecture's model, LSTM(64) → LSTM(64) → Dense(10), 130 MFCC frames × 13, batch 32.
  { name: 'lecture', kind: 'lecture', about: 'lecture LSTM(64)→LSTM(64)→Dense(10), 130×13, batch 32', features: 13, units: 64, layers: 2, classes: 10, steps: 130, batch: 32, batches: 40, warmup: 10 },
  // Seed 000 AudioLSTM: nn.LSTM(80, 256, num_layers=3, dropout=0.2) → Dropout(0.2) → Linear(256, 10); ~130 frames, batch 50.
  { name: 'audiolstm', kind: 'audiolstm', about: 'seed 000 AudioLSTM 3×LSTM(256), 130×80, batch 50', features: 80, units: 256, layers: 3, dropout: 0.2, classes: 10, steps: 130, batch: 50, batches: 4, warmup: 2 },
  // Seed 002 rnn_classifier: 2 × Bidirectional(GRU(128)) on 128 mels → Dropout(0.2) → GlobalAvgPool → Dense(4·163, selu) →
  // Dropout → Dense(163, sigmoid); 768,595 parameters with PyTorch's two GRU biases (the write-up: "700k").
  // Crops of 128–512 frames in the author's code: 256 here; batch 32.
  { name: 'bigru', kind: 'bigru', about: 'seed 002 2×BiGRU(128), 256×128 mel, 163 labels, batch 32', features: 128, units: 128, layers: 2, dropout: 0.2, classes: 163, steps: 256, batch: 32, batches: 4, warmup: 2 },
];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const rounds = Number(arg('rounds') ?? 3);
const threads = arg('threads');
const impl = (arg('impl') ?? 'auto') as 'auto' | 'fused' | 'generic';
const wanted = (arg('cases') ?? CASES.map((c) => c.name).join(',')).split(',');
// TensorFlow reads its thread count once, when it starts: set it before lib/backend loads tfjs.
if (threads) process.env.TF_NUM_INTRAOP_THREADS = threads;

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { tf, describeBackend } = require('../lib/backend') as typeof import('../lib/backend');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { lstm, gru, bidirectional } = require('../lib/layers/recurrent') as typeof import('../lib/layers/recurrent');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { makeOptimizer } = require('../lib/train/optimizers') as typeof import('../lib/train/optimizers');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { cpuKernelStatus } = require('../lib/layers/cpuKernel') as typeof import('../lib/layers/cpuKernel');

/** The same models as bench/rnn_torch.py, built on our layers. */
function buildModel(c: Case): TF.LayersModel {
  const input = tf.input({ shape: [c.steps, c.features] });
  let x: TF.SymbolicTensor = input;
  const apply = (l: TF.layers.Layer) => (x = l.apply(x) as TF.SymbolicTensor);
  if (c.kind === 'lecture' || c.kind === 'audiolstm') {
    // One layer object with numLayers (PyTorch's nn.LSTM(num_layers, dropout)); the lecture has no dropout.
    apply(lstm({ units: c.units, numLayers: c.layers, interLayerDropout: c.dropout ?? 0, implementation: impl }));
    if (c.dropout) apply(tf.layers.dropout({ rate: c.dropout }));
    apply(tf.layers.dense({ units: c.classes, activation: 'softmax' }));
  } else {
    for (let i = 0; i < c.layers; i++) apply(bidirectional(gru({ units: c.units, returnSequences: true, implementation: impl })));
    apply(tf.layers.dropout({ rate: c.dropout ?? 0 }));
    apply(tf.layers.globalAveragePooling1d());
    apply(tf.layers.dense({ units: 4 * c.classes, activation: 'selu' }));
    apply(tf.layers.dropout({ rate: c.dropout ?? 0 }));
    apply(tf.layers.dense({ units: c.classes, activation: 'sigmoid' }));
  }
  const model = tf.model({ inputs: input, outputs: x });
  // The library's Adam (what lib/train uses; FusedAdam where the CPU kernel runs), with torch.optim.Adam's defaults.
  model.compile({ optimizer: makeOptimizer({ name: 'adam', learningRate: 1e-3, epsilon: 1e-8 }), loss: c.kind === 'bigru' ? 'binaryCrossentropy' : 'categoricalCrossentropy' });
  return model;
}

export interface Result {
  samplesPerSec: number;
  msPerBatch: number;
  params: number;
}

export async function ours(c: Case): Promise<Result> {
  const model = buildModel(c);
  const x = tf.randomNormal([c.batch, c.steps, c.features]);
  const y =
    c.kind === 'bigru'
      ? tf.cast(tf.less(tf.randomUniform([c.batch, c.classes]), 0.1), 'float32')
      : tf.oneHot(tf.randomUniform([c.batch], 0, c.classes, 'int32'), c.classes);
  for (let i = 0; i < c.warmup; i++) await model.trainOnBatch(x, y); // warm-up: JIT, kernel caches, allocator
  const t0 = performance.now();
  for (let i = 0; i < c.batches; i++) await model.trainOnBatch(x, y); // returns the loss read back: synchronous per batch
  const dt = (performance.now() - t0) / 1000;
  const params = model.countParams();
  tf.dispose([x, y]);
  model.dispose();
  return { samplesPerSec: (c.batch * c.batches) / dt, msPerBatch: (1000 * dt) / c.batches, params };
}

export function torch(c: Case): Result & { torch: string; threads: number; peakRssMB: number } {
  const env: NodeJS.ProcessEnv = threads ? { OMP_NUM_THREADS: threads, MKL_NUM_THREADS: threads } : {};
  return runPythonJson(path.join(__dirname, 'rnn_torch.py'), [JSON.stringify(c), String(c.batches), String(c.warmup)], env);
}

async function main(): Promise<void> {
  const unknown = wanted.filter((w) => !CASES.some((c) => c.name === w));
  if (unknown.length) throw new Error(`bench/rnn.ts: unknown case(s) ${unknown.join(', ')}; have ${CASES.map((c) => c.name).join(', ')}`);
  ensurePythonPackages(['torch'], ['torch']);
  if (process.env.GENRE_LAB_QUIET_BACKEND === '1') console.log(describeBackend());
  console.log(`threads: ${threads ? `${threads} (TF intra-op, our kernel and torch)` : 'library defaults'}; implementation: ${impl}; rounds: ${rounds}`);
  console.log(`fused recurrent kernel: ${cpuKernelStatus().active ? cpuKernelStatus().reason : `TF ops (${cpuKernelStatus().reason})`}`);
  console.log('NOTE: the machine is shared; absolute numbers are contended, the ratios come from interleaved runs.');
  const cases = CASES.filter((c) => wanted.includes(c.name));
  const best = new Map<string, { ours: Result; ref: Result & { torch: string } }>();
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) {
      const ref = torch(c);
      const our = await ours(c);
      console.log(`round ${r + 1} ${c.name.padEnd(10)} ours ${our.samplesPerSec.toFixed(1).padStart(8)} samples/s   torch ${ref.samplesPerSec.toFixed(1).padStart(8)} samples/s`);
      const prev = best.get(c.name);
      best.set(c.name, {
        ours: prev && prev.ours.samplesPerSec > our.samplesPerSec ? prev.ours : our,
        ref: prev && prev.ref.samplesPerSec > ref.samplesPerSec ? prev.ref : ref,
      });
    }
  }
  console.log('\ncase        params(ours/torch)   ours samples/s   torch samples/s   ratio');
  const rows = cases.map((c) => {
    const b = best.get(c.name)!;
    const ratio = b.ours.samplesPerSec / b.ref.samplesPerSec;
    console.log(
      `${c.name.padEnd(11)} ${`${b.ours.params}/${b.ref.params}`.padEnd(20)} ${b.ours.samplesPerSec.toFixed(1).padStart(15)} ${b.ref.samplesPerSec.toFixed(1).padStart(17)} ${ratio.toFixed(2).padStart(7)}   (${c.about})`,
    );
    return { case: c.name, about: c.about, ours: b.ours, torch: b.ref, ratio };
  });
  const out = arg('json');
  if (out) fs.writeFileSync(out, JSON.stringify({ backend: describeBackend(), threads: threads ?? 'default', implementation: impl, rows }, null, 2));
  console.log(`min ratio ours/reference: ${Math.min(...rows.map((r) => r.ratio)).toFixed(2)}`);
}

// bench/models.ts imports the cases and `ours` to run them one process per case.
if (require.main === module)
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
