/**
 * Feature cache: features of a (dataset, feature config) pair computed once and kept as `.npy`
 * files (np.load-able) under `data/cache/<key>/`, where key = hash(dataset name + root, config).
 *
 *   data/cache/<key>/cache.json                 what the folder holds (dataset, config), for humans
 *   data/cache/<key>/<trackId>.<fileKey>.npy    one array per track
 *   data/cache/<key>/<trackId>.<fileKey>.err    why a track could not be computed (JSON)
 *
 * fileKey = hash(size, mtime) of the audio file, so an edited or replaced file is recomputed and
 * nothing else; a changed setting is a different key, i.e. a different folder. Each .npy is
 * written under a temporary name and renamed, so a run interrupted halfway leaves only finished
 * tracks, and the next run computes just the rest. Unreadable tracks are recorded and reported,
 * never fatal.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { checkNpy, readNpy, writeNpy, type Npy } from '../features/npy';
import { DATA_DIR } from '../paths';
import { progressLine } from '../log';
import { Rng } from './rng';
import type { Problem, Track } from './types';
import { problemOf } from './validate';

export const CACHE_DIR = path.join(DATA_DIR, 'cache');

/** What a feature function returns for one track: row-major data and its shape (e.g. `[chunks, nMfcc, frames]`). */
export interface FeatureArray {
  data: Float32Array;
  shape: number[];
}
/** Either a FeatureArray or lib/features' Matrix (`[rows, cols]`). */
export type FeatureResult = FeatureArray | { data: Float32Array; rows: number; cols: number };

export interface CacheOptions<T extends Track = Track> {
  /**
   * The dataset: a loaded Dataset (its name and root select the cache folder), or any string that
   * names the data uniquely (e.g. 'gtzan:/data/gtzan'). Subsets of a dataset's tracks share a folder.
   */
  dataset: string | { name: string; root: string };
  /** The feature settings (JSON-serialisable): every setting that changes the numbers belongs here. */
  config: Record<string, unknown>;
  /** Computes one track's features (typically: load audio, chunk, mfcc). Throwing marks the track bad. */
  compute: (track: T) => Promise<FeatureResult> | FeatureResult;
  /**
   * Computes many tracks at once (e.g. on a worker pool, lib/features/batch), handing each result
   * or error to `done` as it arrives; used instead of `compute` for the tracks not in the cache.
   */
  computeAll?: (tracks: T[], done: (index: number, result: FeatureResult | Error) => void) => Promise<void>;
  /** Cache root, default data/cache. */
  dir?: string;
  /** Progress callback; default prints a progress line to stderr every 2 s (pass `false` for silence). */
  onProgress?: ((p: CacheProgress) => void) | false;
  /** Recompute tracks recorded as bad by an earlier run (default false: report them again without retrying). */
  retryBad?: boolean;
}

export interface CacheProgress {
  done: number;
  total: number;
  hits: number;
  computed: number;
  failed: number;
  elapsedS: number;
  /** Estimated seconds left (computations only), NaN before the first one. */
  etaS: number;
}

export interface CacheEntry<T extends Track = Track> {
  track: T;
  /** The .npy file. */
  file: string;
  shape: number[];
}

export interface CacheResult<T extends Track = Track> {
  /** The cache folder. */
  dir: string;
  /** One per readable track, in the order of the input. */
  entries: CacheEntry<T>[];
  /** Tracks that failed (this run or a recorded earlier one), with reasons. */
  problems: Problem[];
  hits: number;
  computed: number;
  /** Stale .npy/.err files removed (their audio changed). */
  removed: number;
  /** Damaged .npy files (size disagrees with their header) recomputed. */
  repaired: number;
}

/** JSON with sorted keys, so {a, b} and {b, a} hash the same. */
export function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableStringify((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

const sha = (s: string, n = 16) => crypto.createHash('sha256').update(s).digest('hex').slice(0, n);

/** The cache folder name of a (dataset, config): 16 hex digits of a SHA-256. */
export function cacheKey(dataset: CacheOptions['dataset'], config: Record<string, unknown>): string {
  const d = typeof dataset === 'string' ? { dataset } : { dataset: dataset.name, root: path.resolve(dataset.root) };
  return sha(stableStringify({ ...d, config }));
}

/** Identity of an audio file's content without reading it: size and modification time. */
export function fileKey(file: string): string {
  const st = fs.statSync(file);
  return sha(`${st.size}:${Math.round(st.mtimeMs)}`, 12);
}

/** Track ids become file names: keep them safe (FMA ids are digits, GTZAN 'blues.00007'). */
function safeId(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_');
}

function asArray(r: FeatureResult, track: Track): FeatureArray {
  const a: FeatureArray = 'shape' in r ? r : { data: r.data, shape: [r.rows, r.cols] };
  const n = a.shape.reduce((x, y) => x * y, 1);
  if (!(a.data instanceof Float32Array) || n !== a.data.length) {
    throw new Error(`feature cache: compute(${track.id}) returned ${a.data?.length} values for shape [${a.shape}]`);
  }
  return a;
}

function defaultProgress(label: string): (p: CacheProgress) => void {
  let last = 0;
  const show = progressLine(); // stderr, or an updating display in a notebook (lib/log.ts)
  return (p) => {
    const now = Date.now();
    if (p.done !== p.total && now - last < 2000) return;
    last = now;
    const width = 24;
    const fill = Math.round((width * p.done) / Math.max(1, p.total));
    const eta = Number.isFinite(p.etaS) && p.done < p.total ? `, ~${Math.ceil(p.etaS)} s left` : '';
    show(
      `[cache ${label}] ${'#'.repeat(fill)}${'.'.repeat(width - fill)} ${p.done}/${p.total} (${p.hits} cached, ${p.computed} computed, ${p.failed} failed) ${p.elapsedS.toFixed(1)} s${eta}`,
    );
  };
}

/**
 * Features of every track, from the cache where valid, computed (and stored) where not.
 * Returns the entries in input order; bad tracks are in `problems`, not thrown.
 */
export async function cacheFeatures<T extends Track>(tracks: T[], opts: CacheOptions<T>): Promise<CacheResult<T>> {
  const key = cacheKey(opts.dataset, opts.config);
  const label = typeof opts.dataset === 'string' ? opts.dataset : opts.dataset.name;
  const dir = path.join(opts.dir ?? CACHE_DIR, key);
  fs.mkdirSync(dir, { recursive: true });
  const manifest = path.join(dir, 'cache.json');
  if (!fs.existsSync(manifest)) {
    fs.writeFileSync(manifest, JSON.stringify({ dataset: opts.dataset, config: opts.config, created: new Date().toISOString() }, null, 2) + '\n');
  }
  const existing = new Map<string, string[]>(); // safe id → files present
  for (const f of fs.readdirSync(dir)) {
    const m = /^(.*)\.([0-9a-f]{12})\.(npy|err)$/.exec(f);
    if (!m) continue;
    if (!existing.has(m[1])) existing.set(m[1], []);
    existing.get(m[1])!.push(f);
  }
  const progress = opts.onProgress === false ? undefined : opts.onProgress ?? defaultProgress(label);
  const t0 = Date.now();
  let computeMs = 0;
  const res: CacheResult<T> = { dir, entries: [], problems: [], hits: 0, computed: 0, removed: 0, repaired: 0 };
  let failed = 0;
  // Pass 1: what the cache holds. Slots keep the input order; misses are computed in pass 2.
  const slots: (CacheEntry<T> | null)[] = new Array(tracks.length).fill(null);
  const misses: { i: number; npy: string; err: string }[] = [];
  for (let i = 0; i < tracks.length; i++) {
    const track = tracks[i];
    const id = safeId(track.id);
    let fk: string;
    try {
      fk = fileKey(track.path);
    } catch {
      res.problems.push({ file: track.path, reason: 'missing', message: `${path.basename(track.path)}: file not found` });
      failed++;
      continue;
    }
    const npy = path.join(dir, `${id}.${fk}.npy`);
    const err = path.join(dir, `${id}.${fk}.err`);
    // Files of this track under another fileKey are stale: its audio changed.
    for (const f of existing.get(id) ?? []) {
      if (!f.includes(`.${fk}.`)) {
        fs.rmSync(path.join(dir, f), { force: true });
        res.removed++;
      }
    }
    if (fs.existsSync(npy)) {
      try {
        // The header's shape and the file's size must agree: a cache file damaged after it was
        // written (truncated by a full disk, a half-copied cache) is recomputed, not read.
        slots[i] = { track, file: npy, shape: checkNpy(npy).shape };
        res.hits++;
        report();
        continue;
      } catch (e) {
        process.stderr.write(`[cache ${label}] ${path.basename(npy)} is damaged (${(e as Error).message.replace(/^readNpy [^:]*: /, '')}): recomputing it\n`);
        fs.rmSync(npy, { force: true });
        res.repaired++;
      }
    }
    if (fs.existsSync(err) && !opts.retryBad) {
      const p = JSON.parse(fs.readFileSync(err, 'utf8')) as Problem;
      res.problems.push(p);
      failed++;
      report();
      continue;
    }
    misses.push({ i, npy, err });
  }

  // Pass 2: compute the misses, storing each as it arrives.
  const store = (m: (typeof misses)[number], r: FeatureResult | Error) => {
    const track = tracks[m.i];
    try {
      if (r instanceof Error) throw r;
      const a = asArray(r, track);
      const tmp = `${m.npy}.tmp-${process.pid}`;
      writeNpy(tmp, a.data, a.shape);
      fs.renameSync(tmp, m.npy);
      fs.rmSync(m.err, { force: true });
      slots[m.i] = { track, file: m.npy, shape: a.shape };
      res.computed++;
    } catch (e) {
      const p = problemOf(track, e);
      fs.writeFileSync(m.err, JSON.stringify(p) + '\n');
      res.problems.push(p);
      failed++;
    }
    report();
  };
  const c0 = Date.now();
  if (opts.computeAll && misses.length) {
    await opts.computeAll(misses.map((m) => tracks[m.i]), (k, r) => {
      computeMs = Date.now() - c0;
      store(misses[k], r);
    });
  } else {
    for (const m of misses) {
      let r: FeatureResult | Error;
      try {
        r = await opts.compute(tracks[m.i]);
      } catch (e) {
        r = e instanceof Error ? e : new Error(String(e));
      }
      computeMs = Date.now() - c0;
      store(m, r);
    }
  }
  res.entries = slots.filter((e): e is CacheEntry<T> => e !== null);
  return res;

  function report(): void {
    if (!progress) return;
    const done = res.hits + res.computed + failed;
    const perCompute = computeMs / Math.max(1, res.computed + failed);
    progress({
      done, total: tracks.length, hits: res.hits, computed: res.computed, failed, elapsedS: (Date.now() - t0) / 1000,
      etaS: res.computed + failed > 0 ? ((tracks.length - done) * perCompute) / 1000 : NaN,
    });
  }
}

/** Reads one cached array. */
export function readCached(entry: CacheEntry): Npy {
  return readNpy(entry.file);
}

export interface CachedBatch {
  /** Row-major `[size, ...shape]`. */
  x: Float32Array;
  /** Shape of one example. */
  shape: number[];
  size: number;
  /** Label of each example (from `labels`), when given. */
  labels: Int32Array | null;
  /** Track id of each example (a chunk's track when `rows`). */
  ids: string[];
}

export interface BatchIteratorOptions {
  batchSize: number;
  /** Treat the first axis of each track's array as examples (chunks/segments); default false: one example per track. */
  rows?: boolean;
  /** Shuffle (seeded; different per epoch). Default false. */
  shuffle?: boolean;
  seed?: number;
  epoch?: number;
  /** With `rows` and `shuffle`: rows are mixed across this many tracks at a time (tf.data-style buffer), default 16. */
  shuffleBufferTracks?: number;
  /** Class index per entry (per track; chunks inherit it). */
  labels?: ArrayLike<number>;
  /** Drop the last incomplete batch. */
  dropLast?: boolean;
}

/**
 * Streams batches from cached .npy files without loading the whole set: at most one shuffle buffer
 * of tracks is in memory. Every example must have the same shape (e.g. fixed-length chunks).
 */
export async function* cachedBatches(entries: CacheEntry[], opts: BatchIteratorOptions): AsyncGenerator<CachedBatch> {
  const { batchSize, rows = false, shuffle = false, seed = 17, epoch = 0, dropLast = false } = opts;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new Error(`cachedBatches: batchSize must be a positive integer, got ${batchSize}`);
  if (opts.labels && opts.labels.length !== entries.length) throw new Error(`cachedBatches: ${opts.labels.length} labels for ${entries.length} entries`);
  if (!entries.length) return;
  const exShape = rows ? entries[0].shape.slice(1) : entries[0].shape;
  for (const e of entries) {
    const s = rows ? e.shape.slice(1) : e.shape;
    if (s.join('x') !== exShape.join('x')) throw new Error(`cachedBatches: ${e.track.id} has example shape [${s}], expected [${exShape}] (as ${entries[0].track.id})`);
  }
  const per = exShape.reduce((a, b) => a * b, 1);
  const rng = new Rng(seed, 'cachedBatches', epoch);
  const order = shuffle ? rng.shuffle([...entries.keys()]) : [...entries.keys()];
  const bufTracks = rows && shuffle ? Math.max(1, opts.shuffleBufferTracks ?? 16) : 1;

  let x = new Float32Array(batchSize * per);
  let labels: number[] = [];
  let ids: string[] = [];
  let n = 0;
  const flush = (): CachedBatch => {
    const b: CachedBatch = { x: n === batchSize ? x : x.slice(0, n * per), shape: exShape, size: n, labels: opts.labels ? Int32Array.from(labels) : null, ids };
    x = new Float32Array(batchSize * per);
    labels = [];
    ids = [];
    n = 0;
    return b;
  };
  for (let start = 0; start < order.length; start += bufTracks) {
    // Load a buffer of tracks, list its examples, shuffle them if asked.
    const group = order.slice(start, start + bufTracks);
    const arrays = group.map((i) => readNpy(entries[i].file).data);
    const examples: Array<[number, number]> = []; // [position in group, row]
    group.forEach((i, g) => {
      const count = rows ? entries[i].shape[0] : 1;
      for (let r = 0; r < count; r++) examples.push([g, r]);
    });
    for (const [g, r] of shuffle ? rng.shuffle(examples) : examples) {
      x.set(arrays[g].subarray(r * per, (r + 1) * per), n * per);
      const e = entries[group[g]];
      if (opts.labels) labels.push(opts.labels[group[g]]);
      ids.push(e.track.id);
      n++;
      if (n === batchSize) yield flush();
    }
  }
  if (n > 0 && !dropLast) yield flush();
}
