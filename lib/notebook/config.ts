/**
 * The settings every notebook's ONE configuration cell decides: which dataset (the generated one
 * by default; a real GTZAN / FMA when it is in data/ or named by an environment variable), which
 * profile (`default`: what `npm start` runs, each notebook's point shown in minutes; `smoke`: seconds, for CI;
 * `full`: the seed's exact settings), the seed.
 *
 * Environment variables win over the cell's values, so `genre-lab run --profile full` and CI
 * can steer notebooks without editing them:
 *   GENRE_LAB_PROFILE=smoke|default|full
 *   GENRE_LAB_DATASET=generated|real      (force one kind; default: real when present)
 *   GENRE_LAB_GTZAN=/path/to/gtzan        (a real GTZAN tree, either layout)
 *   GENRE_LAB_FMA=/path/to/fma            (a real FMA tree: fma_metadata/ + audio)
 *   GENRE_LAB_SEED=N
 */
import { DATA_DIR } from '../paths';

export type { Profile } from '../experiments/types';
import type { Profile } from '../experiments/types';
import { chooseProfile, chooseSeed } from '../experiments/resolve';
export { PROFILES } from '../experiments/resolve';
export type DatasetName = 'gtzan' | 'fma';

export interface DatasetChoice {
  name: DatasetName;
  /** The dataset's root folder. */
  dir: string;
  /** True for the project's generated stand-in, false for real GTZAN / FMA audio. */
  generated: boolean;
  /** Why this one was picked (shown in the notebook and in metrics.json). */
  reason: string;
}

const ENV_VAR: Record<DatasetName, string> = { gtzan: 'GENRE_LAB_GTZAN', fma: 'GENRE_LAB_FMA' };

/** The profile: `$GENRE_LAB_PROFILE` if set, else the cell's value, else 'default' (lib/experiments/resolve's order). */
export function resolveProfile(cell?: Profile, env: NodeJS.ProcessEnv = process.env): Profile {
  return chooseProfile({ env, cell: { profile: cell } }).profile;
}

/** The seed the notebook's own draws use when neither `$GENRE_LAB_SEED` nor the cell sets one (seed 000's). */
export const NOTEBOOK_SEED = 17;

/**
 * The seed: `$GENRE_LAB_SEED` if set, else the cell's value, else undefined (each experiment then
 * runs with its registry seed, and the notebook's own draws with NOTEBOOK_SEED).
 */
export function resolveSeed(cell?: number, env: NodeJS.ProcessEnv = process.env): number | undefined {
  return chooseSeed({ env, cell: { seed: cell } }).seed;
}

/**
 * Picks the dataset folder through lib/datasets' `resolveDataset` ($GENRE_LAB_GTZAN /
 * $GENRE_LAB_FMA, else a real copy under data/, else the generated stand-in, rendered on first
 * use), with one override: `GENRE_LAB_DATASET=generated` always takes the generated set (CI, and
 * `genre-lab run --dataset generated`), `=real` fails unless a real copy is found.
 */
export async function chooseNotebookDataset(name: DatasetName, env: NodeJS.ProcessEnv = process.env): Promise<DatasetChoice> {
  if (name !== 'gtzan' && name !== 'fma') throw new Error(`unknown dataset '${name}': use gtzan or fma`);
  const force = env.GENRE_LAB_DATASET;
  if (force && force !== 'generated' && force !== 'real') throw new Error(`GENRE_LAB_DATASET must be 'generated' or 'real', got '${force}'`);
  // lib/datasets pulls in the audio decoders and danfojs: load it only for notebooks with data.
  const datasets = require('../datasets/index') as typeof import('../datasets/index');
  if (force === 'generated') {
    const dirs = await datasets.ensureGenerated({ sets: [name] });
    return { name, dir: dirs[name], generated: true, reason: 'GENRE_LAB_DATASET=generated' };
  }
  const r = await datasets.resolveDataset(name, env);
  if (force === 'real' && r.source === 'generated') {
    throw new Error(`GENRE_LAB_DATASET=real but no real ${name.toUpperCase()} was found: put it under ${DATA_DIR} or set ${ENV_VAR[name]}`);
  }
  const reason = r.source === 'env' ? `named by ${ENV_VAR[name]}` : r.source === 'data' ? `real ${name.toUpperCase()} found under data/` : `no real ${name.toUpperCase()} in data/ or ${ENV_VAR[name]}: the generated stand-in`;
  return { name, dir: r.root, generated: r.source === 'generated', reason };
}
