/**
 * `npm run bench:models`: training throughput and peak memory of every model family against its
 * source framework, on identical models, shapes and batches of random data:
 *   - lecture MLP and CNN (seed 003) against Keras on tensorflow-cpu (bench/models_ref.py);
 *   - seed 001's MFCC CNN, seed 004's whole-track CNN and seed 002's Transformer against PyTorch
 *     (bench/models_ref.py);
 *   - the three recurrent cases of `bench:rnn` against PyTorch (bench/rnn.ts, bench/rnn_torch.py).
 * Our side builds each model with the experiment's own builder (lib/experiments/registry.ts) and trains
 * it with lib/train's `fit` on the batch sources the experiments use (arrayBatches, cropBatches), with
 * the experiment's full-profile optimizer: what a user runs. Every case and side runs in its own process
 * so its peak resident memory (getrusage maxrss) is its own; ours and the reference alternate case by
 * case, round by round, so both see the same machine load. Speed: the best timed epoch of the best
 * round; memory: the highest peak over the rounds. Ends with `min ratio ours/reference: R`.
 *
 * Options: --rounds N (default 2), --cases a,b (default all), --json PATH (also write the results),
 * --full (seed 004 at its full profile's batch of 128 instead of 32: minutes per batch on 2 cores).
 * Internal: --one '<case json>' runs our side of one case and prints its JSON line.
 */
import { spawnSync, execSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ensurePythonPackages, runPythonJson } from './pyref';
import type { Case as RnnCase } from './rnn';

export interface ModelCase {
  name: string;
  about: string;
  /** The experiment whose builder, output kind and full-profile optimizer our side uses. */
  experiment: string;
  reference: 'keras' | 'torch';
  /** models_ref.py's model name. */
  model: string;
  /** One example's shape (channels last for images). */
  shape: number[];
  classes: number;
  output: 'softmax' | 'logits' | 'sigmoid';
  batch: number;
  batchesPerEpoch: number;
  /** Epochs in all; the first `warmupEpochs` are untimed (JIT, allocator, primitive caches). */
  epochs: number;
  warmupEpochs: number;
}

type Case = { kind: 'model'; c: ModelCase } | { kind: 'rnn'; name: string; about: string };

export const MODEL_CASES: ModelCase[] = [
  { name: 'lecture-mlp', about: 'lecture MLP 130×13 → 512 → 256 → 64 → 10, batch 32 (Keras)', experiment: 'lecture-mlp', reference: 'keras', model: 'lecture-mlp', shape: [130, 13], classes: 10, output: 'softmax', batch: 32, batchesPerEpoch: 100, epochs: 4, warmupEpochs: 1 },
  { name: 'lecture-cnn', about: 'lecture CNN 3 × conv32 + pool + BN, 130×13×1, batch 32 (Keras)', experiment: 'lecture-cnn', reference: 'keras', model: 'lecture-cnn', shape: [130, 13, 1], classes: 10, output: 'softmax', batch: 32, batchesPerEpoch: 40, epochs: 4, warmupEpochs: 1 },
  // 24 batches an epoch so that a timed epoch is long enough for the scheduler's noise to average out on either side.
  { name: 'seed001-cnn', about: 'seed 001 CNN 3 × conv + BN + pool, 13×259×1, batch 32 (PyTorch)', experiment: 'seed001-cnn', reference: 'torch', model: 'seed001-cnn', shape: [13, 259, 1], classes: 8, output: 'logits', batch: 32, batchesPerEpoch: 24, epochs: 3, warmupEpochs: 1 },
  // Batch 32, not the full profile's 128: one batch of 128 whole tracks takes minutes on 2 shared cores (--full runs 128).
  { name: 'seed004-cnn', about: 'seed 004 CNN 4 × conv + pool, 128×1293×1 mel, batch 32 (PyTorch)', experiment: 'seed004-cnn', reference: 'torch', model: 'seed004-cnn', shape: [128, 1293, 1], classes: 10, output: 'logits', batch: 32, batchesPerEpoch: 1, epochs: 2, warmupEpochs: 1 },
  { name: 'transformer', about: 'seed 002 Transformer 4 × MHA(8)+FFN, 256×128 crops, 163 labels, batch 32 (PyTorch)', experiment: 'seed002-transformer', reference: 'torch', model: 'seed002-transformer', shape: [256, 128], classes: 163, output: 'sigmoid', batch: 32, batchesPerEpoch: 4, epochs: 2, warmupEpochs: 1 },
];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

interface SideResult {
  samplesPerSec: number;
  peakRssMB: number;
  params: number;
}

/** Peak resident set of this process so far, MB (Linux maxrss is in KiB). */
function peakRssMB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** Standard normal values from a small seeded generator (the data only has to be the same shape). */
function randomNormal(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(u()));
    const t = 2 * Math.PI * u();
    out[i] = r * Math.cos(t);
    if (i + 1 < n) out[i + 1] = r * Math.sin(t);
  }
  return out;
}

/** Our side of one model case: the experiment's network, its batch source over random data, its fit options. */
export function prepare(c: ModelCase): { model: import('../lib/backend').TF.LayersModel; options: import('../lib/train/fit').FitOptions } {
  /* eslint-disable @typescript-eslint/no-var-requires */
  const { EXPERIMENTS } = require('../lib/experiments/registry') as typeof import('../lib/experiments/registry');
  const { arrayBatches, cropBatches } = require('../lib/train/data') as typeof import('../lib/train/data');
  /* eslint-enable @typescript-eslint/no-var-requires */
  const exp = EXPERIMENTS.find((e) => e.id === c.experiment);
  if (!exp) throw new Error(`bench/models.ts: no experiment '${c.experiment}'`);
  if (exp.output !== c.output) throw new Error(`bench/models.ts: case ${c.name} says output ${c.output}, experiment ${exp.id} has ${exp.output}`);
  const n = c.batch * c.batchesPerEpoch;
  const per = c.shape.reduce((a, b) => a * b, 1);
  const x = randomNormal(n * per, 1);
  let rng = 7;
  const random = () => ((rng = (Math.imul(rng, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
  const labels = Int32Array.from({ length: n }, () => Math.floor(random() * c.classes));
  const targets = Float32Array.from({ length: n * c.classes }, () => (random() < 0.1 ? 1 : 0));
  // Seed 002 trains on crops (lib/train/data cropBatches); a crop of exactly `frames` frames from sequences of that length.
  const train = exp.profiles.full.crop
    ? cropBatches(
        { sequences: Array.from({ length: n }, (_, i) => x.subarray(i * per, (i + 1) * per)), nFeatures: c.shape[1], targets, outputs: c.classes },
        { batchSize: c.batch, minCrop: c.shape[0], maxCrop: c.shape[0] + 1, random },
      )
    : arrayBatches(c.output === 'sigmoid' ? { x, shape: c.shape, targets, numClasses: c.classes } : { x, shape: c.shape, labels, numClasses: c.classes }, { batchSize: c.batch, random });
  const model = exp.build(c.shape, c.classes, {});
  return { model, options: { epochs: c.epochs, train, output: exp.output, optimizer: exp.profiles.full.optimizer, verbose: false, seed: 1 } };
}

/** Our side of one model case, in this process. */
async function oursModel(c: ModelCase): Promise<SideResult> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { fit } = require('../lib/train/fit') as typeof import('../lib/train/fit');
  const { model, options } = prepare(c);
  const rates: number[] = [];
  await fit(model, {
    ...options,
    onEpoch: (e) => {
      if (e.epoch > c.warmupEpochs) rates.push(e.samplesPerSecond ?? NaN);
    },
  });
  return { samplesPerSec: Math.max(...rates), peakRssMB: peakRssMB(), params: model.countParams() };
}

/** Our side of one recurrent case (bench/rnn.ts's models and loop), in this process. */
async function oursRnn(name: string): Promise<SideResult> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const rnn = require('./rnn') as typeof import('./rnn');
  const r = await rnn.ours(rnnCase(name));
  return { samplesPerSec: r.samplesPerSec, peakRssMB: peakRssMB(), params: r.params };
}

/** Runs our side of `k` in a fresh node process and returns its JSON line. */
function oursProcess(k: Case): SideResult {
  const r = spawnSync(process.execPath, ['-r', 'sucrase/register/ts', __filename, '--one', JSON.stringify(k)], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: { ...process.env, GENRE_LAB_QUIET_BACKEND: '1' },
  });
  if (r.status !== 0) throw new Error(`bench/models.ts: our side of ${caseName(k)} failed (status ${r.status}):\n${(r.stderr || '').slice(-3000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as SideResult;
}

/** bench/rnn.ts's case behind a recurrent case name (`rnn-lecture` → `lecture`). */
function rnnCase(name: string): RnnCase {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { CASES } = require('./rnn') as typeof import('./rnn');
  const c = CASES.find((k) => `rnn-${k.name}` === name);
  if (!c) throw new Error(`bench/models.ts: no bench/rnn.ts case for ${name}`);
  return c;
}

/** Runs the reference side of `k` (its own Python process) and returns its JSON line. */
function refProcess(k: Case): SideResult & { framework?: string; torch?: string } {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  if (k.kind === 'rnn') return (require('./rnn') as typeof import('./rnn')).torch(rnnCase(k.name));
  return runPythonJson(path.join(__dirname, 'models_ref.py'), [JSON.stringify(k.c)]);
}

function caseName(k: Case): string {
  return k.kind === 'model' ? k.c.name : k.name;
}

function load(): string {
  try {
    return execSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return `loadavg ${fs.readFileSync('/proc/loadavg', 'utf8').trim()}`;
  }
}

async function main(): Promise<void> {
  const one = arg('one');
  if (one) {
    const k = JSON.parse(one) as Case;
    const r = k.kind === 'model' ? await oursModel(k.c) : await oursRnn(k.name);
    console.log(JSON.stringify(r));
    return;
  }
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const rnn = require('./rnn') as typeof import('./rnn');
  const all: Case[] = [...MODEL_CASES.map((c) => ({ kind: 'model' as const, c })), ...rnn.CASES.map((c) => ({ kind: 'rnn' as const, name: `rnn-${c.name}`, about: c.about }))];
  const rounds = Number(arg('rounds') ?? 2);
  const wanted = arg('cases')?.split(',');
  const unknown = (wanted ?? []).filter((w) => !all.some((k) => caseName(k) === w));
  if (unknown.length) throw new Error(`bench/models.ts: unknown case(s) ${unknown.join(', ')}; have ${all.map(caseName).join(', ')}`);
  const cases = wanted ? all.filter((k) => wanted.includes(caseName(k))) : all;
  if (process.argv.includes('--full'))
    for (const k of cases) if (k.kind === 'model' && k.c.name === 'seed004-cnn') k.c = { ...k.c, batch: 128, about: k.c.about.replace('batch 32', 'batch 128') };

  ensurePythonPackages(['torch', 'tensorflow', 'keras'], ['torch', 'tensorflow-cpu']);
  console.log(`load at start: ${load()}`);
  console.log('NOTE: the machine is shared; absolute numbers are contended, the ratios come from interleaved runs.');
  console.log('Each case and side runs in its own process; memory is that process\'s peak resident set (maxrss).');
  const best = new Map<string, { ours: SideResult; ref: SideResult & { framework?: string; torch?: string } }>();
  for (let r = 0; r < rounds; r++) {
    for (const k of cases) {
      const name = caseName(k);
      const ref = refProcess(k);
      const our = oursProcess(k);
      console.log(
        `round ${r + 1} ${name.padEnd(15)} ours ${our.samplesPerSec.toFixed(1).padStart(8)} samples/s ${our.peakRssMB.toFixed(0).padStart(6)} MB   ` +
          `reference ${ref.samplesPerSec.toFixed(1).padStart(8)} samples/s ${ref.peakRssMB.toFixed(0).padStart(6)} MB`,
      );
      const prev = best.get(name);
      const pick = <T extends SideResult>(a: T | undefined, b: T): T =>
        a ? { ...(a.samplesPerSec >= b.samplesPerSec ? a : b), peakRssMB: Math.max(a.peakRssMB, b.peakRssMB) } : b;
      best.set(name, { ours: pick(prev?.ours, our), ref: pick(prev?.ref, ref) });
    }
  }
  console.log(`load at end: ${load()}`);
  console.log('\ncase            params(ours/ref)   ours samples/s   ref samples/s   ratio   ours MB    ref MB   mem ratio   reference');
  const rows = cases.map((k) => {
    const name = caseName(k);
    const b = best.get(name)!;
    const ratio = b.ours.samplesPerSec / b.ref.samplesPerSec;
    const memRatio = b.ours.peakRssMB / b.ref.peakRssMB;
    const fw = b.ref.framework ?? `torch ${b.ref.torch}`;
    console.log(
      `${name.padEnd(15)} ${`${b.ours.params}/${b.ref.params}`.padEnd(18)} ${b.ours.samplesPerSec.toFixed(1).padStart(14)} ${b.ref.samplesPerSec.toFixed(1).padStart(15)} ${ratio.toFixed(2).padStart(7)} ` +
        `${b.ours.peakRssMB.toFixed(0).padStart(9)} ${b.ref.peakRssMB.toFixed(0).padStart(9)} ${memRatio.toFixed(2).padStart(11)}   ${fw}`,
    );
    return { case: name, about: k.kind === 'model' ? k.c.about : k.about, ours: b.ours, reference: b.ref, ratio, memRatio };
  });
  for (const k of cases) console.log(`  ${caseName(k)}: ${k.kind === 'model' ? k.c.about : k.about}`);
  const out = arg('json');
  if (out) fs.writeFileSync(out, JSON.stringify({ rounds, rows }, null, 2));
  console.log(`max memory ratio ours/reference: ${Math.max(...rows.map((r) => r.memRatio)).toFixed(2)}`);
  console.log(`min ratio ours/reference: ${Math.min(...rows.map((r) => r.ratio)).toFixed(2)}`);
}

// bench/models_profile.ts imports the cases and `prepare`.
if (require.main === module)
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
