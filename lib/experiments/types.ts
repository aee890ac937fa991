/**
 * An experiment as data: where its examples come from, which features, which network, and the
 * training settings of its two profiles. One object feeds the CLI, the notebooks and meta.json.
 */
import type { TF } from '../backend';
import type { Framework } from '../models/init';
import type { OutputKind } from '../models/summary';
import type { EarlyStoppingSpec } from '../train/fit';
import type { Monitor } from '../train/history';
import type { OptimizerSpec } from '../train/optimizers';
import type { SchedulerSpec } from '../train/schedulers';
import type { CutSpec, FeatureSpec, Layout } from './features';

/**
 * `seed`: the seed's own split over examples (chunks of one track can land on both sides: leaks);
 * `track`: stratified at track level (leakage-free); `fault-filtered`: GTZAN's artist-filtered
 * partition (real GTZAN only). All from lib/datasets/splits, all seeded.
 */
export type SplitKind = 'seed' | 'track' | 'fault-filtered';

export interface Fractions {
  /** Share of all examples (or tracks) for test. */
  test: number;
  /** Share of the rest for validation; 0 = validate on the test split, as the lecture does. */
  val: number;
}

/**
 * `smoke`: seconds per experiment, only shows the pipeline runs (CI); `default`: what `npm start` and the
 * notebooks run, a few minutes in all, each notebook's point visible on the generated data; `full`: the seed's settings.
 */
export type Profile = 'smoke' | 'default' | 'full';

export interface TrainSettings {
  epochs: number;
  batchSize: number;
  optimizer: OptimizerSpec;
  scheduler?: SchedulerSpec & { monitor?: Monitor };
  earlyStopping?: EarlyStoppingSpec;
  clipNorm?: number;
  l2?: number;
  /** Keep only the first N tracks of each class (smoke runs). */
  maxTracksPerClass?: number;
  /** Overrides passed to the model builder (smoke runs use smaller networks). */
  model?: Record<string, unknown>;
  /** Seed 002: each training batch is a random crop of `min`..`max`−1 frames (numpy randint). */
  crop?: { min: number; max: number };
  /** Seed 002: test-time augmentation, predictions averaged over this many random crops. */
  ttaCrops?: number;
  /** Seed 002: each epoch walks this share of the training batches (its Sequence's ⌊N / 32 / 10⌋), at least one. */
  epochShare?: number;
  /** Drop the last incomplete batch (Keras `Sequence` with floor(len / batch) batches). */
  dropLast?: boolean;
}

export interface ExperimentConfig {
  id: string;
  title: string;
  /** Where the settings come from (seed, upstream file). */
  source: string;
  dataset: 'gtzan' | 'fma';
  task: 'single-label' | 'multi-label';
  /** Class subset in order (seed 001 drops blues and rock); default all of the dataset's. */
  classes?: readonly string[];
  cut: CutSpec;
  features: FeatureSpec;
  layout: Layout;
  /** Frames per example (cut or zero-padded), or null to keep every frame (cropped at train time). */
  frames: number | null;
  /** The seed's split fractions, used by the `seed` and `track` splits. */
  fractions: Fractions;
  /** The split the seed used. */
  defaultSplit: SplitKind;
  /** Seed for splits, initialisation, dropout and shuffling (seed 000 used 17). */
  seed: number;
  output: OutputKind;
  /**
   * The loss when it is not the output kind's own: 'cross-entropy-from-logits' is PyTorch's
   * `CrossEntropyLoss` applied to whatever the model emits (seed004-cnn-faithful: to its softmax
   * probabilities, the seed's double softmax).
   */
  loss?: 'cross-entropy-from-logits';
  /** The source's framework: its weight initialisers are applied after `build` (lib/models/init). */
  framework: Framework;
  /** Builds the network for one example's shape (batch axis excluded) and the class count. */
  build(inputShape: (number | null)[], numClasses: number, overrides: Record<string, unknown>): TF.LayersModel;
  profiles: Record<Profile, TrainSettings>;
  /** Where this reproduction departs from the seed, and why. */
  notes: string[];
}
