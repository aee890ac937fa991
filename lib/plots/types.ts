/**
 * A plotly figure as plain data: `{ data, layout }`, exactly what `Plotly.newPlot(div, data,
 * layout)` takes and what the `application/vnd.plotly.v1+json` MIME bundle carries. Builders in
 * lib/plots return these; `show` displays one, `saveFigure` writes one under results/.
 * Layouts use plotly.js 3 conventions (titles are `{ text }` objects; string titles were removed).
 */
export interface Trace {
  type: string;
  [key: string]: unknown;
}

export interface Figure {
  data: Trace[];
  layout: Record<string, unknown>;
}

/**
 * A 2-D array as the builders accept it: rows of numbers (`number[][]`, `Float32Array[]`), a
 * flat row-major buffer with its shape (`{ data, shape: [rows, cols] }`, e.g. a tensor's
 * `dataSync()` and `shape`), or lib/features' `{ data, rows, cols }`.
 */
export type PlotMatrix =
  | readonly ArrayLike<number>[]
  | { data: ArrayLike<number>; shape: readonly [number, number] | readonly number[] }
  /** lib/features' Matrix: `[rows, cols]` row-major. */
  | { data: ArrayLike<number>; rows: number; cols: number };

/** Rows and columns of a `PlotMatrix`, with a getter; throws on ragged rows or a wrong buffer size. */
export function matrixView(m: PlotMatrix, what = 'matrix'): { rows: number; cols: number; at: (r: number, c: number) => number } {
  if (Array.isArray(m)) {
    const rows = m.length;
    const cols = rows ? (m[0] as ArrayLike<number>).length : 0;
    (m as readonly ArrayLike<number>[]).forEach((r, i) => {
      if (r.length !== cols) throw new Error(`${what}: row ${i} has ${r.length} values, row 0 has ${cols}`);
    });
    return { rows, cols, at: (r, c) => (m as readonly ArrayLike<number>[])[r][c] };
  }
  const flat = m as { data: ArrayLike<number>; shape?: readonly number[]; rows?: number; cols?: number };
  const shape = flat.shape ?? [flat.rows ?? NaN, flat.cols ?? NaN];
  const data = flat.data;
  if (shape.length !== 2) throw new Error(`${what}: expected a 2-D shape, got [${shape.join(', ')}]`);
  const [rows, cols] = shape;
  if (rows * cols !== data.length) throw new Error(`${what}: shape [${rows}, ${cols}] needs ${rows * cols} values, got ${data.length}`);
  return { rows, cols, at: (r, c) => data[r * cols + c] };
}

/** 4 significant digits: enough for a plot, and it keeps saved figures and notebooks small. */
export function round4(v: number): number {
  return Number.isFinite(v) ? Number(v.toPrecision(4)) : v;
}

/** `{ text }` title objects (plotly.js 3). */
export function title(text: string | undefined): { text: string } | undefined {
  return text === undefined ? undefined : { text };
}

/** Layout shared by every builder: white background, light grid, compact margins. */
export function baseLayout(opts: { title?: string; height?: number; width?: number }): Record<string, unknown> {
  return {
    title: title(opts.title),
    height: opts.height ?? 400,
    ...(opts.width ? { width: opts.width } : {}),
    margin: { l: 70, r: 30, t: opts.title ? 50 : 20, b: 55 },
    paper_bgcolor: 'white',
    plot_bgcolor: 'white',
    font: { family: 'Helvetica, Arial, sans-serif', size: 13 },
  };
}

/** Axis defaults with a title. */
export function axis(text: string | undefined, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { title: title(text), gridcolor: '#e5e5e5', zerolinecolor: '#bdbdbd', linecolor: '#888', ...extra };
}
