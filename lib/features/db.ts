/**
 * Decibel conversions (librosa.power_to_db / amplitude_to_db; torchaudio.functional.amplitude_to_DB
 * is the same formula with ref 1, amin 1e-10 for power).
 */
import type { Matrix } from './matrix';

/** A reference power: a number, 'max' (np.max, seed 002's `ref=np.max`), or a function of the data. */
export type DbRef = number | 'max' | ((S: Float32Array) => number);

export interface DbOptions {
  /** Reference (default 1.0): 0 dB is this value. */
  ref?: DbRef;
  /** Floor before the log (default 1e-10 for power, 1e-5 for amplitude). */
  amin?: number;
  /** Clip everything more than topDb below the peak (default 80; null disables). */
  topDb?: number | null;
}

function maxOf(a: Float32Array): number {
  let m = -Infinity;
  for (let i = 0; i < a.length; i++) if (a[i] > m) m = a[i];
  return m;
}

function refValue(ref: DbRef, S: Float32Array): number {
  if (typeof ref === 'number') return Math.abs(ref);
  if (ref === 'max') return maxOf(S);
  return ref(S);
}

/** 10·log10(max(amin, S) / ref), floored at max − topDb. Same shape as S. */
export function powerToDb(S: Matrix, opts: DbOptions = {}): Matrix {
  const amin = opts.amin ?? 1e-10;
  const topDb = opts.topDb === undefined ? 80 : opts.topDb;
  if (!(amin > 0)) throw new Error(`powerToDb: amin must be > 0, got ${amin}`);
  if (topDb !== null && !(topDb >= 0)) throw new Error(`powerToDb: topDb must be ≥ 0, got ${topDb}`);
  const refDb = 10 * Math.log10(Math.max(amin, refValue(opts.ref ?? 1.0, S.data)));
  const sd = S.data;
  const out = new Float32Array(sd.length);
  let peak = -Infinity, low = Infinity;
  // 10·log10(v) as (10 / ln 10)·ln(v): V8's Math.log is about twice as fast as Math.log10, and the
  // two differ by an ulp or two of float64, far below the float32 the result is stored in (numpy itself takes log10 of librosa's float32 S in float32).
  const c = 10 / Math.LN10;
  for (let i = 0; i < out.length; i++) {
    const v = sd[i];
    const db = Math.fround(c * Math.log(v > amin ? v : amin) - refDb);
    out[i] = db;
    if (db > peak) peak = db;
    if (db < low) low = db;
  }
  if (topDb !== null) {
    const floor = peak - topDb;
    if (low < floor) for (let i = 0; i < out.length; i++) if (out[i] < floor) out[i] = floor;
  }
  return { data: out, rows: S.rows, cols: S.cols };
}

/** librosa.amplitude_to_db: powerToDb(S², ref², amin²); default amin 1e-5. */
export function amplitudeToDb(S: Matrix, opts: DbOptions = {}): Matrix {
  const amin = opts.amin ?? 1e-5;
  const sq = new Float32Array(S.data.length);
  for (let i = 0; i < sq.length; i++) sq[i] = S.data[i] * S.data[i];
  const ref = opts.ref ?? 1.0;
  const r = typeof ref === 'number' ? Math.abs(ref) : refValue(ref, S.data.map(Math.abs));
  return powerToDb({ data: sq, rows: S.rows, cols: S.cols }, { ref: r * r, amin: amin * amin, topDb: opts.topDb });
}
