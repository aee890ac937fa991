/**
 * What prediction needs from a saved model's `meta.json` (lib/train/checkpoint.ts `ModelMeta`),
 * read by a versioned reader that refuses what it does not understand: computing features while
 * ignoring a setting would feed the model numbers it was never trained on and print confident
 * nonsense, so an unknown version, feature kind, cut, layout, output kind or extra setting is an
 * error that names it.
 *
 * Format version 1 is what `saveRun` (lib/experiments/run.ts) writes today: `meta.features` holds
 * the experiment's `FeatureSpec` spread out (`kind`, `sampleRate`, `nMels`, `nMfcc`) beside `cut`,
 * `layout`, `frames` and `crop`. meta.json carries no version field yet; absent reads as 1.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { ModelMeta } from '../train/checkpoint';
import type { OutputKind } from '../models/summary';
import { featureRows, type CutSpec, type FeatureSpec, type Layout } from '../experiments/features';

/** The meta.json format versions this reader understands. */
export const SUPPORTED_META_VERSIONS = [1] as const;

/**
 * Length of the clips the model was trained on, when meta.json does not say (`features.clipSeconds`).
 * GTZAN and FMA clips are 30 s (GTZAN README; FMA `fma_small`), and so are the generated sets
 * (lib/datasets/generate.ts `durationS` default). Needed only by the cuts whose window depends on
 * the clip: `segments` (clip / n) and whole-track `head` (the clip itself).
 */
export const DEFAULT_CLIP_SECONDS = 30;

/** A model whose settings prediction does not understand (or that cannot predict genres). */
export class ModelSettingsError extends Error {
  readonly dir: string;
  constructor(dir: string, detail: string) {
    super(`model ${dir}: ${detail}`);
    this.name = 'ModelSettingsError';
    this.dir = dir;
  }
}

export interface PredictSpec {
  /** meta.json format version (1). */
  version: number;
  experiment: string;
  /** How to turn outputs into probabilities: softmax over logits, or as they are. */
  output: Exclude<OutputKind, 'regression'>;
  /** Sigmoid outputs: independent per-genre probabilities (seed 002's FMA tags). */
  multiLabel: boolean;
  classNames: string[];
  /** One example's shape, batch axis excluded: e.g. [130, 13], [20, 111, 1], [null, 128]. */
  inputShape: (number | null)[];
  features: FeatureSpec;
  cut: CutSpec;
  layout: Layout;
  /** Frames per example, or null for variable-length models (cropped at train time). */
  frames: number | null;
  /** Variable-length models: the training crop lengths in frames (seed 002's randint(min, max)). */
  crop: { min: number; max: number } | null;
  /** Clip length the model was trained on (see DEFAULT_CLIP_SECONDS). */
  clipSeconds: number;
  /** Settings taken as defaults because meta.json lacks them; shown with each prediction. */
  assumed: string[];
}

/** Keys each feature kind carries besides `kind`, all positive integers. `satisfies` makes tsc fail when lib/features/spec adds a kind this table lacks. */
const FEATURE_KEYS = {
  mfcc: ['nMfcc', 'sampleRate'],
  'torch-mel-mfcc': ['nMels', 'nMfcc', 'sampleRate'],
  features33: ['sampleRate'],
  'mel-db-scaled': ['nMels', 'sampleRate'],
  'log-mel': ['nMels', 'sampleRate'],
  'torch-mfcc-logmel': ['nMfcc', 'sampleRate'],
  // the single descriptors of lib/features/spec, at their own defaults (no model here trains on them yet)
  mel: ['nMels', 'sampleRate'],
  chroma: ['sampleRate'],
  contrast: ['sampleRate'],
  centroid: ['sampleRate'],
  rolloff: ['sampleRate'],
  zcr: ['sampleRate'],
  rms: ['sampleRate'],
  stft: ['sampleRate'],
} as const satisfies Record<FeatureSpec['kind'], readonly string[]>;

/** meta.features keys that are not feature parameters: how examples were cut and laid out. */
const EXAMPLE_KEYS = ['cut', 'layout', 'frames', 'crop', 'clipSeconds'] as const;

const CUT_KEYS = {
  segments: ['n'],
  chunks: ['ms', 'max', 'samples'],
  head: ['seconds'],
} as const satisfies Record<CutSpec['kind'], readonly string[]>;

const LAYOUTS: readonly Layout[] = ['time-major', 'image', 'image-time-major'];
const OUTPUTS: readonly PredictSpec['output'][] = ['softmax', 'logits', 'sigmoid'];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPosInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;
const isPos = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;
const show = (v: unknown) => JSON.stringify(v);

function onlyKeys(o: Obj, allowed: readonly string[], where: string, fail: (m: string) => never): void {
  const extra = Object.keys(o).filter((k) => !allowed.includes(k));
  if (extra.length)
    fail(`${where} has setting${extra.length > 1 ? 's' : ''} ${extra.map((k) => `'${k}'`).join(', ')} that this version of genre-lab predict does not understand (it knows ${allowed.map((k) => `'${k}'`).join(', ')}); predicting without applying it would compute different features than training did`);
}

function parseFeatures(f: Obj, fail: (m: string) => never): FeatureSpec {
  const kind = f.kind;
  if (typeof kind !== 'string' || !(kind in FEATURE_KEYS))
    fail(`unknown feature kind ${show(kind)} in meta.json features.kind (known: ${Object.keys(FEATURE_KEYS).join(', ')})`);
  const keys = FEATURE_KEYS[kind as FeatureSpec['kind']];
  onlyKeys(f, ['kind', ...keys, ...EXAMPLE_KEYS], 'meta.json features', fail);
  const spec: Obj = { kind };
  for (const k of keys) {
    if (!isPosInt(f[k])) fail(`features.${k} must be a positive integer for feature kind '${kind}', got ${show(f[k])}`);
    spec[k] = f[k];
  }
  return spec as FeatureSpec;
}

function parseCut(c: unknown, fail: (m: string) => never): CutSpec {
  if (!isObj(c)) fail(`features.cut is missing or not an object (${show(c)}); it says how tracks were cut into examples`);
  const kind = c.kind;
  if (typeof kind !== 'string' || !(kind in CUT_KEYS)) fail(`unknown cut kind ${show(kind)} in features.cut (known: ${Object.keys(CUT_KEYS).join(', ')})`);
  const keys = CUT_KEYS[kind as CutSpec['kind']];
  onlyKeys(c, ['kind', ...keys], 'meta.json features.cut', fail);
  if (kind === 'head') {
    if (!(c.seconds === null || isPos(c.seconds))) fail(`features.cut.seconds must be a positive number or null, got ${show(c.seconds)}`);
  } else for (const k of keys) if (!isPosInt(c[k])) fail(`features.cut.${k} must be a positive integer, got ${show(c[k])}`);
  return { ...c } as CutSpec;
}

/** The shape `layoutExample` (lib/experiments/features.ts) gives one example. */
export function expectedInputShape(features: FeatureSpec, layout: Layout, frames: number | null): (number | null)[] {
  const F = featureRows(features);
  if (frames === null) return [null, F];
  return layout === 'time-major' ? [frames, F] : layout === 'image' ? [F, frames, 1] : [frames, F, 1];
}

/**
 * Checks a parsed meta.json and returns what prediction needs. `dir` names the model in messages.
 * Throws ModelSettingsError on anything it does not understand.
 */
export function parsePredictSpec(meta: unknown, dir: string): PredictSpec {
  const fail = (m: string): never => {
    throw new ModelSettingsError(dir, m);
  };
  if (!isObj(meta)) fail('meta.json is not a JSON object');
  const m = meta as Obj;
  const version = m.version ?? 1;
  if (!(SUPPORTED_META_VERSIONS as readonly unknown[]).includes(version))
    fail(`meta.json format version ${show(version)} is not understood by this genre-lab (it reads version ${SUPPORTED_META_VERSIONS.join(', ')}); update genre-lab or re-save the model`);
  const output = m.output;
  if (output === 'regression') fail("output 'regression': this model predicts a number, not genre probabilities");
  if (typeof output !== 'string' || !OUTPUTS.includes(output as PredictSpec['output'])) fail(`unknown output kind ${show(output)} (known: ${OUTPUTS.join(', ')})`);
  const classNames = m.classNames;
  if (!Array.isArray(classNames) || !classNames.length || !classNames.every((c) => typeof c === 'string'))
    fail(`classNames must be a non-empty list of genre names, got ${show(classNames)}`);
  const inputShape = m.inputShape;
  if (!Array.isArray(inputShape) || !inputShape.every((d) => d === null || isPosInt(d))) fail(`inputShape must be a list of positive integers or null, got ${show(inputShape)}`);
  if (!isObj(m.features)) fail('meta.json has no feature settings (features); prediction cannot know how the model\'s inputs were computed');
  const f = m.features as Obj;
  const features = parseFeatures(f, fail);
  const cut = parseCut(f.cut, fail);
  const layout = f.layout;
  if (typeof layout !== 'string' || !LAYOUTS.includes(layout as Layout)) fail(`unknown layout ${show(layout)} in features.layout (known: ${LAYOUTS.join(', ')})`);
  const frames = f.frames;
  if (!(frames === null || isPosInt(frames))) fail(`features.frames must be a positive integer or null, got ${show(frames)}`);
  let crop: PredictSpec['crop'] = null;
  if (f.crop !== undefined && f.crop !== null) {
    const c = f.crop;
    if (!isObj(c)) fail(`features.crop must be {min, max} or null, got ${show(c)}`);
    const cc = c as Obj;
    onlyKeys(cc, ['min', 'max'], 'meta.json features.crop', fail);
    if (!isPosInt(cc.min) || !isPosInt(cc.max) || cc.min > cc.max) fail(`features.crop must be {min, max} frames with 0 < min ≤ max, got ${show(c)}`);
    crop = { min: cc.min as number, max: cc.max as number };
  }
  if (frames === null && !crop) fail('variable-length model (features.frames null) without features.crop: the crop length it was trained on is unknown');
  if (frames === null && layout !== 'time-major') fail(`variable-length models read time-major sequences; layout ${show(layout)} is not understood with frames null`);
  const assumed: string[] = [];
  let clipSeconds = DEFAULT_CLIP_SECONDS;
  if (f.clipSeconds !== undefined) {
    if (!isPos(f.clipSeconds)) fail(`features.clipSeconds must be a positive number, got ${show(f.clipSeconds)}`);
    clipSeconds = f.clipSeconds as number;
  } else if (cut.kind === 'segments' || (cut.kind === 'head' && cut.seconds === null)) {
    assumed.push(`training clips taken as ${DEFAULT_CLIP_SECONDS} s long (meta.json has no features.clipSeconds)`);
  }
  const want = expectedInputShape(features, layout as Layout, frames as number | null);
  if (show(want) !== show(inputShape))
    fail(`inputShape ${show(inputShape)} does not match the feature settings, which give examples of shape ${show(want)} (${features.kind}, layout ${layout}, frames ${frames})`);
  return {
    version: version as number,
    experiment: typeof m.experiment === 'string' ? m.experiment : path.basename(path.dirname(path.resolve(dir))),
    output: output as PredictSpec['output'],
    multiLabel: output === 'sigmoid',
    classNames: classNames as string[],
    inputShape: inputShape as (number | null)[],
    features,
    cut,
    layout: layout as Layout,
    frames: frames as number | null,
    crop,
    clipSeconds,
    assumed,
  };
}

/** Reads and checks `<dir>/meta.json` without loading the network. */
export function readPredictSpec(dir: string): PredictSpec {
  const file = path.join(dir, 'meta.json');
  if (!fs.existsSync(dir)) throw new ModelSettingsError(dir, 'no such folder (train one with runExperiment / `genre-lab run`, or pass --model results/<experiment>/model)');
  if (!fs.existsSync(file)) throw new ModelSettingsError(dir, `no meta.json: not a model folder written by saveModel (lib/train/checkpoint.ts)`);
  let meta: unknown;
  try {
    meta = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ModelSettingsError(dir, `meta.json is not valid JSON (${(e as Error).message})`);
  }
  return parsePredictSpec(meta as ModelMeta, dir);
}
