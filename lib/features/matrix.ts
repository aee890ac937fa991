/**
 * The feature-matrix type of lib/features, in librosa's layout: rows are features or frequency
 * bins, columns are frames (`librosa.feature.mfcc(...).shape == (n_mfcc, frames)`).
 */

/** `[rows, cols]` row-major float32: element (r, c) is `data[r * cols + c]`. */
export interface Matrix {
  data: Float32Array;
  rows: number;
  cols: number;
}

/** A complex `[rows, cols]` matrix (an STFT: rows = 1 + nFft/2 bins, cols = frames), split re/im. */
export interface ComplexMatrix {
  re: Float32Array;
  im: Float32Array;
  rows: number;
  cols: number;
}

export function zeros(rows: number, cols: number): Matrix {
  return { data: new Float32Array(rows * cols), rows, cols };
}

/** Element (r, c). */
export function at(m: Matrix, r: number, c: number): number {
  return m.data[r * m.cols + c];
}

/** Row r as a view `[cols]`. */
export function row(m: Matrix, r: number): Float32Array {
  return m.data.subarray(r * m.cols, (r + 1) * m.cols);
}

/** `[cols, rows]`: frames-major, the layout a sequence model (time steps × features) wants. */
export function transpose(m: Matrix): Matrix {
  const out = new Float32Array(m.data.length);
  for (let r = 0; r < m.rows; r++) for (let c = 0; c < m.cols; c++) out[c * m.rows + r] = m.data[r * m.cols + c];
  return { data: out, rows: m.cols, cols: m.rows };
}

/** Stacks matrices with the same column count on top of each other (np.vstack). */
export function vstack(parts: Matrix[]): Matrix {
  const cols = parts[0]?.cols ?? 0;
  for (const p of parts) if (p.cols !== cols) throw new Error(`vstack: column counts differ (${p.cols} vs ${cols})`);
  const rows = parts.reduce((s, p) => s + p.rows, 0);
  const data = new Float32Array(rows * cols);
  let off = 0;
  for (const p of parts) {
    data.set(p.data, off);
    off += p.data.length;
  }
  return { data, rows, cols };
}

/** Columns [c0, c1) (frames slice, e.g. the first 128 frames as seed 001 keeps). */
export function sliceCols(m: Matrix, c0: number, c1: number): Matrix {
  c1 = Math.min(c1, m.cols);
  const cols = Math.max(0, c1 - c0);
  const data = new Float32Array(m.rows * cols);
  for (let r = 0; r < m.rows; r++) data.set(m.data.subarray(r * m.cols + c0, r * m.cols + c1), r * cols);
  return { data, rows: m.rows, cols };
}

/** Plain nested arrays `[rows][cols]` (for printing, JSON, plotly). */
export function toArray(m: Matrix): number[][] {
  return Array.from({ length: m.rows }, (_, r) => Array.from(m.data.subarray(r * m.cols, (r + 1) * m.cols)));
}
