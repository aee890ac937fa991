/**
 * `runExperiment(id, options)`: dataset → features → model → fit → metrics, written to
 * `results/<experiment>/` (model/ with meta.json, metrics.json, history.json). The notebooks call
 * the same steps one by one: `prepareData`, `buildModel`, `trainModel`, `scoreModel`, `saveRun`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { backendInfo, describeBackend, tf, type TF } from '../backend';
import { ensureGenerated } from '../datasets/generate';
import { datasetRoot } from '../datasets/index';
import { loadGtzan } from '../datasets/gtzan';
import { loadFma, multiLabelTarget, type FmaDataset, type FmaTrack } from '../datasets/fma';
import type { Track } from '../datasets/types';
import { cachedBatches, readCached, type CachedBatch } from '../datasets/cache';
import { faultFilteredSplit, randomSplit, stratifiedGroupSplit, type Split } from '../datasets/splits';
import { resultsDir } from '../paths';
import { classificationReport, confusionMatrix, argmaxRows, type ClassificationReport } from '../metrics/classification';
import { multilabelAveragePrecision } from '../metrics/average_precision';
import { predictWithTta } from '../metrics/tta';
import { countParams } from '../models/summary';
import { arrayBatches, centreCropBatches, cropBatches, type ArrayDataset, type Batch, type BatchSource, type SequenceSet } from '../train/data';
import { predictBatches } from '../train/evaluate';
import { fit } from '../train/fit';
import { categoricalCrossentropy, type LossFn } from '../train/losses';
import type { EpochLog, History } from '../train/history';
import { mulberry32, withSeed } from '../train/random';
import { saveModel } from '../train/checkpoint';
import { writeNpy } from '../features/npy';
import { featureRows, secondsNeeded } from './features';
import { cacheExamples } from './examples';
import { resolveRun, type ExperimentRun, type RunChoices } from './resolve';
import { initLike } from '../models/init';
import { cpuKernelStatus } from '../layers/cpuKernel';
import type { ExperimentConfig, Profile, SplitKind } from './types';
import { logLine } from '../log';

type Part = 'train' | 'val' | 'test';

/** How a run reports: progress lines and a callback per epoch. */
export interface RunHooks {
  onEpoch?: (log: EpochLog) => void | Promise<void>;
  /** Progress lines (default lib/log.ts: stderr, stdout in a notebook); false silences them. */
  verbose?: boolean | ((line: string) => void);
}

/** A run's choices (flags) and hooks: what `runExperiment(id, options)` and `prepareData(id, options)` take. */
export type ExperimentOptions = RunChoices & RunHooks & {
  /** Default results/<experiment>. */
  outDir?: string;
};

/** The run itself, or an experiment id resolved with `options` as its flags (no environment). */
function asRun(run: ExperimentRun | string, options: RunChoices): ExperimentRun {
  return typeof run === 'string' ? resolveRun(run, { flags: options }) : run;
}

/** One example: its track, and where its numbers sit in the feature cache (entry, row). */
interface Example {
  track: number;
  entry: number;
  row: number;
  /** One example's shape in model layout. */
  shape: number[];
}

export interface PreparedData {
  /** The resolved run this data was prepared for (settings, seeds, feature spec). */
  run: ExperimentRun;
  config: ExperimentConfig;
  profile: Profile;
  split: SplitKind;
  seed: number;
  dataDir: string;
  classNames: string[];
  /** One example's shape, batch axis excluded (null for a variable number of frames). */
  inputShape: (number | null)[];
  train: BatchSource;
  validation: BatchSource;
  test: BatchSource;
  /** Test sequences for test-time augmentation (variable-length experiments). */
  testSequences?: SequenceSet;
  counts: { tracks: number; examples: Record<Part, number> };
  /** Tracks that could not be read, with the reason; skipped, never fatal. */
  skipped: { track: string; reason: string }[];
  /** Where the validation numbers come from: 'val' or, as the lecture does, 'test'. */
  validationFrom: 'val' | 'test';
  /** Test-side tracks none of whose examples the model trains on: files to try `predict` on. */
  unseenTracks: Track[];
  /** Validation examples also trained on (seed 000's leak, `trainOnVal`). */
  trainOnVal: boolean;
  /** The epoch cap in force (`maxEpochs`), if any. */
  maxEpochs?: number;
  /** Multi-label: each class's share of positive training examples (the label-prior baseline's scores). */
  trainPrior?: Float32Array;
}

/** The split file `splitOut` writes and `splitIn` reads: example ids per part. */
export interface SplitFile {
  experiment: string;
  split: SplitKind | 'file';
  seed: number;
  /** Class names in label order. */
  classes: string[];
  /** Every readable track: its audio file and genre (what a reference implementation reads). */
  tracks: Record<string, { path: string; genre: string }>;
  train: string[];
  val: string[];
  test: string[];
}

/** An example's id in split files: its track id and its row among the track's examples. */
export const exampleId = (trackId: string, row: number): string => `${trackId}#${row}`;

function say(v: RunHooks['verbose']): (line: string) => void {
  return v === false ? () => {} : typeof v === 'function' ? v : logLine;
}

async function loadTracks(cfg: ExperimentConfig, dataDir: string): Promise<{ tracks: Track[]; fma?: FmaDataset; classes: string[] }> {
  if (cfg.dataset === 'gtzan') {
    const ds = loadGtzan(dataDir);
    const classes = (cfg.classes ?? ds.classes).slice() as string[];
    const missing = classes.filter((c) => !ds.tracks.some((t) => t.genre === c));
    if (missing.length) throw new Error(`${dataDir}: no tracks for ${missing.join(', ')} (experiment ${cfg.id} needs them)`);
    return { tracks: ds.tracks.filter((t) => classes.includes(t.genre)), classes };
  }
  const ds = await loadFma(dataDir);
  return { tracks: ds.tracks, fma: ds, classes: [] };
}

/**
 * Loads, cuts and featurises the tracks and splits them: everything up to the batch sources. Takes
 * the resolved run (or an experiment id and its options, resolved here with resolveRun).
 */
export async function prepareData(runOrId: ExperimentRun | string, opts: ExperimentOptions = {}): Promise<PreparedData> {
  const run = asRun(runOrId, opts);
  const cfg = run.experiment;
  const { id } = cfg;
  const { settings, split, seed, seeds } = run;
  const log = say(opts.verbose);
  const dataDir = run.dataDir ? datasetRoot(cfg.dataset, run.dataDir) : path.resolve((await ensureGenerated({ sets: [cfg.dataset] }))[cfg.dataset]);

  let { tracks, fma, classes } = await loadTracks(cfg, dataDir);
  if (settings.maxTracksPerClass) {
    const kept = new Map<string, number>();
    tracks = tracks.filter((t) => {
      const k = kept.get(t.genre) ?? 0;
      kept.set(t.genre, k + 1);
      return k < settings.maxTracksPerClass!;
    });
  }
  // Multi-label targets: one column per genre occurring in the chosen tracks (seed 002's table).
  const multi = cfg.task === 'multi-label' ? multiLabelTarget(fma!, tracks as FmaTrack[]) : null;
  if (multi) classes = multi.classes;

  // Features of every track through the feature cache (data/cache/, .npy per track): computed
  // once per (dataset, feature settings), reused by every experiment sharing them.
  const cache = await cacheExamples(tracks, run.examples, { dataset: { name: cfg.dataset, root: dataDir }, dir: run.cacheDir, onProgress: opts.verbose === false ? false : undefined });
  const skipped: PreparedData['skipped'] = cache.problems.map((p) => ({ track: p.file, reason: p.message }));
  if (skipped.length) log(`[${id}] skipped ${skipped.length} unreadable track(s): ${skipped.map((s) => s.track).join(', ')}`);
  const trackIndex = new Map(tracks.map((t, i) => [t, i] as const));
  const examples: Example[] = [];
  cache.entries.forEach((entry, ei) => {
    const [n, ...shape] = entry.shape;
    for (let row = 0; row < n; row++) examples.push({ track: trackIndex.get(entry.track)!, entry: ei, row, shape });
  });
  if (!examples.length) throw new Error(`${dataDir}: no readable tracks for experiment ${id}`);
  const loaded = new Map<number, Float32Array>();
  const dataOf = (e: Example): Float32Array => {
    let a = loaded.get(e.entry);
    if (!a) loaded.set(e.entry, (a = readCached(cache.entries[e.entry]).data));
    const per = e.shape.reduce((x, y) => x * y, 1);
    return a.subarray(e.row * per, (e.row + 1) * per);
  };

  // Assign every example to train / val / test (lib/datasets/splits).
  const so = { testSize: cfg.fractions.test, valSize: cfg.fractions.val, seed: seeds.split };
  let s: Split;
  if (run.splitIn) s = readSplit(run.splitIn, examples.map((e) => exampleId(tracks[e.track].id, e.row)));
  else if (split === 'seed') s = randomSplit(examples.length, so);
  else if (split === 'track') s = stratifiedGroupSplit(examples.map((e) => tracks[e.track].genre), examples.map((e) => tracks[e.track].id), so);
  else {
    s = faultFilteredSplit(examples.map((e) => tracks[e.track].id));
    for (const p of ['train', 'val', 'test'] as const)
      if (!s[p].length) throw new Error(`${dataDir}: no track of the fault-filtered ${p} list is present; the fault-filtered split needs the real GTZAN (track ids like blues.00029)`);
  }
  const parts = new Array<Part | null>(examples.length).fill(null);
  for (const p of ['train', 'val', 'test'] as const) for (const i of s[p]) parts[i] = p;
  if (run.splitOut) {
    const ids = (p: Part) => s[p].map((i) => exampleId(tracks[examples[i].track].id, examples[i].row));
    const used = [...new Set(examples.map((e) => e.track))].map((t) => tracks[t]);
    const file: SplitFile = {
      experiment: id, split, seed, classes,
      tracks: Object.fromEntries(used.map((t) => [t.id, { path: t.path, genre: t.genre }])),
      train: ids('train'), val: ids('val'), test: ids('test'),
    };
    fs.mkdirSync(path.dirname(path.resolve(run.splitOut)), { recursive: true });
    fs.writeFileSync(run.splitOut, JSON.stringify(file) + '\n');
  }
  const validationFrom = cfg.fractions.val === 0 ? 'test' : 'val';
  const pick = (p: Part) => examples.filter((_, i) => parts[i] === p);
  const trainOnVal = run.trainOnVal;
  if (trainOnVal && validationFrom !== 'val') throw new Error(`${id}: --train-on-val needs a validation split (this experiment validates on its test split)`);
  const sets = { train: trainOnVal ? examples.filter((_, i) => parts[i] === 'train' || parts[i] === 'val') : pick('train'), val: pick(validationFrom === 'test' ? 'test' : 'val'), test: pick('test') };
  for (const [k, v] of Object.entries(sets)) if (!v.length) throw new Error(`${id}: the ${split} split left no ${k} examples (${examples.length} examples from ${tracks.length} tracks); use more tracks`);

  const numClasses = classes.length;
  const targetRow = (e: Example): Float32Array => {
    const row = new Float32Array(numClasses);
    if (multi) for (let c = 0; c < numClasses; c++) row[c] = multi.y[e.track * numClasses + c];
    else row[classes.indexOf(tracks[e.track].genre)] = 1;
    return row;
  };
  const random = mulberry32(seeds.batchOrder);
  const counts = { tracks: tracks.length - skipped.length, examples: { train: sets.train.length, val: pick('val').length, test: sets.test.length } };
  const trained = new Set(sets.train.map((e) => e.track));
  const unseenTracks = [...new Set(sets.test.map((e) => e.track))].filter((t) => !trained.has(t)).map((t) => tracks[t]);
  let trainPrior: Float32Array | undefined;
  if (multi) {
    trainPrior = new Float32Array(numClasses);
    for (const e of sets.train) targetRow(e).forEach((v, c) => (trainPrior![c] += v / sets.train.length));
  }
  const base = { run, config: cfg, profile: run.profile, split, seed, dataDir, classNames: classes, counts, skipped, validationFrom, unseenTracks, trainOnVal, maxEpochs: run.maxEpochs, trainPrior } as const;

  if (run.stream) {
    if (cfg.frames === null || multi) throw new Error(`${id}: streaming from the cache supports fixed-shape single-label experiments`);
    const entryPart = new Array<Part | null | undefined>(cache.entries.length);
    examples.forEach((e, i) => {
      const prev = entryPart[e.entry];
      if (prev !== undefined && prev !== parts[i]) throw new Error(`${id}: streaming needs every example of a track on one side; the ${split} split cuts ${tracks[e.track].id} (use --split track)`);
      entryPart[e.entry] = parts[i];
    });
    const stream = (p: Part, shuffle: boolean): BatchSource => {
      const idx = cache.entries.map((_, ei) => ei).filter((ei) => entryPart[ei] === p);
      const entries = idx.map((ei) => cache.entries[ei]);
      const labels = idx.map((ei) => classes.indexOf(cache.entries[ei].track.genre));
      return (epoch) => oneHotBatches(cachedBatches(entries, { batchSize: settings.batchSize, rows: true, shuffle, seed: seeds.stream, epoch, labels, dropLast: shuffle && settings.dropLast }), numClasses);
    };
    return { ...base, inputShape: examples[0].shape, train: stream('train', true), validation: stream(validationFrom, false), test: stream('test', false) };
  }

  if (cfg.frames === null) {
    const nFeatures = featureRows(run.examples.features);
    const seqs = (list: Example[]): SequenceSet => ({
      sequences: list.map(dataOf),
      nFeatures,
      targets: concatRows(list.map(targetRow), numClasses),
      outputs: numClasses,
    });
    const crop = settings.crop ?? { min: 128, max: 256 };
    const testSequences = seqs(sets.test);
    return {
      ...base,
      inputShape: [null, nFeatures],
      train: cropBatches(seqs(sets.train), { batchSize: settings.batchSize, minCrop: crop.min, maxCrop: crop.max, random, dropLast: settings.dropLast && sets.train.length > settings.batchSize, epochShare: settings.epochShare }),
      // with epochShare (seed 002's full profile) validation is its generator too: a reshuffled share of random crops
      validation: settings.epochShare
        ? cropBatches(seqs(sets.val), { batchSize: settings.batchSize, minCrop: crop.min, maxCrop: crop.max, random: mulberry32(seeds.validationCrops), epochShare: settings.epochShare })
        : centreCropBatches(seqs(sets.val), crop.max, settings.batchSize),
      test: centreCropBatches(testSequences, crop.max, settings.batchSize),
      testSequences,
    };
  }
  const shape = examples[0].shape;
  const arrays = (list: Example[]): ArrayDataset => ({
    x: concatRows(list.map(dataOf), shape.reduce((a, b) => a * b, 1)),
    shape,
    targets: concatRows(list.map(targetRow), numClasses),
    numClasses,
  });
  return {
    ...base,
    inputShape: shape,
    train: arrayBatches(arrays(sets.train), { batchSize: settings.batchSize, random, dropLast: settings.dropLast && sets.train.length > settings.batchSize }),
    validation: arrayBatches(arrays(sets.val), { batchSize: settings.batchSize }),
    test: arrayBatches(arrays(sets.test), { batchSize: settings.batchSize }),
  };
}

/** A split read from a `SplitFile`: every example (by id) must be in exactly one part. */
function readSplit(file: string, ids: string[]): Split {
  let f: SplitFile;
  try {
    f = JSON.parse(fs.readFileSync(file, 'utf8')) as SplitFile;
  } catch (e) {
    throw new Error(`${file}: not a readable split file (${(e as Error).message})`);
  }
  const at = new Map(ids.map((x, i) => [x, i] as const));
  const out: Split = { train: [], val: [], test: [] };
  const seen = new Set<number>();
  for (const p of ['train', 'val', 'test'] as const) {
    if (!Array.isArray(f[p])) throw new Error(`${file}: no '${p}' list`);
    for (const x of f[p]) {
      const i = at.get(x);
      if (i === undefined) throw new Error(`${file}: example ${x} (${p}) is not in the data`);
      if (seen.has(i)) throw new Error(`${file}: example ${x} listed twice`);
      seen.add(i);
      out[p].push(i);
    }
  }
  const missing = ids.filter((_, i) => !seen.has(i));
  if (missing.length) throw new Error(`${file}: ${missing.length} example(s) of the data are in no part (first: ${missing[0]})`);
  return out;
}

/** Cached batches (class index per example) → {x, y one-hot} tensors for `fit`. */
async function* oneHotBatches(batches: AsyncGenerator<CachedBatch>, numClasses: number): AsyncGenerator<Batch> {
  for await (const b of batches) {
    const y = new Float32Array(b.size * numClasses);
    for (let i = 0; i < b.size; i++) y[i * numClasses + b.labels![i]] = 1;
    yield { x: tf.tensor(b.x, [b.size, ...b.shape]), y: tf.tensor2d(y, [b.size, numClasses]) };
  }
}

function concatRows(rows: Float32Array[], width: number): Float32Array {
  const out = new Float32Array(rows.length * width);
  rows.forEach((r, i) => out.set(r, i * width));
  return out;
}

/** The experiment's network for the prepared data, initialised from the run's seed. */
export function buildModel(data: PreparedData): TF.LayersModel {
  const { experiment, settings, seeds } = data.run;
  return withSeed(seeds.init, () => initLike(experiment.build(data.inputShape, data.classNames.length, settings.model ?? {}), experiment.framework));
}

/** The experiment's loss when it is not its output kind's default (`ExperimentConfig.loss`). */
export function experimentLoss(cfg: ExperimentConfig): LossFn | undefined {
  return cfg.loss === 'cross-entropy-from-logits' ? categoricalCrossentropy(true) : undefined;
}

/** Fits with the profile's settings; validation each epoch, progress lines, seeded dropout. */
export function trainModel(model: TF.LayersModel, data: PreparedData, opts: RunHooks = {}): Promise<History> {
  const { settings: s, epochs, seeds } = data.run;
  return fit(model, {
    epochs,
    train: data.train,
    validation: data.validation,
    output: data.config.output,
    loss: experimentLoss(data.config),
    optimizer: s.optimizer,
    scheduler: s.scheduler,
    earlyStopping: s.earlyStopping,
    clipNorm: s.clipNorm,
    l2: s.l2,
    seed: seeds.training,
    onEpoch: opts.onEpoch,
    verbose: opts.verbose,
  });
}

export interface Scores {
  /** Test predictions: row-major [examples, classes] probabilities and targets (saved as .npy). */
  predictions?: { scores: Float32Array; targets: Float32Array; n: number };
  /** Single-label. */
  accuracy?: number;
  report?: ClassificationReport;
  /** [true class][predicted class]. */
  confusion?: number[][];
  /** Multi-label AUC-PR on one centre crop per test track. */
  ap?: { micro: number; macro: number; weighted: number; perClass: Record<string, number> };
  /** The same with test-time augmentation (random crops averaged). */
  apTta?: { crops: number; micro: number; macro: number; weighted: number };
  /** The label-prior baseline: every test track scored with the classes' training frequencies (no audio). */
  apPrior?: { micro: number; macro: number; weighted: number };
  testLoss: number;
}

/** Test-set metrics: report + confusion (single-label) or micro/macro/weighted AP with and without TTA. */
export async function scoreModel(model: TF.LayersModel, data: PreparedData): Promise<Scores> {
  const pred = await predictBatches(model, data.test, data.config.output, experimentLoss(data.config));
  const C = data.classNames.length;
  if (data.config.task === 'single-label') {
    const yTrue = argmaxRows(pred.targets, C);
    const yPred = argmaxRows(pred.scores, C);
    const report = classificationReport(yTrue, yPred, data.classNames);
    return { accuracy: report.accuracy, report, confusion: confusionMatrix(yTrue, yPred, C), testLoss: pred.loss, predictions: pred };
  }
  const ap = multilabelAveragePrecision(pred.targets, pred.scores, C);
  const scores: Scores = {
    ap: { micro: ap.micro, macro: ap.macro, weighted: ap.weighted, perClass: Object.fromEntries(data.classNames.map((c, i) => [c, ap.perClass[i]])) },
    testLoss: pred.loss,
    predictions: pred,
  };
  if (data.trainPrior) {
    const prior = new Float32Array(pred.n * C);
    for (let i = 0; i < pred.n; i++) prior.set(data.trainPrior, i * C);
    const b = multilabelAveragePrecision(pred.targets, prior, C);
    scores.apPrior = { micro: b.micro, macro: b.macro, weighted: b.weighted };
  }
  const s = data.run.settings;
  if (s.ttaCrops && data.testSequences) {
    const seqs = data.testSequences;
    const random = mulberry32(data.run.seeds.tta);
    const tta = concatRows(
      seqs.sequences.map((q) => predictWithTta(model, q, seqs.nFeatures, { crops: s.ttaCrops, cropLength: s.crop?.max ?? 256, random })),
      C,
    );
    const t = multilabelAveragePrecision(seqs.targets, tta, C);
    scores.apTta = { crops: s.ttaCrops, micro: t.micro, macro: t.macro, weighted: t.weighted };
  }
  return scores;
}

export interface ExperimentResult {
  outDir: string;
  metrics: Record<string, unknown>;
  history: History;
  model: TF.LayersModel;
}

/**
 * Writes model/ (+ meta.json), metrics.json, history.json, and the test predictions as
 * test_scores.npy / test_targets.npy ([examples, classes], np.load-able) for PR curves and plots.
 */
export async function saveRun(outDir: string, model: TF.LayersModel, data: PreparedData, history: History, scores: Scores, wallSeconds: number): Promise<Record<string, unknown>> {
  const cfg = data.config;
  const { settings: s, examples: ex } = data.run;
  fs.mkdirSync(outDir, { recursive: true });
  const training = {
    profile: data.profile, split: data.split, seed: data.seed, epochsRun: history.epochs.length, bestEpoch: history.bestEpoch ?? null,
    stoppedEarly: history.stoppedEarly, optimizer: s.optimizer, batchSize: s.batchSize, scheduler: s.scheduler ?? null,
    clipNorm: s.clipNorm ?? null, backend: describeBackend(), wallSeconds, framework: cfg.framework,
    trainOnVal: data.trainOnVal, maxEpochs: data.maxEpochs ?? null,
  };
  const kernel = cpuKernelStatus();
  await saveModel(model, path.join(outDir, 'model'), {
    experiment: cfg.id, model: model.name, output: cfg.output, inputShape: data.inputShape, classNames: data.classNames,
    features: {
      ...ex.features, cut: ex.cut, layout: ex.layout, frames: ex.frames, crop: s.crop ?? null,
      // The training clip length, where the cut fixes it (predict assumes 30 s, GTZAN's/FMA's, otherwise).
      ...(secondsNeeded(ex.cut) !== undefined ? { clipSeconds: secondsNeeded(ex.cut) } : {}),
    },
    training,
  });
  const { predictions, ...scored } = scores;
  if (predictions) {
    const C = data.classNames.length;
    writeNpy(path.join(outDir, 'test_scores.npy'), predictions.scores, [predictions.n, C]);
    writeNpy(path.join(outDir, 'test_targets.npy'), predictions.targets, [predictions.n, C]);
  }
  const metrics = {
    experiment: cfg.id,
    title: cfg.title,
    source: cfg.source,
    profile: data.profile,
    split: data.split,
    seed: data.seed,
    backend: { ...backendInfo, line: describeBackend(), recurrentKernel: kernel.active ? 'native/rnn.cc (CPU kernel)' : `TF ops (${kernel.reason})`, threads: kernel.active ? kernel.threads : null },
    framework: cfg.framework,
    trainOnVal: data.trainOnVal,
    maxEpochs: data.maxEpochs ?? null,
    dataDir: data.dataDir,
    classes: data.classNames,
    counts: data.counts,
    validationFrom: data.validationFrom,
    skipped: data.skipped,
    params: countParams(model),
    ...scored,
    history: { epochsRun: history.epochs.length, bestEpoch: history.bestEpoch ?? null, stoppedEarly: history.stoppedEarly, restoredBest: history.restoredBest, step: history.step ?? null },
    wallSeconds,
    notes: cfg.notes,
    date: new Date().toISOString(),
  };
  fs.writeFileSync(path.join(outDir, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
  fs.writeFileSync(path.join(outDir, 'history.json'), JSON.stringify(history, null, 2) + '\n');
  return metrics;
}

/** The whole run, as `genre-lab train` does it: the resolved run (or an id and its options). */
export async function runExperiment(runOrId: ExperimentRun | string, opts: ExperimentOptions = {}): Promise<ExperimentResult> {
  const t0 = Date.now();
  const log = say(opts.verbose);
  const run = asRun(runOrId, opts);
  const id = run.experiment.id;
  const data = await prepareData(run, opts);
  log(`[${id}] ${data.profile} profile, ${data.split} split, seed ${data.seed}: ${data.counts.examples.train} train / ${data.counts.examples.val} val / ${data.counts.examples.test} test examples of shape [${data.inputShape.map((d) => d ?? 'T')}] from ${data.counts.tracks} tracks, ${data.classNames.length} classes`);
  const model = buildModel(data);
  const history = await trainModel(model, data, opts);
  const scores = await scoreModel(model, data);
  const wallSeconds = (Date.now() - t0) / 1000;
  const outDir = path.resolve(opts.outDir ?? resultsDir(id));
  const metrics = await saveRun(outDir, model, data, history, scores, wallSeconds);
  const headline = scores.accuracy !== undefined
    ? `test accuracy ${scores.accuracy.toFixed(3)}`
    : `test AUC-PR micro ${scores.ap!.micro.toFixed(3)}, weighted (seed 002's "micro") ${scores.ap!.weighted.toFixed(3)}${scores.apTta ? `; with ${scores.apTta.crops}-crop TTA ${scores.apTta.micro.toFixed(3)} / ${scores.apTta.weighted.toFixed(3)}` : ''}`;
  log(`[${id}] ${headline} (${wallSeconds.toFixed(1)} s); wrote ${outDir}`);
  return { outDir, metrics, history, model };
}
