/**
 * `genre-lab data check <DIR>`: what a user runs on a fresh download. Detects the layout, indexes
 * with the real loaders, decodes every file once, and reports tracks per genre, durations,
 * formats and each unreadable file with its reason.
 */
import * as fs from 'fs';
import * as path from 'path';
import { detectGtzanLayout, loadGtzan } from './gtzan';
import { loadFma } from './fma';
import type { Dataset, Problem } from './types';

export interface CheckReport {
  dir: string;
  layout: 'gtzan-original' | 'gtzan-kaggle' | 'fma' | 'unknown';
  /** True when at least one readable track in each of two or more classes was found. */
  usable: boolean;
  tracks: number;
  readable: number;
  /** Readable tracks per class (GTZAN genre / FMA genre_top), in class order. */
  perGenre: Record<string, number>;
  durationS: { min: number; max: number; mean: number } | null;
  /** e.g. {"wav 22050 Hz mono 16-bit": 999}. */
  formats: Record<string, number>;
  /** Indexing problems and unreadable files, with reasons. */
  problems: Problem[];
  /** Extra facts (Kaggle feature CSVs present, FMA subset). */
  notes: string[];
}

/** Bits per sample of a WAV file from its fmt chunk (null when not a parseable WAV). */
function wavBits(file: string): number | null {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(512);
    const n = fs.readSync(fd, b, 0, 512, 0);
    if (n < 36 || b.toString('latin1', 0, 4) !== 'RIFF') return null;
    let off = 12;
    while (off + 8 <= n) {
      const id = b.toString('latin1', off, off + 4);
      const size = b.readUInt32LE(off + 4);
      if (id === 'fmt ' && off + 24 <= n) return b.readUInt16LE(off + 22);
      off += 8 + size + (size % 2);
    }
    return null;
  } finally {
    fs.closeSync(fd);
  }
}

function describe(file: string, sr: number, channels: number): string {
  const ext = path.extname(file).slice(1).toLowerCase() || '?';
  const ch = channels === 1 ? 'mono' : channels === 2 ? 'stereo' : `${channels} ch`;
  const bits = ext === 'wav' ? wavBits(file) : null;
  return `${ext} ${sr} Hz ${ch}${bits ? ` ${bits}-bit` : ''}`;
}

export async function checkDataset(dir: string, opts: { onProgress?: (done: number, total: number) => void } = {}): Promise<CheckReport> {
  dir = path.resolve(dir);
  const empty = (layout: CheckReport['layout'], problems: Problem[], notes: string[] = []): CheckReport => ({
    dir, layout, usable: false, tracks: 0, readable: 0, perGenre: {}, durationS: null, formats: {}, problems, notes,
  });
  if (!fs.existsSync(dir)) return empty('unknown', [{ file: dir, reason: 'missing-folder', message: `${dir} does not exist` }]);
  let ds: Dataset;
  const notes: string[] = [];
  if (fs.existsSync(path.join(dir, 'fma_metadata'))) {
    try {
      const fma = await loadFma(dir);
      notes.push(`FMA subset: ${fma.subset} (audio in ${path.relative(dir, fma.audioDir) || '.'}); ${fma.genres.size} genres in genres.csv`);
      ds = fma;
    } catch (e) {
      return empty('fma', [{ file: dir, reason: 'bad-metadata', message: (e as Error).message }]);
    }
  } else if (detectGtzanLayout(dir)) {
    const g = loadGtzan(dir);
    for (const w of ['30', '3'] as const) if (g.featureCsv[w]) notes.push(`Kaggle features: ${path.relative(dir, g.featureCsv[w]!)}`);
    ds = g;
  } else {
    return empty('unknown', [{
      file: dir, reason: 'missing-folder',
      message: `no dataset layout found in ${dir}: expected genres/<genre>/ (GTZAN), Data/genres_original/<genre>/ (GTZAN, Kaggle) or fma_metadata/ + fma_small/ (FMA)`,
    }]);
  }
  const v = await ds.validate(opts);
  const perGenre: Record<string, number> = {};
  for (const c of ds.classes) perGenre[c] = 0;
  for (const t of v.ok) perGenre[t.genre || '(no genre_top)'] = (perGenre[t.genre || '(no genre_top)'] ?? 0) + 1;
  const formats: Record<string, number> = {};
  const byId = new Map(v.ok.map((t) => [t.id, t] as const));
  for (const s of v.stats) {
    const k = describe(byId.get(s.id)!.path, s.sr, s.channels);
    formats[k] = (formats[k] ?? 0) + 1;
  }
  const d = v.stats.map((s) => s.durationS);
  const classesWithTracks = Object.values(perGenre).filter((n) => n > 0).length;
  return {
    dir,
    layout: ds.layout as CheckReport['layout'],
    usable: v.ok.length > 0 && classesWithTracks >= 2,
    tracks: ds.tracks.length,
    readable: v.ok.length,
    perGenre,
    durationS: d.length ? { min: Math.min(...d), max: Math.max(...d), mean: d.reduce((a, b) => a + b, 0) / d.length } : null,
    formats,
    problems: [...ds.problems, ...v.problems],
    notes,
  };
}

/** The human-readable report. */
export function formatCheckReport(r: CheckReport): string {
  const lines = [`${r.dir}`, `layout: ${r.layout}`];
  lines.push(...r.notes);
  lines.push(`tracks: ${r.tracks} indexed, ${r.readable} readable`);
  if (Object.keys(r.perGenre).length) {
    lines.push('per genre:');
    for (const [g, n] of Object.entries(r.perGenre)) lines.push(`  ${g.padEnd(16)} ${n}`);
  }
  if (r.durationS) lines.push(`duration: min ${r.durationS.min.toFixed(2)} s, mean ${r.durationS.mean.toFixed(2)} s, max ${r.durationS.max.toFixed(2)} s`);
  if (Object.keys(r.formats).length) {
    lines.push('formats:');
    for (const [f, n] of Object.entries(r.formats).sort((a, b) => b[1] - a[1])) lines.push(`  ${f.padEnd(28)} ${n}`);
  }
  if (r.problems.length) {
    lines.push(`problems (${r.problems.length}; these files are skipped):`);
    for (const p of r.problems) lines.push(`  [${p.reason}] ${p.message}`);
  } else lines.push('problems: none');
  lines.push(r.usable ? 'usable: yes' : 'usable: NO (needs readable tracks in at least two classes)');
  return lines.join('\n');
}
