/**
 * FMA, the Free Music Archive dataset (Defferrard et al. 2017, github.com/mdeff/fma):
 *   <root>/fma_metadata/tracks.csv   52 columns under a two-level header (album/artist/set/track),
 *                                    index `track_id` (the file's 3rd header row)
 *   <root>/fma_metadata/genres.csv   genre_id, #tracks, parent, title, top_level (163 genres)
 *   <root>/fma_<subset>/NNN/NNNNNN.mp3   audio by track id (utils.get_audio_path)
 * Subsets nest: small (8 000 tracks, 8 balanced top genres) ⊂ medium (25 000) ⊂ large (106 574);
 * `set.subset` names the smallest one holding a track.
 *
 * Targets: the single label `genre_top` (16 top genres; empty for tracks spanning several roots),
 * and the multi-label target of seed 002: each track's `track.genres` (the genres its artist
 * chose) over every genre that occurs, about 160 classes on the full set. The generated FMA-shaped
 * set (generate.ts) has the same files and columns and is read by the same code.
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadAudio } from '../audio/index';
import { loadDanfo, readCsvFrame, type DataFrame } from './frames';
import { forEachCsvRow } from './csv';
import { validateTracks } from './validate';
import type { Dataset, Problem, Track } from './types';

export type FmaSubset = 'small' | 'medium' | 'large';
export const FMA_SUBSETS: readonly FmaSubset[] = ['small', 'medium', 'large'];

export interface FmaGenre {
  id: number;
  title: string;
  /** 0 for a top-level genre. */
  parent: number;
  topLevel: number;
  /** #tracks column of genres.csv (counted over fma_full). */
  tracks: number;
}

export interface FmaTrack extends Track {
  /** FMA genre ids of `track.genres`. */
  genreIds: number[];
  /** `track.genres_all`: the genres and all their ancestors. */
  genreIdsAll: number[];
  durationS?: number;
}

export interface FmaDataset extends Dataset {
  name: 'fma';
  layout: 'fma';
  subset: FmaSubset;
  /** `fma_<subset>/`. */
  audioDir: string;
  /** All genres of genres.csv, by id. */
  genres: Map<number, FmaGenre>;
  /** The `genre_top` classes present in the chosen subset, sorted by name (the single-label class order). */
  classes: string[];
  tracks: FmaTrack[];
  /** tracks.csv as a danfojs DataFrame: 'track_id' and FMA_TRACK_COLUMNS (flattened 'group.field' names). */
  metadata: DataFrame;
}

/** Audio path of a track id below the dataset root: `fma_small/000/000002.mp3` (mdeff/fma utils.get_audio_path). */
export function fmaAudioPath(subset: FmaSubset, trackId: number): string {
  const tid = String(trackId).padStart(6, '0');
  return path.join(`fma_${subset}`, tid.slice(0, 3), `${tid}.mp3`);
}

/** `[21, 811]` → [21, 811]. FMA writes genre lists as Python list literals. */
export function parseIdList(text: string, where: string): number[] {
  const t = text.trim();
  if (t === '' || t === '[]') return [];
  if (!t.startsWith('[') || !t.endsWith(']')) throw new Error(`${where}: expected a list like [21, 811], got '${text}'`);
  return t
    .slice(1, -1)
    .split(',')
    .map((s) => {
      const n = Number(s.trim());
      if (!Number.isInteger(n)) throw new Error(`${where}: bad genre id '${s.trim()}' in '${text}'`);
      return n;
    });
}

/** Reads genres.csv (danfojs). */
export async function readFmaGenres(file: string): Promise<Map<number, FmaGenre>> {
  if (!fs.existsSync(file)) throw new Error(`FMA: ${file} is missing (it comes in fma_metadata.zip)`);
  const df = await readCsvFrame(file);
  for (const c of ['genre_id', 'parent', 'title', 'top_level']) {
    if (!df.columns.includes(c)) throw new Error(`${file}: column '${c}' missing (have ${df.columns.join(', ')})`);
  }
  const col = (c: string) => df[c].values as string[];
  const [ids, parents, titles, tops] = ['genre_id', 'parent', 'title', 'top_level'].map(col);
  const counts = df.columns.includes('#tracks') ? col('#tracks') : ids.map(() => '0');
  const out = new Map<number, FmaGenre>();
  ids.forEach((id, i) => out.set(Number(id), { id: Number(id), title: String(titles[i]), parent: Number(parents[i]), topLevel: Number(tops[i]), tracks: Number(counts[i]) }));
  return out;
}

/** tracks.csv columns kept by default (flattened 'group.field' names); pass `columns: 'all'` for all 52. */
export const FMA_TRACK_COLUMNS = [
  'set.split', 'set.subset', 'track.genre_top', 'track.genres', 'track.genres_all', 'track.title', 'track.duration',
  'track.bit_rate', 'track.listens', 'track.date_created', 'artist.id', 'artist.name', 'album.id', 'album.title',
] as const;

/**
 * Reads tracks.csv into a danfojs DataFrame. FMA writes it from a pandas frame with a two-level
 * column index, so the file opens with three header rows (group names, field names, then
 * `track_id`); danfojs has no MultiIndex, so the two levels are joined: 'set.subset'. The rows are
 * streamed (csv.ts) and only `columns` kept: the real file is ~100 000 rows with long free-text
 * fields (artist bios), which as a full string table costs gigabytes.
 */
export async function readFmaTracks(file: string, opts: { columns?: readonly string[] | 'all' } = {}): Promise<DataFrame> {
  if (!fs.existsSync(file)) throw new Error(`FMA: ${file} is missing (it comes in fma_metadata.zip)`);
  const text = fs.readFileSync(file, 'utf8');
  let names: string[] = [];
  let keep: number[] = [];
  const cols: string[][] = [];
  let level0: string[] = [];
  forEachCsvRow(text, file, (row, i) => {
    if (i === 0) level0 = row;
    else if (i === 1) {
      if (level0[0] !== '' || row[0] !== '' || row.length !== level0.length) {
        throw new Error(`${file}: not FMA's tracks.csv layout (expected 3 header rows: groups, fields, then 'track_id')`);
      }
      let group = '';
      names = row.map((f, j) => {
        if (j === 0) return 'track_id';
        if (level0[j]) group = level0[j]; // be lenient if a writer left repeated group names blank
        return `${group}.${f}`;
      });
      const wanted = opts.columns === 'all' ? names.slice(1) : opts.columns ?? FMA_TRACK_COLUMNS;
      for (const w of wanted) if (!names.includes(w)) throw new Error(`${file}: column ${w} missing`);
      keep = [0, ...wanted.map((w) => names.indexOf(w))];
      for (let k = 0; k < keep.length; k++) cols.push([]);
    } else if (i === 2) {
      if (row[0] !== 'track_id') throw new Error(`${file}: not FMA's tracks.csv layout (expected 3 header rows, the third starting with 'track_id')`);
    } else if (row.length > 1 || row[0] !== '') {
      if (row.length !== names.length) throw new Error(`${file}: row ${i + 1} has ${row.length} fields, the header ${names.length}`);
      for (let k = 0; k < keep.length; k++) cols[k].push(row[keep[k]]);
    }
  });
  if (!names.length) throw new Error(`${file}: not FMA's tracks.csv layout (no header rows)`);
  const dfd = loadDanfo();
  const data: Record<string, string[]> = {};
  keep.forEach((j, k) => (data[names[j]] = cols[k]));
  return new dfd.DataFrame(data);
}

export interface FmaOptions {
  /** Which audio subset to index (default: the smallest `fma_<subset>/` folder present, else 'small'). */
  subset?: FmaSubset;
}

/**
 * Indexes an FMA tree: metadata from fma_metadata/, the tracks of `subset` (and the smaller
 * subsets it contains), audio paths from ids. A track whose mp3 is absent is listed in `problems`
 * ('missing') and left out; nothing is decoded here.
 */
export async function loadFma(root: string, opts: FmaOptions = {}): Promise<FmaDataset> {
  root = path.resolve(root);
  const meta = path.join(root, 'fma_metadata');
  if (!fs.existsSync(meta)) throw new Error(`FMA: no fma_metadata/ in ${root} (unpack fma_metadata.zip there; audio goes to fma_small/ etc.)`);
  const subset = opts.subset ?? FMA_SUBSETS.find((s) => fs.existsSync(path.join(root, `fma_${s}`))) ?? 'small';
  if (!FMA_SUBSETS.includes(subset)) throw new Error(`FMA: subset must be one of ${FMA_SUBSETS.join(', ')}, got '${subset}'`);
  const audioDir = path.join(root, `fma_${subset}`);
  const genres = await readFmaGenres(path.join(meta, 'genres.csv'));
  const metadata = await readFmaTracks(path.join(meta, 'tracks.csv'));
  const need = ['track_id', 'set.subset', 'set.split', 'track.genre_top', 'track.genres', 'track.genres_all'];
  for (const c of need) if (!metadata.columns.includes(c)) throw new Error(`${path.join(meta, 'tracks.csv')}: column ${c} missing`);
  const col = (c: string) => (metadata.columns.includes(c) ? (metadata[c].values as string[]) : null);
  const ids = col('track_id')!;
  const subsets = col('set.subset')!;
  const splits = col('set.split')!;
  const tops = col('track.genre_top')!;
  const gl = col('track.genres')!;
  const gla = col('track.genres_all')!;
  const artists = col('artist.name');
  const titles = col('track.title');
  const durations = col('track.duration');
  const maxRank = FMA_SUBSETS.indexOf(subset);
  const problems: Problem[] = [];
  const tracks: FmaTrack[] = [];
  if (!fs.existsSync(audioDir)) problems.push({ file: audioDir, reason: 'missing-folder', message: `fma_${subset}/ is missing: no audio (unpack fma_${subset}.zip into ${root})` });
  const titleOf = (id: number, where: string) => {
    const g = genres.get(id);
    if (!g) throw new Error(`${where}: genre id ${id} is not in genres.csv`);
    return g.title;
  };
  for (let i = 0; i < ids.length; i++) {
    const rank = FMA_SUBSETS.indexOf(subsets[i] as FmaSubset);
    if (rank < 0 || rank > maxRank) continue;
    const id = Number(ids[i]);
    const where = `tracks.csv track ${ids[i]}`;
    let genreIds: number[];
    let genreIdsAll: number[];
    let names: string[];
    try {
      if (!Number.isInteger(id)) throw new Error(`${where}: track_id is not an integer`);
      genreIds = parseIdList(String(gl[i]), where);
      genreIdsAll = parseIdList(String(gla[i]), where);
      names = genreIds.map((g) => titleOf(g, where));
    } catch (e) {
      problems.push({ file: path.join(meta, 'tracks.csv'), reason: 'bad-metadata', message: (e as Error).message });
      continue;
    }
    const file = path.join(root, fmaAudioPath(subset, id));
    if (!fs.existsSync(file)) {
      problems.push({ file, reason: 'missing', message: `${path.relative(root, file)}: file not found` });
      continue;
    }
    tracks.push({
      id: String(id),
      path: file,
      genre: String(tops[i] ?? ''),
      genres: names,
      genreIds,
      genreIdsAll,
      artist: artists ? String(artists[i]) : undefined,
      title: titles ? String(titles[i]) : undefined,
      split: String(splits[i]),
      subset: String(subsets[i]),
      durationS: durations && durations[i] !== '' ? Number(durations[i]) : undefined,
      audio: (o) => loadAudio(file, o),
    });
  }
  const classes = [...new Set(tracks.map((t) => t.genre).filter(Boolean))].sort();
  return { name: 'fma', layout: 'fma', root, subset, audioDir, genres, classes, tracks, problems, metadata, validate: (o) => validateTracks(tracks, o) };
}

export interface MultiLabelTarget {
  /** Genre titles, the column order of `y`. */
  classes: string[];
  /** `[tracks, classes]` row-major 0/1. */
  y: Uint8Array;
}

/**
 * Seed 002's multi-label target: one column per genre that occurs in `tracks` (`field` 'genres':
 * the track's own genres, as the seed; 'genres_all' adds their ancestors), ordered by frequency
 * (most frequent first, ties by title) as the seed's genre table. Pass `classes` to fix the order
 * (e.g. the training set's) when building a validation/test target; unknown genres are dropped.
 */
export function multiLabelTarget(ds: Pick<FmaDataset, 'genres'>, tracks: FmaTrack[], opts: { field?: 'genres' | 'genres_all'; classes?: string[] } = {}): MultiLabelTarget {
  const field = opts.field ?? 'genres';
  const titlesOf = (t: FmaTrack) => (field === 'genres' ? t.genreIds : t.genreIdsAll).map((id) => ds.genres.get(id)?.title ?? String(id));
  let classes = opts.classes;
  if (!classes) {
    const freq = new Map<string, number>();
    for (const t of tracks) for (const g of titlesOf(t)) freq.set(g, (freq.get(g) ?? 0) + 1);
    classes = [...freq.keys()].sort((a, b) => freq.get(b)! - freq.get(a)! || a.localeCompare(b));
  }
  const index = new Map(classes.map((c, i) => [c, i] as const));
  const y = new Uint8Array(tracks.length * classes.length);
  tracks.forEach((t, r) => {
    for (const g of titlesOf(t)) {
      const c = index.get(g);
      if (c !== undefined) y[r * classes!.length + c] = 1;
    }
  });
  return { classes, y };
}
