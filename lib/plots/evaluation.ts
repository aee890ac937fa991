/**
 * Figures of evaluation results: the confusion matrix (seed 000), precision–recall curves
 * (seed 002's per-genre PR curve), bar charts (per-class F1, genre frequencies) and tables.
 */
import { axis, baseLayout, type Figure, type PlotMatrix, matrixView, round4 } from './types';

export interface ConfusionOptions {
  title?: string;
  /** Divide each row by its sum (recall per true class) and print fractions. */
  normalize?: boolean;
  height?: number;
}

/**
 * `matrix[t][p]` = count of samples of true class t predicted as p (scikit-learn's
 * `confusion_matrix` orientation; seed 000 transposed it with `crosstab(pred, true)`: this plot
 * keeps true on the y axis, predicted on x, first class at the top, counts printed in cells).
 */
export function confusionMatrix(matrix: PlotMatrix, classNames: readonly string[], opts: ConfusionOptions = {}): Figure {
  const v = matrixView(matrix, 'confusionMatrix');
  if (v.rows !== v.cols) throw new Error(`confusionMatrix: matrix must be square, got [${v.rows}, ${v.cols}]`);
  if (classNames.length !== v.rows) throw new Error(`confusionMatrix: ${classNames.length} class names for a ${v.rows}×${v.rows} matrix`);
  const z: number[][] = [];
  for (let t = 0; t < v.rows; t++) {
    const row: number[] = [];
    let sum = 0;
    for (let p = 0; p < v.cols; p++) sum += v.at(t, p);
    for (let p = 0; p < v.cols; p++) row.push(opts.normalize ? round4(sum ? v.at(t, p) / sum : 0) : v.at(t, p));
    z.push(row);
  }
  const size = Math.max(360, 60 + 42 * v.rows);
  return {
    data: [
      {
        type: 'heatmap',
        x: [...classNames],
        y: [...classNames],
        z,
        colorscale: 'Blues',
        reversescale: true, // plotly.js's 'Blues' runs dark → light; counts should darken
        texttemplate: opts.normalize ? '%{z:.2f}' : '%{z}',
        hovertemplate: `true label: %{y}<br>predicted label: %{x}<br>${opts.normalize ? 'fraction of the true class' : 'count (examples)'}: %{z}<extra></extra>`,
        colorbar: { title: { text: opts.normalize ? 'fraction' : 'count' } },
      },
    ],
    layout: {
      ...baseLayout({ title: opts.title ?? 'Confusion matrix', height: opts.height ?? size + 40, width: size + 160 }),
      // room for the rotated class names under the axis title
      margin: { l: 100, r: 30, t: 50, b: 110 },
      xaxis: axis('Predicted label', { tickangle: -45, constrain: 'domain' }),
      yaxis: axis('True label', { autorange: 'reversed', scaleanchor: 'x' }),
    },
  };
}

export interface PRCurve {
  name: string;
  precision: readonly number[];
  recall: readonly number[];
  /** Average precision, shown in the legend when given. */
  ap?: number;
}

/** Precision against recall for one or more classes/models, AP in the legend. */
export function prCurve(curves: readonly PRCurve[], opts: { title?: string; height?: number } = {}): Figure {
  if (!curves.length) throw new Error('prCurve: no curves');
  curves.forEach((c) => {
    if (c.precision.length !== c.recall.length) throw new Error(`prCurve: '${c.name}' has ${c.precision.length} precision and ${c.recall.length} recall values`);
  });
  return {
    data: curves.map((c) => ({
      type: 'scatter',
      mode: 'lines',
      line: { shape: 'hv' },
      name: c.ap === undefined ? c.name : `${c.name} (AP ${c.ap.toFixed(3)})`,
      x: c.recall.map(round4),
      y: c.precision.map(round4),
    })),
    layout: {
      ...baseLayout({ title: opts.title ?? 'Precision–recall curve', height: opts.height ?? 400 }),
      xaxis: axis('Recall', { range: [0, 1.02] }),
      yaxis: axis('Precision', { range: [0, 1.05] }),
    },
  };
}

export interface BarOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  horizontal?: boolean;
  height?: number;
}

/**
 * Bars per label. `values` is one series (`number[]`) or several named ones
 * (`{ 'this run': [...], 'seed': [...] }`, drawn grouped).
 */
export function barChart(labels: readonly string[], values: readonly number[] | Record<string, readonly number[]>, opts: BarOptions = {}): Figure {
  const series = Array.isArray(values) ? { value: values as readonly number[] } : (values as Record<string, readonly number[]>);
  for (const [name, ys] of Object.entries(series))
    if (ys.length !== labels.length) throw new Error(`barChart: series '${name}' has ${ys.length} values for ${labels.length} labels`);
  const h = !!opts.horizontal;
  return {
    data: Object.entries(series).map(([name, ys]) => ({
      type: 'bar',
      name,
      orientation: h ? 'h' : 'v',
      x: h ? ys.map(round4) : [...labels],
      y: h ? [...labels] : ys.map(round4),
    })),
    layout: {
      ...baseLayout({ title: opts.title, height: opts.height ?? (h ? Math.max(300, 24 * labels.length + 100) : 360) }),
      barmode: 'group',
      showlegend: !Array.isArray(values),
      xaxis: axis(h ? opts.yTitle : opts.xTitle),
      yaxis: axis(h ? opts.xTitle : opts.yTitle, h ? { autorange: 'reversed' } : {}),
    },
  };
}

/** A table figure (header + rows of cells; numbers are printed with up to 4 significant digits). */
export function table(header: readonly string[], rows: readonly (readonly (string | number | null)[])[], opts: { title?: string; height?: number } = {}): Figure {
  rows.forEach((r, i) => {
    if (r.length !== header.length) throw new Error(`table: row ${i} has ${r.length} cells, the header ${header.length}`);
  });
  const fmt = (c: string | number | null) => (c === null ? '—' : typeof c === 'number' ? String(round4(c)) : c);
  const columns = header.map((_, j) => rows.map((r) => fmt(r[j])));
  return {
    data: [
      {
        type: 'table',
        header: { values: [...header], fill: { color: '#e8eef7' }, align: 'left', font: { size: 13 } },
        cells: { values: columns, align: 'left', height: 26 },
      },
    ],
    layout: { ...baseLayout({ title: opts.title, height: opts.height ?? Math.min(900, 80 + 28 * (rows.length + 1) + (opts.title ? 40 : 0)) }) },
  };
}
