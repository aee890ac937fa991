/** MFCCs: DCT-II (orthonormal) of the log-power mel spectrogram (librosa.feature.mfcc). */
import { melspectrogram, type MelSpectrogramOptions } from './mel';
import { powerToDb, type DbOptions } from './db';
import type { Matrix } from './matrix';

/**
 * The DCT-II basis `[nOut, n]`: row k is s_k·cos(π k (2j + 1) / 2n), s_0 = √(1/n), s_k = √(2/n)
 * with 'ortho' (scipy.fftpack.dct(type=2, norm='ortho'), torchaudio.functional.create_dct);
 * norm null gives scipy's unnormalised 2·cos(...).
 */
export function dctMatrix(nOut: number, n: number, norm: 'ortho' | null = 'ortho'): Float64Array {
  const m = new Float64Array(nOut * n);
  for (let k = 0; k < nOut; k++) {
    const s = norm === 'ortho' ? Math.sqrt((k === 0 ? 1 : 2) / n) : 2;
    for (let j = 0; j < n; j++) m[k * n + j] = s * Math.cos((Math.PI * k * (2 * j + 1)) / (2 * n));
  }
  return m;
}

/** dct(S, axis=0)[:nOut] for S `[n, frames]` → `[nOut, frames]`. */
export function dct(S: Matrix, nOut: number, norm: 'ortho' | null = 'ortho'): Matrix {
  if (nOut > S.rows) throw new Error(`dct: cannot keep ${nOut} coefficients of ${S.rows} rows`);
  const D = dctMatrix(nOut, S.rows, norm);
  const T = S.cols, n = S.rows, sd = S.data;
  const out = new Float32Array(nOut * T);
  // The basis is symmetric about the middle row: D[k][n−1−j] = (−1)^k · D[k][j]. So with
  // U_j = S_j + S_{n−1−j} and V_j = S_j − S_{n−1−j} (j < n/2, float64), even k sum D[k][j]·U_j and
  // odd k sum D[k][j]·V_j: half the multiply-adds (and an odd n's middle row only feeds even k,
  // cos(πk/2) being 0 for odd k). Summed in another order than a plain dot product, so a value
  // may differ in its last float64 bits, far below the float32 it is stored in.
  // Row by row as axpys over frames (contiguous in U/V and in the accumulator).
  const h = n >> 1;
  const U = new Float64Array(h * T), V = new Float64Array(h * T);
  for (let j = 0; j < h; j++) {
    const o = j * T, p = (n - 1 - j) * T;
    for (let t = 0; t < T; t++) {
      const a = sd[o + t], b = sd[p + t];
      U[o + t] = a + b;
      V[o + t] = a - b;
    }
  }
  const acc = new Float64Array(T);
  for (let k = 0; k < nOut; k++) {
    acc.fill(0);
    const off = k * n, src = k % 2 === 0 ? U : V;
    let j = 0;
    // four rows per sweep: ((acc + d0·s0) + d1·s1) + … left to right
    for (; j + 4 <= h; j += 4) {
      const d0 = D[off + j], d1 = D[off + j + 1], d2 = D[off + j + 2], d3 = D[off + j + 3];
      const o0 = j * T, o1 = o0 + T, o2 = o1 + T, o3 = o2 + T;
      for (let t = 0; t < T; t++) acc[t] = acc[t] + d0 * src[o0 + t] + d1 * src[o1 + t] + d2 * src[o2 + t] + d3 * src[o3 + t];
    }
    for (; j < h; j++) {
      const d = D[off + j], o = j * T;
      for (let t = 0; t < T; t++) acc[t] += d * src[o + t];
    }
    if (n % 2 === 1 && k % 2 === 0) {
      const d = D[off + h], o = h * T;
      for (let t = 0; t < T; t++) acc[t] += d * sd[o + t];
    }
    out.set(acc, k * T);
  }
  return { data: out, rows: nOut, cols: T };
}

export interface MfccOptions extends MelSpectrogramOptions {
  /** Coefficients kept (default 20). */
  nMfcc?: number;
  /** DCT normalisation (default 'ortho'). */
  dctNorm?: 'ortho' | null;
  /** Cepstral liftering 1 + (L/2)·sin(π(n+1)/L) when > 0 (default 0: none). */
  lifter?: number;
  /** power_to_db settings (librosa: ref 1, amin 1e-10, top_db 80). */
  db?: DbOptions;
  /** A precomputed log-power mel spectrogram `[nMels, frames]` (librosa's mfcc `S=`). */
  melDb?: Matrix;
}

/** librosa.feature.mfcc: `[nMfcc, frames]`. */
export function mfcc(y: Float32Array | null, opts: MfccOptions = {}): Matrix {
  const nMfcc = opts.nMfcc ?? 20;
  const logMel = opts.melDb ?? powerToDb(melspectrogram(y, opts), opts.db);
  const M = dct(logMel, nMfcc, opts.dctNorm === undefined ? 'ortho' : opts.dctNorm);
  const L = opts.lifter ?? 0;
  if (L > 0) {
    for (let k = 0; k < nMfcc; k++) {
      const g = 1 + (L / 2) * Math.sin((Math.PI * (k + 1)) / L);
      for (let t = 0; t < M.cols; t++) M.data[k * M.cols + t] *= g;
    }
  }
  return M;
}
