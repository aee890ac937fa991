/**
 * The settings every notebook's ONE configuration cell decides: which dataset (the generated one
 * by default; a real GTZAN / FMA when it is in data/ or named by an environment variable), which
 * profile (`smoke`: minutes, for CI and `npm start`; `full`: the seed's exact settings), the seed.
 *
 * Environment variables win over the cell's values, so `genre-lab run --profile full` and CI
 * can steer notebooks without editing them:
 *   GENRE_LAB_PROFILE=smoke|full
 *   GENRE_LAB_DATASET=generated|real      (force one kind; default: real when present)
 *   GENRE_LAB_GTZAN=/path/to/gtzan        (a real GTZAN tree, either layout)
 *   GENRE_LAB_FMA=/path/to/fma            (a real FMA tree: fma_metadata/ + audio)
 *   GENRE_LAB_SEED=N
 */
import * as fs from 'fs';
import * as path from 'path';
import { DATA_DIR } from '../paths';

export type Profile = 'smoke' | 'full';
export const PROFILES: readonly Profile[] = ['smoke', 'full'];
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

/** Where real datasets are looked for when no environment variable names one. */
export const REAL_DATA_DIRS: Record<DatasetName, string[]> = {
  gtzan: ['gtzan', 'GTZAN', 'genres', 'Data'].map((d) => path.join(DATA_DIR, d)),
  fma: ['fma', 'FMA'].map((d) => path.join(DATA_DIR, d)),
};

/** Where the generated stand-ins live (written by lib/datasets' generator). */
export const GENERATED_DIRS: Record<DatasetName, string> = {
  gtzan: path.join(DATA_DIR, 'generated', 'gtzan'),
  fma: path.join(DATA_DIR, 'generated', 'fma'),
};

const ENV_VAR: Record<DatasetName, string> = { gtzan: 'GENRE_LAB_GTZAN', fma: 'GENRE_LAB_FMA' };

/** The profile: `$GENRE_LAB_PROFILE` if set, else the cell's value, else 'smoke'. */
export function resolveProfile(cell?: Profile, env: NodeJS.ProcessEnv = process.env): Profile {
  const p = env.GENRE_LAB_PROFILE || cell || 'smoke';
  if (!PROFILES.includes(p as Profile)) throw new Error(`unknown profile '${p}'${env.GENRE_LAB_PROFILE ? ' (from GENRE_LAB_PROFILE)' : ''}: use smoke or full`);
  return p as Profile;
}

/** The seed: `$GENRE_LAB_SEED` if set, else the cell's value, else 17 (seed 000's seed). */
export function resolveSeed(cell?: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.GENRE_LAB_SEED ?? cell ?? 17;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new Error(`seed must be a whole number, got '${raw}'${env.GENRE_LAB_SEED ? ' (from GENRE_LAB_SEED)' : ''}`);
  return n;
}

function nonEmptyDir(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory() && fs.readdirSync(dir).length > 0;
  } catch {
    return false;
  }
}

/**
 * Picks the dataset folder. Order: the environment variable naming a real copy (it must exist,
 * else an error names the variable); `GENRE_LAB_DATASET=generated` forces the stand-in; a real
 * copy under data/; the generated stand-in (its folder may not exist yet: the notebook's loader
 * generates it).
 */
export function resolveDataset(name: DatasetName, env: NodeJS.ProcessEnv = process.env): DatasetChoice {
  if (name !== 'gtzan' && name !== 'fma') throw new Error(`unknown dataset '${name}': use gtzan or fma`);
  const force = env.GENRE_LAB_DATASET;
  if (force && force !== 'generated' && force !== 'real') throw new Error(`GENRE_LAB_DATASET must be 'generated' or 'real', got '${force}'`);
  const named = env[ENV_VAR[name]];
  if (named && force !== 'generated') {
    const dir = path.resolve(named);
    if (!nonEmptyDir(dir)) throw new Error(`${ENV_VAR[name]}=${named}: no such folder, or it is empty`);
    return { name, dir, generated: false, reason: `named by ${ENV_VAR[name]}` };
  }
  if (force !== 'generated') {
    const found = REAL_DATA_DIRS[name].find(nonEmptyDir);
    if (found) return { name, dir: found, generated: false, reason: `real ${name.toUpperCase()} found in ${path.relative(path.dirname(DATA_DIR), found)}/` };
    if (force === 'real') throw new Error(`GENRE_LAB_DATASET=real but no real ${name.toUpperCase()} found: put it in ${REAL_DATA_DIRS[name][0]} or set ${ENV_VAR[name]}`);
  }
  return {
    name,
    dir: GENERATED_DIRS[name],
    generated: true,
    reason: force === 'generated' ? 'GENRE_LAB_DATASET=generated' : `no real ${name.toUpperCase()} in data/: using the generated stand-in`,
  };
}
