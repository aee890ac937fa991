/**
 * Figures of training runs: the accuracy/loss panels of lecture 14's `plot_history` (train vs
 * validation, the picture that shows overfitting), and plain line charts (learning-rate schedules
 * of seed 001, the from-scratch MLP's error per epoch, a sigmoid curve).
 */
import { axis, baseLayout, type Figure, round4, title } from './types';

/** Keras-style history: metric name → one value per epoch (`loss`, `val_loss`, `accuracy`, `val_accuracy`, `lr`, …). */
export type SeriesHistory = Record<string, readonly number[]>;

/** lib/train's history (one log object per epoch), accepted as is. */
export interface EpochHistory {
  /** One log per epoch with numeric fields (`loss`, `accuracy`, `valLoss`, `valAccuracy`, …). */
  epochs: readonly object[];
  bestEpoch?: number;
}

/** EpochLog field → Keras name; fields not listed (lr, seconds, samplesPerSecond, epoch) are not curves. */
const EPOCH_FIELDS: Record<string, string> = {
  loss: 'loss',
  accuracy: 'accuracy',
  valLoss: 'val_loss',
  valAccuracy: 'val_accuracy',
  valApMicro: 'val_ap_micro',
  valApWeighted: 'val_ap_weighted',
};

/** Keras-style series from lib/train's per-epoch logs (fields missing in every epoch are left out). */
export function historySeries(h: EpochHistory): SeriesHistory {
  const out: Record<string, number[]> = {};
  const logs = h.epochs as readonly Record<string, unknown>[];
  for (const [field, name] of Object.entries(EPOCH_FIELDS)) {
    if (logs.some((e) => typeof e[field] === 'number')) out[name] = logs.map((e) => (typeof e[field] === 'number' ? (e[field] as number) : NaN));
  }
  return out;
}

export interface TrainingCurvesOptions {
  title?: string;
  /** 1-based epoch to mark with a dashed line (seed 000 marks the early-stopping best epoch). */
  bestEpoch?: number;
  height?: number;
}

const PRETTY: Record<string, string> = {
  loss: 'train loss',
  val_loss: 'validation loss',
  acc: 'train accuracy',
  accuracy: 'train accuracy',
  val_acc: 'validation accuracy',
  val_accuracy: 'validation accuracy',
};

/**
 * Two stacked panels over epochs 1…n: accuracy-like metrics on top (every key without "loss",
 * except `lr`), losses below, train and validation of one metric in the same panel. Takes a
 * Keras-style record or lib/train's `History` (its `bestEpoch` is marked). An empty history is an
 * error; a history with only losses draws only the loss panel.
 */
export function trainingCurves(h: SeriesHistory | EpochHistory, opts: TrainingCurvesOptions = {}): Figure {
  const isEpochs = Array.isArray((h as EpochHistory).epochs) && typeof (h as EpochHistory).epochs[0] === 'object';
  const history: SeriesHistory = isEpochs ? historySeries(h as EpochHistory) : (h as SeriesHistory);
  if (isEpochs && opts.bestEpoch === undefined && (h as EpochHistory).bestEpoch !== undefined) opts = { ...opts, bestEpoch: (h as EpochHistory).bestEpoch };
  const keys = Object.keys(history).filter((k) => k !== 'lr' && history[k].length > 0);
  if (!keys.length) throw new Error('trainingCurves: the history has no metric with values');
  const lossKeys = keys.filter((k) => k.includes('loss'));
  const accKeys = keys.filter((k) => !k.includes('loss'));
  const two = lossKeys.length > 0 && accKeys.length > 0;
  const data = keys.map((k) => ({
    type: 'scatter',
    mode: 'lines+markers',
    marker: { size: 4 },
    name: PRETTY[k] ?? k,
    x: history[k].map((_, i) => i + 1),
    y: history[k].map(round4),
    ...(two && k.includes('loss') ? { xaxis: 'x2', yaxis: 'y2' } : {}),
    line: { dash: k.startsWith('val') ? 'solid' : 'dot' },
  }));
  const shapes = opts.bestEpoch
    ? [
        { type: 'line', xref: 'x', yref: 'paper', x0: opts.bestEpoch, x1: opts.bestEpoch, y0: 0, y1: 1, line: { color: 'red', dash: 'dash', width: 1.5 } },
        ...(two ? [{ type: 'line', xref: 'x2', yref: 'paper', x0: opts.bestEpoch, x1: opts.bestEpoch, y0: 0, y1: 1, line: { color: 'red', dash: 'dash', width: 1.5 } }] : []),
      ]
    : [];
  const layout: Record<string, unknown> = {
    ...baseLayout({ title: opts.title ?? 'Training curves', height: opts.height ?? (two ? 580 : 360) }),
    margin: { l: 70, r: 30, t: 90, b: 55 },
    shapes,
    legend: { orientation: 'h', x: 0, y: 1.0, yanchor: 'bottom' },
  };
  if (two) {
    Object.assign(layout, {
      xaxis: axis(undefined, { anchor: 'y', matches: 'x2', showticklabels: false }),
      yaxis: axis('Accuracy', { domain: [0.55, 1] }),
      xaxis2: axis('Epoch', { anchor: 'y2' }),
      yaxis2: axis('Loss', { domain: [0, 0.45] }),
    });
  } else {
    Object.assign(layout, { xaxis: axis('Epoch'), yaxis: axis(lossKeys.length ? 'Loss' : 'Accuracy') });
  }
  return { data, layout };
}

export interface LineSeries {
  name: string;
  y: readonly number[];
  /** x values (default 0, 1, 2, … or 1, 2, … with `opts.xStart`). */
  x?: readonly number[];
}

export interface LineChartOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  logY?: boolean;
  /** First x when a series has no `x` (default 0; 1 for epochs). */
  xStart?: number;
  height?: number;
  markers?: boolean;
}

/** Several named lines on one set of axes, e.g. the three LR schedules of seed 001 over epochs. */
export function lineChart(series: readonly LineSeries[] | Record<string, readonly number[]>, opts: LineChartOptions = {}): Figure {
  const list: LineSeries[] = Array.isArray(series) ? [...series] : Object.entries(series).map(([name, y]) => ({ name, y }));
  if (!list.length) throw new Error('lineChart: no series');
  list.forEach((s) => {
    if (s.x && s.x.length !== s.y.length) throw new Error(`lineChart: series '${s.name}' has ${s.x.length} x values and ${s.y.length} y values`);
  });
  return {
    data: list.map((s) => ({
      type: 'scatter',
      mode: opts.markers ? 'lines+markers' : 'lines',
      name: s.name,
      x: s.x ? s.x.map(round4) : s.y.map((_, i) => i + (opts.xStart ?? 0)),
      y: s.y.map(round4),
    })),
    layout: {
      ...baseLayout({ title: opts.title, height: opts.height ?? 340 }),
      xaxis: axis(opts.xTitle),
      yaxis: axis(opts.yTitle, opts.logY ? { type: 'log' } : {}),
      showlegend: list.length > 1,
      legend: { title: title(undefined) },
    },
  };
}
