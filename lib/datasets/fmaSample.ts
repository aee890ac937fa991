/**
 * An FMA root from a flat sample: `tracks_sample.csv` (track_id, path, subset, split, genre_top,
 * genres as ids) beside the official `fma_metadata/genres.csv` and the mp3 folders, as in
 * ../shared/data/fma-sample. FMA's loader reads `fma_metadata/tracks.csv` (three header rows), so
 * this writes one from the sample's columns and links the audio folders beside it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { forEachCsvRow, writeCsv } from './csv';
import { FMA_TRACKS_COLUMNS } from './generate';

export const FMA_SAMPLE_CSV = 'tracks_sample.csv';

/** True when `dir` holds a flat sample (tracks_sample.csv) and no tracks.csv. */
export function isFmaSample(dir: string): boolean {
  return fs.existsSync(path.join(dir, FMA_SAMPLE_CSV)) && !fs.existsSync(path.join(dir, 'fma_metadata', 'tracks.csv'));
}

/** Writes an FMA root for the sample `src` into `dst` (tracks.csv written, genres.csv copied, audio folders linked); returns `dst`. */
export function fmaRootFromSample(src: string, dst: string): string {
  const file = path.join(src, FMA_SAMPLE_CSV);
  const rows: string[][] = [];
  let head: string[] = [];
  forEachCsvRow(fs.readFileSync(file, 'utf8'), file, (f, i) => (i === 0 ? (head = f) : rows.push(f)));
  const col = (name: string) => {
    const k = head.indexOf(name);
    if (k < 0) throw new Error(`${file}: no '${name}' column`);
    return k;
  };
  const [id, subset, split, top, genres] = ['track_id', 'subset', 'split', 'genre_top', 'genres'].map(col);
  fs.mkdirSync(path.join(dst, 'fma_metadata'), { recursive: true });
  fs.copyFileSync(path.join(src, 'fma_metadata', 'genres.csv'), path.join(dst, 'fma_metadata', 'genres.csv'));
  for (const d of fs.readdirSync(src)) {
    const link = path.join(dst, d);
    if (d.startsWith('fma_') && d !== 'fma_metadata' && !fs.existsSync(link)) fs.symlinkSync(path.join(src, d), link);
  }
  const header = [['', ...FMA_TRACKS_COLUMNS.map((c) => c[0])], ['', ...FMA_TRACKS_COLUMNS.map((c) => c[1])], ['track_id', ...FMA_TRACKS_COLUMNS.map(() => '')]];
  const body = rows.map((r) => {
    const v: Record<string, string> = { 'set.subset': r[subset], 'set.split': r[split], 'track.genre_top': r[top], 'track.genres': r[genres], 'track.genres_all': r[genres] };
    return [r[id], ...FMA_TRACKS_COLUMNS.map(([a, b]) => v[`${a}.${b}`] ?? '')];
  });
  writeCsv(path.join(dst, 'fma_metadata', 'tracks.csv'), [...header, ...body]);
  return dst;
}
