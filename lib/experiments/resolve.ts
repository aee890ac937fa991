/**
 * One resolved run: which experiment, with which profile's settings, which random seed, which
 * data and which feature spec, decided ONCE here and passed on. `prepareData`, `buildModel`,
 * `trainModel`, `scoreModel` and `saveRun` (hence `genre-lab train`, predict's meta.json and
 * metrics.json), the notebooks (`nb.run(id)`) and `bench/fidelity.ts` all take an
 * `ExperimentRun`; nothing downstream looks the profile up again or derives seeds by hand.
 *
 * Where a choice comes from, highest first (one order for every entry point):
 *   1. flags: `genre-lab train --profile smoke --seed 5 --data DIR`, or a call's own options
 *      (`nb.run(id, { split: 'track' })`, `resolveRun(id, { flags })`);
 *   2. the environment: GENRE_LAB_PROFILE, GENRE_LAB_SEED, and GENRE_LAB_GTZAN / GENRE_LAB_FMA for
 *      the data (a notebook resolves its dataset with lib/notebook/config, GENRE_LAB_DATASET too);
 *   3. the notebook's configuration cell (`setupNotebook(name, { profile, seed })`);
 *   4. the registry: the experiment's own seed and split; profile `default`; the generated data.
 */
import type { ExperimentConfig, Profile, SplitKind, TrainSettings } from './types';
import type { ExampleSpec } from './features';

export const PROFILES: readonly Profile[] = ['smoke', 'default', 'full'];
export const SPLITS: readonly SplitKind[] = ['seed', 'track', 'fault-filtered'];

/** What a caller may choose; everything left undefined falls to the next layer. */
export interface RunChoices {
  profile?: Profile;
  /** Default: the experiment's own (`defaultSplit`). */
  split?: SplitKind;
  /** The random seed; default the experiment's. */
  seed?: number;
  /** Dataset root (or a folder holding gtzan/ and fma/); default the generated set (rendered on first use). */
  dataDir?: string;
  /** Feature cache root (default data/cache). */
  cacheDir?: string;
  /**
   * Stream batches from the cached .npy files instead of holding the set in memory (at most one
   * shuffle buffer of tracks is loaded). Needs a track-level split (every row of a track on one
   * side: `track` or `fault-filtered`) and a fixed-shape single-label experiment.
   */
  stream?: boolean;
  /**
   * Seed 000's leak, faithfully: its training loader also holds the validation examples (the
   * misspelt `dataet_train`); validation still runs on them.
   */
  trainOnVal?: boolean;
  /** Caps the profile's epochs (time-boxed comparisons); recorded in metrics.json. */
  maxEpochs?: number;
  /** Writes the split's example ids (`<track id>#<row>` per part) to this JSON file. */
  splitOut?: string;
  /** Reads the split from such a file instead of drawing it (every example must be listed). */
  splitIn?: string;
}

/** Where a resolved choice came from. */
export type ChoiceSource = 'flag' | 'env' | 'cell' | 'registry';

/**
 * The random streams of one run, all derived from its seed here and nowhere else. The values are
 * the ones the runs committed in results/ used.
 */
export interface RunSeeds {
  /** Which examples go to train / validation / test (lib/datasets/splits). */
  split: number;
  /** Weight initialisation (`withSeed` around the model's construction). */
  init: number;
  /** Batch order and crops of the in-memory batch sources. */
  batchOrder: number;
  /** Dropout masks and everything else drawn during `fit`. */
  training: number;
  /** The random crops of test-time augmentation. */
  tta: number;
  /** The random crops of validation when it is drawn like training (seed 002's `epochShare`). */
  validationCrops: number;
  /** Shuffling when batches stream from the feature cache (also per epoch). */
  stream: number;
}

/**
 * Stream `n` of a seed: the one place a seed is offset. Offsets (not hashes) keep the numbers of
 * every run committed in results/.
 */
export function subSeed(seed: number, n: number): number {
  return seed + n;
}

/** Derives a run's random streams from its seed. */
export function runSeeds(seed: number): RunSeeds {
  return { split: seed, init: seed, batchOrder: subSeed(seed, 1), training: subSeed(seed, 2), tta: subSeed(seed, 3), validationCrops: subSeed(seed, 4), stream: seed };
}

/** The seed of replicate `k` of a run with seed `seed` (several seeds of one experiment, bench/fidelity.ts). */
export function replicateSeed(seed: number, k: number): number {
  return subSeed(seed, k);
}

export interface ExperimentRun {
  readonly experiment: ExperimentConfig;
  readonly profile: Profile;
  /** `experiment.profiles[profile]`: the settings this run trains with. */
  readonly settings: TrainSettings;
  readonly split: SplitKind;
  readonly seed: number;
  readonly seeds: RunSeeds;
  /** How a track becomes examples: cut, feature set and its parameters, layout, frames. */
  readonly examples: ExampleSpec;
  /** The dataset folder as chosen; undefined = the generated set (rendered on first use). */
  readonly dataDir?: string;
  readonly cacheDir?: string;
  readonly stream: boolean;
  readonly trainOnVal: boolean;
  readonly maxEpochs?: number;
  /** The epochs this run trains for at most: the profile's, capped by `maxEpochs`. */
  readonly epochs: number;
  readonly splitOut?: string;
  readonly splitIn?: string;
  /** Where profile, seed, split and data came from. */
  readonly sources: { profile: ChoiceSource; seed: ChoiceSource; split: ChoiceSource; dataDir: ChoiceSource };
}

export interface RunLayers {
  /** Highest: command-line flags or the caller's own options. */
  flags?: RunChoices;
  /** GENRE_LAB_PROFILE, GENRE_LAB_SEED, GENRE_LAB_GTZAN / GENRE_LAB_FMA (default: none; pass process.env). */
  env?: NodeJS.ProcessEnv;
  /** A notebook's configuration cell. */
  cell?: RunChoices;
}

/** The profile named by `$GENRE_LAB_PROFILE`, checked (undefined when unset). */
export function envProfile(env: NodeJS.ProcessEnv): Profile | undefined {
  const p = env.GENRE_LAB_PROFILE;
  if (!p) return undefined;
  if (!PROFILES.includes(p as Profile)) throw new Error(`unknown profile '${p}' (from GENRE_LAB_PROFILE): use ${PROFILES.join(', ')}`);
  return p as Profile;
}

/** The seed in `$GENRE_LAB_SEED`, checked (undefined when unset). */
export function envSeed(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.GENRE_LAB_SEED;
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new Error(`seed must be a whole number, got '${raw}' (from GENRE_LAB_SEED)`);
  return n;
}

/** Checks a profile name from any layer. */
export function checkProfile(p: string, where: string): Profile {
  if (!PROFILES.includes(p as Profile)) throw new Error(`unknown profile '${p}'${where ? ` (${where})` : ''}: use ${PROFILES.join(', ')}`);
  return p as Profile;
}

/** The first defined value, highest layer first, with its source. */
function pick<T>(values: [ChoiceSource, T | undefined][], fallback: [ChoiceSource, T]): [ChoiceSource, T] {
  for (const v of values) if (v[1] !== undefined) return v as [ChoiceSource, T];
  return fallback;
}

/** The profile through the layers (flags > env > cell > 'default'): what a notebook session and a run agree on. */
export function chooseProfile(layers: RunLayers): { profile: Profile; source: ChoiceSource } {
  const [source, profile] = pick<Profile>(
    [['flag', layers.flags?.profile], ['env', layers.env ? envProfile(layers.env) : undefined], ['cell', layers.cell?.profile]],
    ['registry', 'default'],
  );
  return { profile: checkProfile(profile, source === 'flag' ? 'flag' : source === 'cell' ? 'configuration cell' : ''), source };
}

/** The seed through the layers (flags > env > cell), or undefined when none sets one. */
export function chooseSeed(layers: RunLayers): { seed: number | undefined; source: ChoiceSource } {
  const [source, seed] = pick<number | undefined>(
    [['flag', layers.flags?.seed], ['env', layers.env ? envSeed(layers.env) : undefined], ['cell', layers.cell?.seed]],
    ['registry', undefined],
  );
  if (seed !== undefined && !Number.isInteger(seed)) throw new Error(`seed must be a whole number, got ${seed}`);
  return { seed, source };
}

const DATA_ENV: Record<ExperimentConfig['dataset'], string> = { gtzan: 'GENRE_LAB_GTZAN', fma: 'GENRE_LAB_FMA' };

/** Resolves experiment `id` with the layered choices into the one `ExperimentRun` everything downstream uses. */
export function resolveRun(id: string | ExperimentConfig, layers: RunLayers = {}): ExperimentRun {
  // The registry builds networks with tfjs: loaded only here, so the profile and seed helpers above
  // cost nothing to a notebook without a model or to `genre-lab run`.
  const experiment = typeof id === 'string' ? (require('./registry') as typeof import('./registry')).getExperiment(id) : id;
  const { flags = {}, cell = {}, env } = layers;
  const { profile, source: profileFrom } = chooseProfile(layers);
  const { seed: chosenSeed, source: seedFrom } = chooseSeed(layers);
  const seed = chosenSeed ?? experiment.seed;
  const [splitFrom, split] = pick<SplitKind>([['flag', flags.split], ['cell', cell.split]], ['registry', experiment.defaultSplit]);
  if (!SPLITS.includes(split)) throw new Error(`unknown split '${split}': use ${SPLITS.join(', ')}`);
  if (split === 'fault-filtered' && experiment.dataset !== 'gtzan') throw new Error(`${experiment.id}: the fault-filtered split exists for GTZAN only`);
  const envData = env?.[DATA_ENV[experiment.dataset]] || undefined;
  const [dataFrom, dataDir] = pick<string | undefined>([['flag', flags.dataDir], ['env', envData], ['cell', cell.dataDir]], ['registry', undefined]);
  const other = <K extends 'cacheDir' | 'stream' | 'trainOnVal' | 'maxEpochs' | 'splitOut' | 'splitIn'>(k: K): RunChoices[K] => flags[k] ?? cell[k];
  const maxEpochs = other('maxEpochs');
  if (maxEpochs !== undefined && !(Number.isInteger(maxEpochs) && maxEpochs >= 1)) throw new Error(`maxEpochs must be a positive integer, got ${maxEpochs}`);
  const settings = experiment.profiles[profile];
  return {
    experiment,
    profile,
    settings,
    split,
    seed,
    seeds: runSeeds(seed),
    examples: { cut: experiment.cut, features: experiment.features, layout: experiment.layout, frames: experiment.frames },
    dataDir,
    cacheDir: other('cacheDir'),
    stream: other('stream') === true,
    trainOnVal: other('trainOnVal') === true,
    maxEpochs,
    epochs: Math.min(settings.epochs, maxEpochs ?? Infinity),
    splitOut: other('splitOut'),
    splitIn: other('splitIn'),
    sources: { profile: profileFrom, seed: seedFrom, split: splitFrom, dataDir: dataFrom },
  };
}

/** One line naming what a run will do, for a notebook's output: the settings its prose talks about. */
export function describeRun(run: ExperimentRun): string {
  const s = run.settings;
  const opt = s.optimizer as { name: string; learningRate?: number };
  const parts = [
    `${run.experiment.id}, ${run.profile} profile: ${run.epochs} epochs${s.earlyStopping ? ' at most (early stopping)' : ''}`,
    `batch ${s.batchSize}`,
    `${opt.name === 'adam' ? 'Adam' : opt.name} ${opt.learningRate ?? ''}`.trim(),
    s.maxTracksPerClass ? `${s.maxTracksPerClass} tracks per genre` : 'every track',
    s.model && Object.keys(s.model).length ? `model ${JSON.stringify(s.model)}` : '',
    `${run.split} split, seed ${run.seed}`,
  ];
  return parts.filter(Boolean).join(', ');
}
