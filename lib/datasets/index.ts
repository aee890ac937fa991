/**
 * lib/datasets: GTZAN and FMA loaders (real copies and the generated ones through the same code),
 * the embedded generator, splits, and the feature cache.
 *
 *   const { root } = await resolveDataset('gtzan');   // $GENRE_LAB_GTZAN, data/…, or generated
 *   const ds = loadGtzan(root);                        // index: ds.tracks, ds.classes, ds.problems
 *   const { ok, problems } = await validateTracks(ds.tracks);   // decode once, list the unreadable
 */
import * as fs from 'fs';
import * as path from 'path';
import { DATA_DIR } from '../paths';
import { ensureGenerated, type GenerateOptions } from './generate';
import { detectGtzanLayout } from './gtzan';

export * from './types';
export { GTZAN_GENRES, type GtzanGenre, type GtzanDataset, loadGtzan, readGtzanFeatures, gtzanLabel, detectGtzanLayout } from './gtzan';
export { FMA_SUBSETS, FMA_TRACK_COLUMNS, type FmaSubset, type FmaDataset, type FmaTrack, type FmaGenre, loadFma, readFmaTracks, readFmaGenres, multiLabelTarget, fmaAudioPath, type MultiLabelTarget } from './fma';
export { ensureGenerated, generate, generateGtzan, generateFma, GENERATED_DIR, type GenerateOptions, type GeneratedManifest } from './generate';
export * from './splits';
export * from './cache';
export { problemOf, validateTracks } from './validate';

export type DatasetKind = 'gtzan' | 'fma';

export interface ResolvedDataset {
  kind: DatasetKind;
  root: string;
  /** Where it came from: the environment variable, a real copy under data/, or the generated set. */
  source: 'env' | 'data' | 'generated';
}

const ENV_VAR: Record<DatasetKind, string> = { gtzan: 'GENRE_LAB_GTZAN', fma: 'GENRE_LAB_FMA' };

/** Real copies looked for under data/, in order (as unpacked from the public archives). */
function dataCandidates(kind: DatasetKind, dataDir: string): string[] {
  return kind === 'gtzan'
    ? [path.join(dataDir, 'gtzan'), path.join(dataDir, 'GTZAN'), path.join(dataDir, 'gtzan-dataset-music-genre-classification'), dataDir]
    : [path.join(dataDir, 'fma'), dataDir];
}

function looksLike(kind: DatasetKind, dir: string): boolean {
  if (!fs.existsSync(dir)) return false;
  return kind === 'gtzan' ? detectGtzanLayout(dir) !== null : fs.existsSync(path.join(dir, 'fma_metadata', 'tracks.csv'));
}

/**
 * The dataset root inside a folder a user names (`genre-lab train --data DIR`): DIR itself when it
 * holds the dataset, else the dataset's folder in it (`DIR/gtzan`, `DIR/fma`: what
 * `genre-lab data generate --out DIR` and `npm run data:*` write). Throws naming what was looked for.
 */
export function datasetRoot(kind: DatasetKind, dir: string): string {
  const root = path.resolve(dir);
  if (!fs.existsSync(root)) throw new Error(`${dir} does not exist`);
  for (const c of [root, ...dataCandidates(kind, root)]) if (looksLike(kind, c)) return c;
  const what = kind === 'gtzan' ? 'GTZAN (genres/<genre>/… or Data/genres_original/<genre>/…)' : 'FMA (fma_metadata/tracks.csv)';
  throw new Error(`no ${what} in ${dir} nor in ${path.join(dir, kind)}`);
}

/**
 * Which copy of a dataset to use: `$GENRE_LAB_GTZAN` / `$GENRE_LAB_FMA` when set (it must hold
 * the dataset, else this throws naming the variable), else a real copy under data/ (data/gtzan,
 * data/genres, data/Data/genres_original, data/fma, data/fma_metadata …), else the generated set
 * (rendered on first use by ensureGenerated).
 */
export async function resolveDataset(
  kind: DatasetKind,
  env: NodeJS.ProcessEnv = process.env,
  opts: { dataDir?: string; generate?: GenerateOptions } = {},
): Promise<ResolvedDataset> {
  const fromEnv = env[ENV_VAR[kind]];
  if (fromEnv) {
    const root = path.resolve(fromEnv);
    if (!looksLike(kind, root)) {
      throw new Error(`${ENV_VAR[kind]}=${fromEnv}: no ${kind === 'gtzan' ? 'GTZAN (genres/<genre>/… or Data/genres_original/…)' : 'FMA (fma_metadata/tracks.csv)'} there`);
    }
    return { kind, root, source: 'env' };
  }
  const dataDir = opts.dataDir ?? DATA_DIR;
  for (const c of dataCandidates(kind, dataDir)) if (looksLike(kind, c)) return { kind, root: c, source: 'data' };
  const dirs = await ensureGenerated({ ...opts.generate, sets: [kind] });
  return { kind, root: dirs[kind], source: 'generated' };
}
