/**
 * The embedded dataset: GTZAN- and FMA-shaped sets rendered procedurally (synth.ts, styles.ts),
 * deterministic from a seed, so `npm start`, the notebooks and CI have real audio files in the
 * real datasets' layouts without downloading anything. The loaders (gtzan.ts, fma.ts) read them
 * through exactly the code path they use for the real data.
 *
 * Sizes (defaults, chosen so feature extraction + a smoke training stay at a few minutes on 2 CPU
 * cores, yet a 70/30 track-level split still leaves 3 test tracks per genre):
 * - GTZAN-shaped: 10 genres x 10 tracks x 30 s, 22050 Hz mono 16-bit WAV, `genres/<g>/<g>.000NN.wav`
 *   (about 130 MB; 100 tracks = 1000 3-s chunks).
 * - FMA-shaped: 8 top genres x 16 tracks x 30 s mono MP3 (16 kHz, 48 kbit/s: cheap for LAME in
 *   JS to encode, and the FMA seed resamples to 16 kHz anyway), with
 *   `fma_metadata/tracks.csv` (FMA's 52 columns under a two-level header), `genres.csv`, and
 *   `fma_small/<id/1000>/<id>.mp3`. Tracks carry 1-3 genres over 32 real FMA genre ids.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DATA_DIR } from '../paths';
import { progressLine } from '../log';
import { Rng } from './rng';
import { renderClip, type Style } from './synth';
import { BORROWABLE, borrow, FMA_SUB_STYLES, FMA_TOP_STYLES, GTZAN_STYLES, type FmaSubStyle } from './styles';
import { GTZAN_GENRES } from './gtzan';
import { fmaAudioPath } from './fma';
import type * as Mp3Encode from './mp3encode'; // type-only: see encodeMp3Lazy
import { writeCsv } from './csv';

/** Where `ensureGenerated()` puts the sets: `data/generated/{gtzan,fma}`. */
export const GENERATED_DIR = path.join(DATA_DIR, 'generated');

/** Bump when the synthesis changes, so `ensureGenerated()` re-renders stale copies. */
export const GENERATOR_VERSION = 1;

export interface GenerateOptions {
  /** Output root; `gtzan/` and `fma/` are created inside. Default data/generated. */
  out?: string;
  /** Default 2024. */
  seed?: number;
  /** GTZAN-shaped tracks per genre, default 10. */
  tracksPerGenre?: number;
  /** FMA-shaped tracks per top genre, default 6. */
  fmaTracksPerGenre?: number;
  /** Clip length in seconds, default 30 (both GTZAN and FMA clips are 30 s). */
  durationS?: number;
  /** Probability that a track borrows one ingredient from another genre (styles.ts `borrow`), default 0.25. */
  borrowProb?: number;
  /** Which sets, default both. */
  sets?: Array<'gtzan' | 'fma'>;
  /** Called after each file; `what` is the file written. */
  onProgress?: (done: number, total: number, what: string) => void;
}

/** What was generated, also written as `<set>/generated.json`. */
export interface GeneratedManifest {
  generator: 'genre-lab';
  version: number;
  kind: 'gtzan' | 'fma';
  seed: number;
  tracksPerGenre: number;
  durationS: number;
  borrowProb: number;
  files: number;
  seconds: number;
}

const GTZAN_SR = 22050; // GTZAN: 22050 Hz mono 16-bit (Tzanetakis & Cook 2002)
const FMA_SR = 16000;
const FMA_KBPS = 48;

interface Resolved {
  out: string;
  seed: number;
  tracksPerGenre: number;
  fmaTracksPerGenre: number;
  durationS: number;
  borrowProb: number;
  sets: Array<'gtzan' | 'fma'>;
  onProgress?: GenerateOptions['onProgress'];
}

function resolveOptions(o: GenerateOptions = {}): Resolved {
  const r: Resolved = {
    out: path.resolve(o.out ?? GENERATED_DIR),
    seed: o.seed ?? 2024,
    tracksPerGenre: o.tracksPerGenre ?? 10,
    fmaTracksPerGenre: o.fmaTracksPerGenre ?? 16,
    durationS: o.durationS ?? 30,
    borrowProb: o.borrowProb ?? 0.25,
    sets: o.sets ?? ['gtzan', 'fma'],
    onProgress: o.onProgress,
  };
  for (const k of ['tracksPerGenre', 'fmaTracksPerGenre'] as const) {
    if (!Number.isInteger(r[k]) || r[k] < 1 || r[k] > 100) throw new Error(`generate: ${k} must be an integer in 1..100, got ${r[k]}`);
  }
  if (!(r.durationS > 0 && r.durationS <= 120)) throw new Error(`generate: durationS must be in (0, 120], got ${r.durationS}`);
  if (!Number.isInteger(r.seed)) throw new Error(`generate: seed must be an integer, got ${r.seed}`);
  return r;
}

/** Writes via a temporary name so an interrupted run never leaves a half-written file behind. */
function writeAtomic(file: string, write: (tmp: string) => void): void {
  const tmp = `${file}.tmp-${process.pid}`;
  write(tmp);
  fs.renameSync(tmp, file);
}

/** A genre style, possibly with one ingredient borrowed from another genre. */
function trackStyle(base: Style, rng: Rng, borrowProb: number, donors: Style[]): { style: Style; borrowed?: string } {
  if (!rng.chance(borrowProb)) return { style: base };
  const what = rng.pick(BORROWABLE);
  return { style: borrow(base, rng.pick(donors), what), borrowed: what };
}

/**
 * A canonical 44-byte-header PCM WAV, mono 16-bit, as GTZAN's files are. Written here rather than
 * with lib/audio's general writeWav because the generator writes 100 of them and wavefile's
 * fromScratch is slow per clip. Same scaling: round(x * 32767), clipped.
 */
function pcm16Wav(y: Float32Array, sr: number): Buffer {
  const buf = Buffer.alloc(44 + y.length * 2);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + y.length * 2, 4);
  buf.write('WAVEfmt ', 8, 'ascii');
  buf.writeUInt32LE(16, 16); // fmt chunk size
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(sr, 24);
  buf.writeUInt32LE(sr * 2, 28); // byte rate
  buf.writeUInt16LE(2, 32); // block align
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(y.length * 2, 40);
  for (let i = 0; i < y.length; i++) {
    const v = Math.round(y[i] * 32767);
    buf.writeInt16LE(v > 32767 ? 32767 : v < -32768 ? -32768 : v, 44 + 2 * i);
  }
  return buf;
}

/** GTZAN file name of track `i` of `genre`: `blues.00007.wav`. */
export const gtzanFileName = (genre: string, i: number) => `${genre}.${String(i).padStart(5, '0')}.wav`;

/** Renders the GTZAN-shaped set into `<out>/gtzan/genres/<genre>/<genre>.000NN.wav` (no lock: prefer `generate`). */
export function generateGtzan(options: GenerateOptions = {}): GeneratedManifest {
  const o = resolveOptions(options);
  const root = path.join(o.out, 'gtzan');
  const t0 = Date.now();
  const total = GTZAN_GENRES.length * o.tracksPerGenre;
  let done = 0;
  for (const genre of GTZAN_GENRES) {
    const dir = path.join(root, 'genres', genre);
    fs.mkdirSync(dir, { recursive: true });
    const donors = GTZAN_GENRES.filter((g) => g !== genre).map((g) => GTZAN_STYLES[g]);
    for (let i = 0; i < o.tracksPerGenre; i++) {
      // One independent stream per track: any track can be re-rendered alone.
      const rng = new Rng(o.seed, 'gtzan', genre, i);
      const { style } = trackStyle(GTZAN_STYLES[genre], rng, o.borrowProb, donors);
      const { y } = renderClip(style, rng, GTZAN_SR, o.durationS);
      const file = path.join(dir, gtzanFileName(genre, i));
      writeAtomic(file, (tmp) => fs.writeFileSync(tmp, pcm16Wav(y, GTZAN_SR)));
      o.onProgress?.(++done, total, file);
    }
  }
  const manifest: GeneratedManifest = {
    generator: 'genre-lab', version: GENERATOR_VERSION, kind: 'gtzan', seed: o.seed, tracksPerGenre: o.tracksPerGenre,
    durationS: o.durationS, borrowProb: o.borrowProb, files: total, seconds: (Date.now() - t0) / 1000,
  };
  fs.writeFileSync(path.join(root, 'generated.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

/**
 * The columns of FMA's `fma_metadata/tracks.csv` (fma_metadata.zip, 2017; mdeff/fma `utils.load`
 * reads it with `header=[0, 1], index_col=0`): (group, field) pairs under a first column `track_id`.
 */
export const FMA_TRACKS_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ...['comments', 'date_created', 'date_released', 'engineer', 'favorites', 'id', 'information', 'listens', 'producer', 'tags', 'title', 'tracks', 'type'].map((f) => ['album', f] as const),
  ...['active_year_begin', 'active_year_end', 'associated_labels', 'bio', 'comments', 'date_created', 'favorites', 'id', 'latitude', 'location', 'longitude', 'members', 'name', 'related_projects', 'tags', 'website', 'wikipedia_page'].map((f) => ['artist', f] as const),
  ...['split', 'subset'].map((f) => ['set', f] as const),
  ...['bit_rate', 'comments', 'composer', 'date_created', 'date_recorded', 'duration', 'favorites', 'genre_top', 'genres', 'genres_all', 'information', 'interest', 'language_code', 'license', 'listens', 'lyricist', 'number', 'publisher', 'tags', 'title'].map((f) => ['track', f] as const),
];

interface FmaTrackDraw {
  id: number;
  top: (typeof FMA_TOP_STYLES)[number];
  genres: number[];
  artist: number;
  split: 'training' | 'validation' | 'test';
}

/** Renders the FMA-shaped set into `<out>/fma/{fma_metadata,fma_small}` (no lock: prefer `generate`). */
export function generateFma(options: GenerateOptions = {}): GeneratedManifest {
  const o = resolveOptions(options);
  const root = path.join(o.out, 'fma');
  const t0 = Date.now();
  const rng = new Rng(o.seed, 'fma', 'metadata');
  const subsOf = (top: number) => FMA_SUB_STYLES.filter((s) => s.parent === top);
  const draws: FmaTrackDraw[] = [];
  let nextId = 2; // FMA's first track id is 2; ids are sparse
  for (const top of FMA_TOP_STYLES) {
    for (let i = 0; i < o.fmaTracksPerGenre; i++) {
      const own = subsOf(top.id);
      const genres: number[] = [];
      const r = rng.next();
      if (r < 0.15) genres.push(top.id); // only the top-level genre
      else genres.push(rng.pick(own).id);
      if (rng.chance(0.3)) {
        const extra = rng.pick(own).id;
        if (!genres.includes(extra)) genres.push(extra);
      }
      if (rng.chance(0.2)) {
        // A second family (e.g. Electronic + Hip-Hop): common in FMA's multi-label data.
        const other = rng.pick(FMA_TOP_STYLES.filter((t) => t.id !== top.id));
        genres.push(rng.pick(subsOf(other.id)).id);
      }
      // FMA's split is 80/10/10 per genre_top; here the last tracks of each genre go to val/test
      // (at least one each once a genre has 5 tracks; tiny sets keep their tracks for training).
      const n = o.fmaTracksPerGenre;
      const nTest = n >= 3 ? Math.max(1, Math.round(n * 0.1)) : 0;
      const nVal = n >= 5 ? Math.max(1, Math.round(n * 0.1)) : 0;
      const split = i >= n - nTest ? 'test' : i >= n - nTest - nVal ? 'validation' : 'training';
      draws.push({ id: nextId, top, genres, artist: 1 + FMA_TOP_STYLES.indexOf(top) * 3 + (i % 3), split });
      nextId += rng.int(1, 9);
    }
  }
  const total = draws.length;
  let done = 0;
  const byId = new Map(FMA_SUB_STYLES.map((s) => [s.id, s] as const));
  for (const d of draws) {
    const trackRng = new Rng(o.seed, 'fma', d.id);
    let style: Style = d.top.style;
    for (const g of d.genres) {
      const s = byId.get(g);
      if (!s) continue;
      if (s.parent === d.top.id) style = applySub(style, s);
      else {
        const donor = FMA_TOP_STYLES.find((t) => t.id === s.parent)!.style;
        style = borrow(style, donor, trackRng.pick(BORROWABLE));
      }
    }
    const { y } = renderClip(style, trackRng, FMA_SR, o.durationS);
    const file = path.join(root, fmaAudioPath('small', d.id));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeAtomic(file, (tmp) => fs.writeFileSync(tmp, encodeMp3Lazy(y, FMA_SR, FMA_KBPS)));
    o.onProgress?.(++done, total, file);
  }
  writeFmaMetadata(root, draws, o.durationS);
  const manifest: GeneratedManifest = {
    generator: 'genre-lab', version: GENERATOR_VERSION, kind: 'fma', seed: o.seed, tracksPerGenre: o.fmaTracksPerGenre,
    durationS: o.durationS, borrowProb: o.borrowProb, files: total, seconds: (Date.now() - t0) / 1000,
  };
  fs.writeFileSync(path.join(root, 'generated.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

function encodeMp3Lazy(y: Float32Array, sr: number, kbps: number): Uint8Array {
  // Loaded on first use: the GTZAN-only path never pays for evaluating LAME.
  return (require('./mp3encode') as typeof Mp3Encode).encodeMp3(y, sr, kbps);
}

function applySub(style: Style, s: FmaSubStyle): Style {
  const scale = (r: readonly [number, number], k: number) => [r[0] * k, r[1] * k] as const;
  return {
    ...style,
    tempo: scale(style.tempo, s.tempoScale),
    drive: [Math.max(0, style.drive[0] + s.driveAdd), Math.max(0, style.drive[1] + s.driveAdd)],
    cutoff: scale(style.cutoff, s.cutoffScale),
    noise: scale(style.noise, s.noiseScale),
  };
}

function writeFmaMetadata(root: string, draws: FmaTrackDraw[], durationS: number): void {
  const meta = path.join(root, 'fma_metadata');
  fs.mkdirSync(meta, { recursive: true });
  const parentOf = new Map<number, number>([...FMA_TOP_STYLES.map((t) => [t.id, 0] as const), ...FMA_SUB_STYLES.map((s) => [s.id, s.parent] as const)]);
  const titleOf = new Map<number, string>([...FMA_TOP_STYLES, ...FMA_SUB_STYLES].map((g) => [g.id, g.title] as const));
  const withAncestors = (ids: number[]) => {
    const all = new Set<number>();
    for (let g of ids) {
      while (g) {
        all.add(g);
        g = parentOf.get(g) ?? 0;
      }
    }
    return [...all].sort((a, b) => a - b);
  };
  const header1 = ['', ...FMA_TRACKS_COLUMNS.map((c) => c[0])];
  const header2 = ['', ...FMA_TRACKS_COLUMNS.map((c) => c[1])];
  const header3 = ['track_id', ...FMA_TRACKS_COLUMNS.map(() => '')];
  const counts = new Map<number, number>();
  const rows = draws.map((d) => {
    const all = withAncestors(d.genres);
    for (const g of all) counts.set(g, (counts.get(g) ?? 0) + 1);
    const value: Record<string, string> = {
      'album.id': String(1000 + d.artist), 'album.title': `Generated Album ${d.artist}`, 'album.tracks': '10', 'album.type': 'Album',
      'album.tags': '[]', 'album.date_created': '2017-01-01 00:00:00', 'album.listens': '0', 'album.favorites': '0', 'album.comments': '0',
      'artist.id': String(d.artist), 'artist.name': `Generated Artist ${String(d.artist).padStart(2, '0')}`, 'artist.tags': '[]',
      'artist.comments': '0', 'artist.favorites': '0', 'artist.date_created': '2017-01-01 00:00:00',
      'set.split': d.split, 'set.subset': 'small',
      'track.bit_rate': String(FMA_KBPS * 1000), 'track.comments': '0', 'track.date_created': '2017-01-01 00:00:00',
      'track.duration': String(Math.round(durationS)), 'track.favorites': '0', 'track.genre_top': d.top.title,
      'track.genres': `[${d.genres.join(', ')}]`, 'track.genres_all': `[${all.join(', ')}]`, 'track.interest': '0',
      'track.language_code': '', 'track.license': 'Generated by genre-lab (no copyright)', 'track.listens': '0',
      'track.number': '1', 'track.tags': '[]', 'track.title': `Generated ${d.top.title} ${d.id}`,
    };
    return [String(d.id), ...FMA_TRACKS_COLUMNS.map(([g, f]) => value[`${g}.${f}`] ?? '')];
  });
  writeAtomic(path.join(meta, 'tracks.csv'), (tmp) => writeCsv(tmp, [header1, header2, header3, ...rows]));
  const genreRows = [...titleOf.keys()]
    .sort((a, b) => a - b)
    .map((id) => {
      let top = id;
      while (parentOf.get(top)) top = parentOf.get(top)!;
      return [String(id), String(counts.get(id) ?? 0), String(parentOf.get(id) ?? 0), titleOf.get(id)!, String(top)];
    });
  writeAtomic(path.join(meta, 'genres.csv'), (tmp) => writeCsv(tmp, [['genre_id', '#tracks', 'parent', 'title', 'top_level'], ...genreRows]));
}

/**
 * Renders the sets asked for (default both) into `out` (default data/generated), replacing what was
 * there. Holds the same lock as ensureGenerated, so a notebook calling ensureGenerated meanwhile
 * waits for the finished set instead of seeing (or deleting) a half-written one.
 */
export async function generate(options: GenerateOptions = {}): Promise<{ gtzan?: GeneratedManifest; fma?: GeneratedManifest }> {
  const o = resolveOptions(options);
  fs.mkdirSync(o.out, { recursive: true });
  const release = await acquireLock(path.join(o.out, '.generate.lock'));
  try {
    const result: { gtzan?: GeneratedManifest; fma?: GeneratedManifest } = {};
    for (const k of o.sets) {
      fs.rmSync(path.join(o.out, k), { recursive: true, force: true });
      result[k] = (k === 'gtzan' ? generateGtzan : generateFma)({ ...options, out: o.out });
    }
    return result;
  } finally {
    release();
  }
}

function manifestMatches(dir: string, kind: 'gtzan' | 'fma', o: Resolved): boolean {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'generated.json'), 'utf8')) as GeneratedManifest;
    const perGenre = kind === 'gtzan' ? o.tracksPerGenre : o.fmaTracksPerGenre;
    return m.version === GENERATOR_VERSION && m.kind === kind && m.seed === o.seed && m.tracksPerGenre === perGenre && m.durationS === o.durationS && m.borrowProb === o.borrowProb;
  } catch {
    return false;
  }
}

/**
 * The generated sets, rendered on first call and reused afterwards (a `generated.json` manifest
 * records seed, sizes and generator version; a mismatch re-renders). Safe to call from several
 * processes at once: a lock file serialises the rendering. Returns the two dataset roots.
 */
export async function ensureGenerated(options: GenerateOptions = {}): Promise<{ gtzan: string; fma: string }> {
  const o = resolveOptions(options);
  const dirs = { gtzan: path.join(o.out, 'gtzan'), fma: path.join(o.out, 'fma') };
  const missing = () => o.sets.filter((k) => !manifestMatches(dirs[k], k, o));
  if (!missing().length) return dirs;
  fs.mkdirSync(o.out, { recursive: true });
  const release = await acquireLock(path.join(o.out, '.generate.lock'));
  try {
    const todo = missing(); // another process may have finished while we waited
    for (const k of todo) {
      fs.rmSync(dirs[k], { recursive: true, force: true });
      (k === 'gtzan' ? generateGtzan : generateFma)({ ...options, out: o.out, onProgress: o.onProgress ?? consoleProgress(k) });
    }
  } finally {
    release();
  }
  return dirs;
}

function consoleProgress(kind: 'gtzan' | 'fma'): NonNullable<GenerateOptions['onProgress']> {
  let last = 0;
  const show = progressLine();
  return (done, total, what) => {
    const now = Date.now();
    if (done === total || now - last > 5000) {
      last = now;
      show(`[genre-lab] generating the ${kind === 'gtzan' ? 'GTZAN' : 'FMA'}-shaped set (once): ${done}/${total} ${path.basename(what)}`);
    }
  };
}

/** An exclusive lock file (O_EXCL); a lock older than 10 minutes is taken as abandoned. */
async function acquireLock(file: string): Promise<() => void> {
  for (;;) {
    try {
      const fd = fs.openSync(file, 'wx');
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      return () => fs.rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      try {
        if (Date.now() - fs.statSync(file).mtimeMs > 10 * 60_000) fs.rmSync(file, { force: true });
      } catch {
        /* vanished meanwhile: retry */
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
