/**
 * GTZAN (Tzanetakis & Cook 2002): 10 genres x 100 clips of 30 s, 22050 Hz mono 16-bit.
 * Two layouts are found in the wild, both read here:
 *   original archive  <root>/genres/<genre>/<genre>.000NN.wav   (root may also be genres/ itself)
 *   Kaggle copy       <root>/Data/genres_original/<genre>/<genre>.000NN.wav
 *                     + Data/features_30_sec.csv, Data/features_3_sec.csv (root may be Data/)
 * The generated set (generate.ts) uses the original layout and is read by the same code.
 *
 * Labels come from the folder. The class order is fixed: GTZAN_GENRES, alphabetical (the order
 * of the archive's folders and of most published confusion matrices), so label 0 = blues …
 * 9 = rock whatever subset of folders is present. Indexing reads no audio; `validateTracks`
 * (index.ts) decodes every file and reports the unreadable ones (the Kaggle copy's
 * jazz.00054.wav is corrupt) so long jobs skip them instead of crashing.
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadAudio } from '../audio/index';
import type { Dataset, Problem, Track } from './types';
import { readCsvFrame, type DataFrame } from './frames';
import { validateTracks } from './validate';

/** The 10 GTZAN genres; index = class id everywhere in genre-lab. */
export const GTZAN_GENRES = ['blues', 'classical', 'country', 'disco', 'hiphop', 'jazz', 'metal', 'pop', 'reggae', 'rock'] as const;
export type GtzanGenre = (typeof GTZAN_GENRES)[number];

/** Audio extensions taken as tracks (the original tarball has .au; Kaggle and generated have .wav). */
const AUDIO_EXT = new Set(['.wav', '.au', '.mp3']);
/** Files the original archive ships beside the audio (Marsyas collection files) or OS debris: not reported. */
const IGNORED = /^(\.|Thumbs\.db$|desktop\.ini$)|\.mf$/i;
const TRACK_NAME = /^([a-z]+)\.(\d{5})$/;

export interface GtzanDataset extends Dataset {
  name: 'gtzan';
  layout: 'gtzan-original' | 'gtzan-kaggle';
  /** The folder holding the genre folders. */
  audioDir: string;
  /** Kaggle's features_30_sec.csv / features_3_sec.csv when present. */
  featureCsv: { '30': string | null; '3': string | null };
}

/** Where the genre folders are, and the layout, for a root given by the user. Null when neither layout is found. */
export function detectGtzanLayout(root: string): { layout: GtzanDataset['layout']; audioDir: string; dataDir: string } | null {
  const isDir = (p: string) => fs.existsSync(p) && fs.statSync(p).isDirectory();
  const hasGenreFolders = (p: string) => isDir(p) && GTZAN_GENRES.some((g) => isDir(path.join(p, g)));
  for (const dataDir of [path.join(root, 'Data'), root]) {
    const audioDir = path.join(dataDir, 'genres_original');
    if (hasGenreFolders(audioDir)) return { layout: 'gtzan-kaggle', audioDir, dataDir };
  }
  if (hasGenreFolders(path.join(root, 'genres'))) return { layout: 'gtzan-original', audioDir: path.join(root, 'genres'), dataDir: root };
  if (hasGenreFolders(root)) return { layout: 'gtzan-original', audioDir: root, dataDir: root };
  return null;
}

function makeTrack(id: string, file: string, genre: string): Track {
  return {
    id,
    path: file,
    genre,
    genres: [genre],
    audio: (opts) => loadAudio(file, opts),
  };
}

/**
 * Indexes a GTZAN tree (either layout). Missing genre folders, unknown folders, non-audio files
 * and badly named files are listed in `problems`, never thrown; only a root with no GTZAN layout
 * at all throws (naming the folder and what was expected).
 */
export function loadGtzan(root: string): GtzanDataset {
  root = path.resolve(root);
  if (!fs.existsSync(root)) throw new Error(`GTZAN: ${root} does not exist`);
  const found = detectGtzanLayout(root);
  if (!found) {
    throw new Error(
      `GTZAN: no dataset in ${root}: expected genres/<genre>/<genre>.000NN.wav (original archive) or ` +
        `Data/genres_original/<genre>/… (Kaggle), with genre folders named ${GTZAN_GENRES.join(', ')}`,
    );
  }
  const { layout, audioDir, dataDir } = found;
  const problems: Problem[] = [];
  const tracks: Track[] = [];
  for (const genre of GTZAN_GENRES) {
    const dir = path.join(audioDir, genre);
    if (!fs.existsSync(dir)) {
      problems.push({ file: dir, reason: 'missing-folder', message: `genre folder ${genre}/ is missing: no ${genre} tracks` });
      continue;
    }
    for (const name of fs.readdirSync(dir).sort()) {
      if (IGNORED.test(name)) continue;
      const file = path.join(dir, name);
      const ext = path.extname(name).toLowerCase();
      if (!AUDIO_EXT.has(ext) || fs.statSync(file).isDirectory()) {
        problems.push({ file, reason: 'stray-file', message: `${genre}/${name}: not an audio file name (${ext || 'no extension'}); skipped` });
        continue;
      }
      const stem = name.slice(0, -ext.length);
      const m = TRACK_NAME.exec(stem);
      if (m && m[1] !== genre) {
        problems.push({ file, reason: 'bad-name', message: `${genre}/${name}: named for genre '${m[1]}' but in folder ${genre}/; labelled ${genre} (from the folder)` });
      }
      tracks.push(makeTrack(stem, file, genre));
    }
  }
  for (const name of fs.readdirSync(audioDir).sort()) {
    const p = path.join(audioDir, name);
    if (IGNORED.test(name) || (GTZAN_GENRES as readonly string[]).includes(name)) continue;
    if (fs.statSync(p).isDirectory()) problems.push({ file: p, reason: 'unknown-folder', message: `${name}/ is not a GTZAN genre; skipped` });
  }
  const ids = new Set<string>();
  for (const t of tracks) {
    if (ids.has(t.id)) problems.push({ file: t.path, reason: 'bad-name', message: `${t.id} appears twice (${t.path})` });
    ids.add(t.id);
  }
  const csv = (n: string) => {
    const f = path.join(dataDir, `features_${n}_sec.csv`);
    return fs.existsSync(f) ? f : null;
  };
  return {
    name: 'gtzan', layout, root, audioDir, classes: GTZAN_GENRES, tracks, problems, featureCsv: { '30': csv('30'), '3': csv('3') },
    validate: (opts) => validateTracks(tracks, opts),
  };
}

/**
 * Kaggle's precomputed features (`features_30_sec.csv`: one row per clip; `features_3_sec.csv`:
 * one row per 3-s chunk, filename `blues.00000.0.wav`): 57 librosa statistics + `filename`,
 * `length`, `label`, read with danfojs. Throws naming the dataset when the file is absent.
 */
export async function readGtzanFeatures(ds: GtzanDataset, which: '30' | '3' = '30'): Promise<DataFrame> {
  const file = ds.featureCsv[which];
  if (!file) throw new Error(`GTZAN ${ds.root}: no features_${which}_sec.csv (only the Kaggle copy ships it, in Data/)`);
  const df = await readCsvFrame(file, { dynamicTyping: true });
  for (const col of ['filename', 'label']) {
    if (!df.columns.includes(col)) throw new Error(`${file}: column '${col}' missing (columns: ${df.columns.slice(0, 6).join(', ')}, …)`);
  }
  return df;
}

/** Class id of a GTZAN genre name (throws on an unknown name). */
export function gtzanLabel(genre: string): number {
  const i = (GTZAN_GENRES as readonly string[]).indexOf(genre);
  if (i < 0) throw new Error(`unknown GTZAN genre '${genre}' (expected one of ${GTZAN_GENRES.join(', ')})`);
  return i;
}
