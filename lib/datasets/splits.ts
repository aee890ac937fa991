/**
 * Train / validation / test partitions, all seeded and reproducible, returned as index lists into
 * whatever the caller splits (tracks, 3-s chunks, segments), so one function serves every level.
 *
 * - randomSplit: the seeds' own split over chunks/segments (seed 000: torch random_split 70/30,
 *   then 10% of train for validation; seed 003: sklearn train_test_split test_size=0.25, then
 *   validation_size=0.2 of the rest). Chunks of one track land on both sides: this leaks.
 * - stratifiedGroupSplit: track-level, stratified by class: every chunk of a track on one side.
 * - faultFilteredSplit: GTZAN's artist-filtered partition (Kereliuk, Sturm & Larsen 2015), from
 *   the lists shipped in data/fault-filtered/.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DATA_DIR } from '../paths';
import { Rng } from './rng';

/** Indices into the split items; `val` may be empty. `excluded`: items left out (fault-filtered only). */
export interface Split {
  train: number[];
  val: number[];
  test: number[];
  excluded?: number[];
}

export interface SplitOptions {
  /** Fraction of all items for test (default 0.3, as seed 000). */
  testSize?: number;
  /** Fraction of the remaining (non-test) items for validation (default 0: no validation set). */
  valSize?: number;
  /** Default 17 (seed 000's seed). */
  seed?: number;
}

function checkFraction(name: string, v: number): void {
  if (!(v >= 0 && v < 1)) throw new Error(`split: ${name} must be in [0, 1), got ${v}`);
}

/** sklearn's rounding: n_test = ceil(testSize * n), the rest is train. */
const nTestOf = (n: number, f: number) => Math.ceil(f * n - 1e-9);

/**
 * Seeded random split of `n` items, ignoring tracks and classes (the seeds' own split).
 * Sizes follow sklearn.train_test_split: test = ceil(testSize * n); validation = ceil(valSize * rest).
 */
export function randomSplit(n: number, opts: SplitOptions = {}): Split {
  const { testSize = 0.3, valSize = 0, seed = 17 } = opts;
  checkFraction('testSize', testSize);
  checkFraction('valSize', valSize);
  const order = new Rng(seed, 'randomSplit', n).shuffle([...Array(n).keys()]);
  const nTest = nTestOf(n, testSize);
  const rest = order.slice(nTest);
  const nVal = nTestOf(rest.length, valSize);
  const sort = (a: number[]) => a.sort((x, y) => x - y);
  return { test: sort(order.slice(0, nTest)), val: sort(rest.slice(0, nVal)), train: sort(rest.slice(nVal)) };
}

/**
 * Track-level stratified split: items sharing a group (the track id of each chunk) always land on
 * the same side, and each class keeps its share on every side. Per class, its groups are shuffled
 * (seeded) and ceil(testSize * groups) go to test (at least one when the class has two or more),
 * then ceil(valSize * rest) to validation. Throws when a group mixes labels.
 *
 * @param labels `[items]` class of each item
 * @param groups `[items]` group (track id) of each item
 */
export function stratifiedGroupSplit(labels: ArrayLike<number | string>, groups: ArrayLike<string>, opts: SplitOptions = {}): Split {
  const { testSize = 0.3, valSize = 0, seed = 17 } = opts;
  checkFraction('testSize', testSize);
  checkFraction('valSize', valSize);
  if (labels.length !== groups.length) throw new Error(`stratifiedGroupSplit: ${labels.length} labels but ${groups.length} groups`);
  const groupLabel = new Map<string, number | string>();
  const members = new Map<string, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const g = groups[i];
    const prev = groupLabel.get(g);
    if (prev !== undefined && prev !== labels[i]) throw new Error(`stratifiedGroupSplit: group '${g}' has items of classes ${prev} and ${labels[i]}`);
    groupLabel.set(g, labels[i]);
    if (!members.has(g)) members.set(g, []);
    members.get(g)!.push(i);
  }
  const byClass = new Map<string, string[]>();
  for (const [g, l] of groupLabel) {
    const k = String(l);
    if (!byClass.has(k)) byClass.set(k, []);
    byClass.get(k)!.push(g);
  }
  const split: Split = { train: [], val: [], test: [] };
  for (const k of [...byClass.keys()].sort()) {
    const gs = new Rng(seed, 'stratifiedGroupSplit', k).shuffle(byClass.get(k)!.sort());
    let nTest = nTestOf(gs.length, testSize);
    if (testSize > 0 && gs.length >= 2) nTest = Math.min(Math.max(nTest, 1), gs.length - 1);
    const rest = gs.slice(nTest);
    let nVal = nTestOf(rest.length, valSize);
    if (valSize > 0 && rest.length >= 2) nVal = Math.min(Math.max(nVal, 1), rest.length - 1);
    for (const g of gs.slice(0, nTest)) split.test.push(...members.get(g)!);
    for (const g of rest.slice(0, nVal)) split.val.push(...members.get(g)!);
    for (const g of rest.slice(nVal)) split.train.push(...members.get(g)!);
  }
  for (const part of [split.train, split.val, split.test]) part.sort((a, b) => a - b);
  return split;
}

export const FAULT_FILTERED_DIR = path.join(DATA_DIR, 'fault-filtered');

/** The three shipped lists: track id ('blues.00012') → 'train' | 'valid' | 'test'. */
export function faultFilteredLists(dir = FAULT_FILTERED_DIR): Map<string, 'train' | 'valid' | 'test'> {
  const out = new Map<string, 'train' | 'valid' | 'test'>();
  for (const part of ['train', 'valid', 'test'] as const) {
    const file = path.join(dir, `${part}_filtered.txt`);
    if (!fs.existsSync(file)) throw new Error(`fault-filtered split: ${file} is missing (it ships with genre-lab in data/fault-filtered/)`);
    const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
    for (const l of lines) {
      // Accept 'blues.00012', 'blues.00012.wav' and 'blues/blues.00012.au' spellings of a track id.
      const id = path.basename(l).replace(/\.(wav|au|mp3)$/i, '');
      if (!/^[a-z]+\.\d{5}$/.test(id)) throw new Error(`${file}: bad track id '${l}'`);
      if (out.has(id)) throw new Error(`${file}: '${id}' also listed in ${out.get(id)}_filtered.txt`);
      out.set(id, part);
    }
  }
  return out;
}

/**
 * GTZAN's fault-filtered (artist-filtered) partition applied to items whose track ids are
 * `trackIds` (one per item: a track, or the track of a chunk). Items of tracks in none of the lists
 * (the 70 excerpts Sturm found repeated, mislabelled or distorted) go to `excluded`.
 * Deterministic: there is nothing random in it.
 */
export function faultFilteredSplit(trackIds: ArrayLike<string>, dir = FAULT_FILTERED_DIR): Split {
  const lists = faultFilteredLists(dir);
  const split: Split = { train: [], val: [], test: [], excluded: [] };
  for (let i = 0; i < trackIds.length; i++) {
    const part = lists.get(trackIds[i]);
    if (part === 'train') split.train.push(i);
    else if (part === 'valid') split.val.push(i);
    else if (part === 'test') split.test.push(i);
    else split.excluded!.push(i);
  }
  return split;
}

/** Groups (e.g. track ids) that have items in more than one part of `split`: empty for a leakage-free split. */
export function leakedGroups(split: Split, groups: ArrayLike<string>): string[] {
  const side = new Map<string, Set<string>>();
  for (const part of ['train', 'val', 'test'] as const) {
    for (const i of split[part]) {
      const g = groups[i];
      if (!side.has(g)) side.set(g, new Set());
      side.get(g)!.add(part);
    }
  }
  return [...side].filter(([, s]) => s.size > 1).map(([g]) => g).sort();
}

/** The items at `indices`: `take(chunks, split.train)`. */
export function take<T>(items: readonly T[], indices: readonly number[]): T[] {
  return indices.map((i) => {
    if (i < 0 || i >= items.length) throw new Error(`take: index ${i} out of range [0, ${items.length})`);
    return items[i];
  });
}
