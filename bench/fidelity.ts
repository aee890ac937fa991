/**
 * Fidelity: each experiment's full profile (the library entry `genre-lab train` uses) beside its
 * source's own code (reference/*.py: Keras for seed 003, PyTorch for seeds 000, 001, 004) on the
 * same tracks and the same split (ours writes the split's example ids, the reference reads them),
 * N seeds each, seed and track splits.
 *
 *   npm run bench:fidelity -- --data DIR [--experiments a,b] [--seeds N] [--splits seed,track]
 *                             [--max-epochs N] [--threads N] [--resume] [--name NAME] [--merge FILE,…] [--report-only]
 *
 * Writes results/fidelity/<data folder name>.json (every run) and .md (the table): per experiment
 * and split the reference's and our test accuracy as mean ± sd (n), the difference, wall seconds per
 * run on each side, and the verdict: within spread when |Δ| ≤ max(2 × the larger sd, 0.03). Runs
 * alternate sides (ours first for even seeds, the reference first for odd ones) so machine drift
 * hits both. The JSON is rewritten after every run; --resume keeps runs already there (split
 * files stay in data/cache/fidelity/<data>/ for that). --name writes NAME.json/.md instead (two benches
 * on disjoint experiments at once); --merge adds the runs of such files; --report-only trains nothing.
 * Last line: `fidelity: K of N within spread`.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { experimentIds, getExperiment } from '../lib/experiments/registry';
import { prepareData, runExperiment } from '../lib/experiments/run';
import { replicateSeed, resolveRun, type RunChoices } from '../lib/experiments/resolve';
import { cpuKernelStatus } from '../lib/layers/cpuKernel';
import { DATA_DIR, RESULTS_DIR, ROOT } from '../lib/paths';
import { ensurePythonPackages, runPythonJson } from './pyref';
import { fmaRootFromSample, isFmaSample } from '../lib/datasets/fmaSample';
import { countParams } from '../lib/models/summary';

type SplitKind = 'seed' | 'track';

interface Run {
  experiment: string;
  split: SplitKind;
  seed: number;
  side: 'ours' | 'reference';
  /** Test accuracy (single-label) … */
  accuracy?: number;
  /** … or, multi-label (seed 002), the seed's "micro-average" AUC-PR (support-weighted AP) with its 16-crop TTA. */
  ap?: number;
  seconds: number;
  epochsRun: number;
  epochs: number;
  lr: number;
  trainAccuracy?: number;
  counts?: Record<string, number>;
  detail?: Record<string, unknown>;
}

interface Row {
  experiment: string;
  split: SplitKind;
  /** The epochs both sides were given (the full profile's, or fewer under --max-epochs), e.g. "10" or "25, 30". */
  epochs: string;
  reference: Stats | null;
  ours: Stats | null;
  delta: number | null;
  tolerance: number | null;
  verdict: 'within spread' | 'outside spread' | 'incomplete' | 'reported, not judged';
}

interface Stats {
  mean: number;
  sd: number;
  n: number;
  secondsPerRun: number;
}

/** Which reference implements an experiment. */
const REFERENCE: Record<string, { script: string; modules: string[]; pip: string[] }> = {
  keras: { script: 'reference/lecture_keras.py', modules: ['tensorflow', 'librosa', 'numpy'], pip: ['tensorflow-cpu', 'librosa'] },
  torch: { script: 'reference/seeds_torch.py', modules: ['torch', 'librosa', 'numpy'], pip: ['torch', 'librosa'] },
  seed002: { script: 'reference/seed002_keras.py', modules: ['tensorflow', 'librosa', 'numpy', 'sklearn'], pip: ['tensorflow-cpu', 'librosa', 'scikit-learn'] },
};
/** The reference of an experiment: its framework's script unless named here. */
const referenceOf = (id: string) => REFERENCE[id.startsWith('seed002') ? 'seed002' : getExperiment(id).framework];
/** Experiments with a reference here (seed 002's Keras code on FMA is not written yet). */
const WITH_REFERENCE = new Set(['lecture-mlp', 'lecture-mlp-regularised', 'lecture-cnn', 'lecture-lstm', 'seed000-lstm', 'seed001-lstm', 'seed001-cnn', 'seed004-cnn', 'seed004-cnn-faithful', 'seed004-cnn-code', 'seed002-gru', 'seed002-transformer']);
/** Experiments the reference runs under another name or with a variant. */
const REFERENCE_ARGS: Record<string, string[]> = {
  'seed004-cnn-faithful': ['--experiment', 'seed004-cnn', '--variant', 'double-softmax'],
};

function args(argv: string[]) {
  const o: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    if (a === '--resume' || a === '--report-only') o[a.slice(2)] = 'true';
    else o[a.slice(2)] = argv[++i];
  }
  if (!o.data) throw new Error('usage: npm run bench:fidelity -- --data DIR [--experiments a,b] [--seeds N] [--splits seed,track] [--max-epochs N] [--threads N] [--resume]');
  return o;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));
const log = (s: string) => process.stderr.write(`[fidelity] ${s}\n`);

function stats(runs: Run[]): Stats | null {
  if (!runs.length) return null;
  const acc = runs.map((r) => r.ap ?? r.accuracy ?? NaN);
  return { mean: mean(acc), sd: sd(acc), n: acc.length, secondsPerRun: mean(runs.map((r) => r.seconds)) };
}

/** The verdict of one experiment × split. */
export function verdict(ref: Stats | null, ours: Stats | null): Pick<Row, 'delta' | 'tolerance' | 'verdict'> {
  if (!ref || !ours) return { delta: null, tolerance: null, verdict: 'incomplete' };
  const delta = ours.mean - ref.mean;
  const tolerance = Math.max(2 * Math.max(ref.sd, ours.sd), 0.03);
  return { delta, tolerance, verdict: Math.abs(delta) <= tolerance ? 'within spread' : 'outside spread' };
}

const fmt = (s: Stats | null) => (s ? `${s.mean.toFixed(3)} ± ${s.sd.toFixed(3)} (${s.n})` : '—');

function markdown(rows: Row[], meta: Record<string, unknown>): string {
  const lines = [
    `# Fidelity on ${meta.data}`,
    '',
    `Test accuracy, mean ± sd (n seeds), each side on the same tracks and split. Machine: ${meta.machine}. ${meta.date}.`,
    `Our side: the full profile through runExperiment (genre-lab train); reference: reference/*.py (${meta.referenceFrameworks}). Epochs: what both sides were given, the full profile's or fewer where --max-epochs capped them (early stopping may end a run sooner).`,
    'Verdict: within spread when |Δ| ≤ max(2 × the larger sd, 0.03).',
    ...(rows.some((r) => r.verdict === 'reported, not judged')
      ? ["Seed 002 (FMA) rows: the seed's \"micro-average\" AUC-PR (support-weighted average precision) with its 16-crop test-time augmentation, not accuracy. On a few dozen tracks it is noise: reported, not judged (not counted in K of N)."]
      : []),
    '',
    '| experiment | split | epochs | reference | genre-lab | Δ | s/run ref | s/run ours | verdict |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.experiment} | ${r.split} | ${r.epochs} | ${fmt(r.reference)} | ${fmt(r.ours)} | ${r.delta === null ? '—' : (r.delta >= 0 ? '+' : '') + r.delta.toFixed(3)} | ${r.reference ? r.reference.secondsPerRun.toFixed(0) : '—'} | ${r.ours ? r.ours.secondsPerRun.toFixed(0) : '—'} | ${r.verdict} |`),
    '',
  ];
  const judged = rows.filter((r) => r.verdict === 'within spread' || r.verdict === 'outside spread');
  lines.push(`fidelity: ${judged.filter((r) => r.verdict === 'within spread').length} of ${judged.length} within spread`);
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  const o = args(process.argv.slice(2));
  const dataDir = path.resolve(o.data);
  if (!fs.existsSync(dataDir)) throw new Error(`${dataDir}: no such dataset folder`);
  const name = o.name ?? path.basename(dataDir);
  const seeds = Number(o.seeds ?? 3);
  const splits = (o.splits ?? 'seed,track').split(',') as SplitKind[];
  const maxEpochs = o['max-epochs'] ? Number(o['max-epochs']) : undefined;
  const threads = Number(o.threads ?? Math.min(2, os.cpus().length));
  const isFma = fs.existsSync(path.join(dataDir, 'fma_metadata')) || /fma/i.test(name);
  const wanted = o['report-only'] ? [] : o.experiments ? o.experiments.split(',') : experimentIds().filter((id) => getExperiment(id).dataset === (isFma ? 'fma' : 'gtzan'));
  for (const id of wanted) getExperiment(id);
  const outDir = path.join(RESULTS_DIR, 'fidelity');
  fs.mkdirSync(outDir, { recursive: true });
  const jsonFile = path.join(outDir, `${name}.json`);
  const work = path.join(DATA_DIR, 'cache', 'fidelity', path.basename(dataDir));
  const cache = path.join(DATA_DIR, 'cache', 'reference');
  const previous = fs.existsSync(jsonFile) ? (JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as { runs: Run[]; checks?: Record<string, unknown> }) : { runs: [] as Run[] };
  // runs of experiments / splits not asked for now stay; asked-for ones are redone unless --resume
  let runs: Run[] = previous.runs.filter((r) => o.resume === 'true' || !wanted.includes(r.experiment) || !splits.includes(r.split));
  const checks: Record<string, unknown> = previous.checks ?? {};
  for (const f of o.merge ? o.merge.split(',') : []) {
    const other = JSON.parse(fs.readFileSync(f, 'utf8')) as { runs: Run[]; checks?: Record<string, unknown> };
    const key = (r: Run) => `${r.experiment}|${r.split}|${r.seed}|${r.side}`;
    const mine = new Set(runs.map(key));
    runs.push(...other.runs.filter((r) => !mine.has(key(r))));
    Object.assign(checks, other.checks ?? {});
  }
  const kernel = cpuKernelStatus();
  const meta = {
    data: name,
    machine: `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    date: new Date().toISOString().slice(0, 10),
    maxEpochs: maxEpochs ?? null,
    threads,
    oursKernel: kernel.active ? `native/rnn.cc, ${kernel.threads} threads` : `TF ops (${kernel.reason})`,
    referenceFrameworks: 'Keras / PyTorch CPU',
  };

  const save = () => {
    const rows: Row[] = [];
    for (const id of [...new Set(runs.map((r) => r.experiment))])
      for (const split of ['seed', 'track'] as SplitKind[]) {
        const mine = runs.filter((r) => r.experiment === id && r.split === split);
        if (!mine.length) continue;
        const ref = stats(mine.filter((r) => r.side === 'reference'));
        const ours = stats(mine.filter((r) => r.side === 'ours'));
        const v = verdict(ref, ours);
        const epochs = [...new Set(mine.map((r) => r.epochs))].sort((a, b) => a - b).join(', ');
        rows.push({ experiment: id, split, epochs, reference: ref, ours, ...v, ...(id.startsWith('seed002') && v.verdict !== 'incomplete' ? { verdict: 'reported, not judged' as const } : {}) });
      }
    fs.writeFileSync(jsonFile, JSON.stringify({ meta, checks, rows, runs }, null, 2) + '\n');
    const md = markdown(rows, meta);
    fs.writeFileSync(path.join(outDir, `${name}.md`), md);
    return md;
  };

  const references = new Set(wanted.filter((id) => WITH_REFERENCE.has(id)).map(referenceOf));
  for (const r of references) ensurePythonPackages(r.modules, r.pip);
  if (references.has(REFERENCE.torch)) {
    checks.torchaudioOps = runPythonJson(path.join(ROOT, 'reference/torchaudio_ops.py'), ['--check']);
    log(`torchaudio ops against the goldens: ${JSON.stringify(checks.torchaudioOps)}`);
  }
  fs.mkdirSync(work, { recursive: true });
  // ../shared/data/fma-sample has a flat tracks_sample.csv: both sides read an FMA root built from it
  const data = isFmaSample(dataDir) ? fmaRootFromSample(dataDir, path.join(work, 'fma-root')) : dataDir;

  for (const id of wanted) {
    const cfg = getExperiment(id);
    if (!WITH_REFERENCE.has(id)) {
      log(`${id}: no reference implementation yet; skipped`);
      continue;
    }
    // one resolution for both sides (lib/experiments/resolve): the full profile, its epochs capped by --max-epochs
    const runOf = (choices: RunChoices) => resolveRun(id, { flags: { profile: 'full', dataDir: data, maxEpochs, ...choices }, env: process.env });
    const { settings: profile, epochs } = runOf({});
    for (const split of splits)
      for (let k = 0; k < seeds; k++) {
        const seed = replicateSeed(cfg.seed, k);
        const have = (side: Run['side']) => runs.some((r) => r.experiment === id && r.split === split && r.seed === seed && r.side === side);
        const splitFile = path.join(work, `${id}.${split}.${seed}.json`);
        const ours = async () => {
          if (have('ours')) return;
          log(`${id} ${split} seed ${seed}: genre-lab…`);
          const io = fs.existsSync(splitFile) ? { splitIn: splitFile } : { splitOut: splitFile };
          const r = await runExperiment(runOf({ split, seed, ...io }), { outDir: path.join(work, `${id}.${split}.${seed}`), verbose: false });
          const m = r.metrics as { accuracy?: number; ap?: { weighted: number; micro: number }; apTta?: { weighted: number; micro: number }; wallSeconds: number; counts: { examples: Record<string, number> } };
          const ap = m.apTta ? { ap: m.apTta.weighted, apWeighted: m.ap?.weighted, apMicro: m.ap?.micro, apMicroTta: m.apTta.micro, params: countParams(r.model).trainable, outputs: (r.model.outputs[0].shape as number[])[1] } : {};
          r.model.dispose();
          runs = runs.filter((x) => !(x.experiment === id && x.split === split && x.seed === seed && x.side === 'ours'));
          runs.push({ experiment: id, split, seed, side: 'ours', accuracy: m.accuracy, ap: ap.ap, seconds: m.wallSeconds, epochsRun: r.history.epochs.length, epochs, lr: profile.optimizer.learningRate, trainAccuracy: r.history.epochs.at(-1)?.accuracy, counts: m.counts.examples, detail: { bestEpoch: r.history.bestEpoch ?? null, stoppedEarly: r.history.stoppedEarly, ...ap } });
          log(`${id} ${split} seed ${seed}: genre-lab ${(ap.ap ?? m.accuracy ?? NaN).toFixed(3)} (${m.wallSeconds.toFixed(0)} s)`);
        };
        const reference = () => {
          if (have('reference')) return;
          log(`${id} ${split} seed ${seed}: reference…`);
          const ref = referenceOf(id);
          const r = runPythonJson<{ accuracy?: number; ap?: number; seconds: number; epochsRun: number; trainAccuracy?: number; counts?: Record<string, number> } & Record<string, unknown>>(
            path.join(ROOT, ref.script),
            ['--experiment', id, ...(REFERENCE_ARGS[id] ?? []), '--split-in', splitFile, '--seed', String(seed), '--epochs', String(epochs), '--lr', String(profile.optimizer.learningRate), '--cache', cache, '--threads', String(threads)],
          );
          const { accuracy, ap, seconds, epochsRun, trainAccuracy, counts, side: _s, experiment: _e, epochs: _n, lr: _lr, ...detail } = r;
          runs.push({ experiment: id, split, seed, side: 'reference', accuracy, ap, seconds, epochsRun, epochs, lr: profile.optimizer.learningRate, trainAccuracy, counts, detail });
          log(`${id} ${split} seed ${seed}: reference ${(ap ?? accuracy ?? NaN).toFixed(3)} (${seconds.toFixed(0)} s)`);
        };
        // the reference reads the split ours writes; which side trains first alternates by seed
        if (k % 2 === 0) {
          await ours();
          reference();
        } else {
          if (!fs.existsSync(splitFile)) await prepareData(runOf({ split, seed, splitOut: splitFile }), { verbose: false });
          reference();
          await ours();
        }
        save();
      }
  }
  process.stdout.write(save());
}

if (require.main === module)
  main().catch((e) => {
    console.error(`bench:fidelity: ${(e as Error).message}`);
    process.exit(1);
  });
