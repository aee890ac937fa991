/**
 * Ranking metrics for multi-label genre tagging (seed 002 reports "AUC PR"), with scikit-learn's
 * definitions: `precision_recall_curve` and `average_precision_score`
 * (AP = Σₙ (Rₙ − Rₙ₋₁)·Pₙ over the distinct score thresholds, no interpolation).
 *
 * Three averages over classes, named for what they are:
 * - `micro`: AP of all (example, class) pairs pooled into one ranking (sklearn `average='micro'`).
 * - `macro`: unweighted mean of the per-class APs (sklearn `average='macro'`).
 * - `weighted`: per-class APs weighted by their number of positives (sklearn `average='weighted'`).
 *   Seed 002's code computes THIS and calls it "micro-average"; report it as `weighted`.
 */

export interface PrCurve {
  /** Decreasing thresholds' precision, then 1 (sklearn appends the (recall 0, precision 1) point). */
  precision: number[];
  /** Matching recall, ending in 0. */
  recall: number[];
  /** Distinct scores in increasing order; precision[i], recall[i] hold for score ≥ thresholds[i]. */
  thresholds: number[];
}

function check(yTrue: ArrayLike<number>, scores: ArrayLike<number>, what: string): void {
  if (yTrue.length !== scores.length) throw new Error(`${what}: ${yTrue.length} labels but ${scores.length} scores`);
  if (yTrue.length === 0) throw new Error(`${what}: no examples`);
  for (let i = 0; i < yTrue.length; i++)
    if (yTrue[i] !== 0 && yTrue[i] !== 1) throw new Error(`${what}: label ${yTrue[i]} at index ${i} is not 0 or 1`);
}

/** Cumulative true/false positives at each distinct threshold, scores sorted decreasing. */
function cumulative(yTrue: ArrayLike<number>, scores: ArrayLike<number>): { tps: number[]; fps: number[]; thr: number[] } {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const tps: number[] = [];
  const fps: number[] = [];
  const thr: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    if (yTrue[i] === 1) tp++;
    else fp++;
    if (k === order.length - 1 || scores[order[k + 1]] !== scores[i]) {
      tps.push(tp);
      fps.push(fp);
      thr.push(scores[i]);
    }
  }
  return { tps, fps, thr };
}

/**
 * sklearn `precision_recall_curve(y_true, probas_pred)`. With no positives, recall is 1 at every
 * threshold (sklearn's choice, with its warning).
 */
export function precisionRecallCurve(yTrue: ArrayLike<number>, scores: ArrayLike<number>): PrCurve {
  check(yTrue, scores, 'precisionRecallCurve');
  const { tps, fps, thr } = cumulative(yTrue, scores);
  const pos = tps[tps.length - 1];
  const precision = tps.map((t, i) => (t + fps[i] === 0 ? 0 : t / (t + fps[i])));
  const recall = tps.map((t) => (pos === 0 ? 1 : t / pos));
  return { precision: [...precision.reverse(), 1], recall: [...recall.reverse(), 0], thresholds: thr.reverse() };
}

/** sklearn `average_precision_score` for one binary target. */
export function averagePrecision(yTrue: ArrayLike<number>, scores: ArrayLike<number>): number {
  const { precision, recall } = precisionRecallCurve(yTrue, scores);
  let ap = 0;
  for (let i = 0; i < recall.length - 1; i++) ap -= (recall[i + 1] - recall[i]) * precision[i];
  // sklearn: -np.sum(np.diff(recall) * precision[:-1]); a target with no positives gives -0.0 → 0.
  return ap + 0;
}

export interface MultilabelAp {
  /** Pooled ranking over every (example, class) pair: true micro AP. */
  micro: number;
  /** Mean of per-class AP. */
  macro: number;
  /** Support-weighted mean of per-class AP: what seed 002 prints as "micro-average". */
  weighted: number;
  /** AP per class (classes with no positives included as sklearn computes them). */
  perClass: number[];
  /** Positives per class. */
  support: number[];
}

/** Column c of a row-major [rows, cols] array. */
function column(a: ArrayLike<number>, rows: number, cols: number, c: number): number[] {
  return Array.from({ length: rows }, (_, r) => a[r * cols + c]);
}

/**
 * Multi-label AP from row-major [examples, classes] arrays of 0/1 targets and scores.
 * Per sklearn, classes with no positives are part of the macro mean (AP 0) and weigh 0 in `weighted`.
 */
export function multilabelAveragePrecision(yTrue: ArrayLike<number>, scores: ArrayLike<number>, numClasses: number): MultilabelAp {
  check(yTrue, scores, 'multilabelAveragePrecision');
  const rows = yTrue.length / numClasses;
  if (!Number.isInteger(rows)) throw new Error(`multilabelAveragePrecision: ${yTrue.length} values do not split into rows of ${numClasses} classes`);
  const perClass: number[] = [];
  const support: number[] = [];
  for (let c = 0; c < numClasses; c++) {
    const t = column(yTrue, rows, numClasses, c);
    perClass.push(averagePrecision(t, column(scores, rows, numClasses, c)));
    support.push(t.reduce((a, b) => a + b, 0));
  }
  const totalSupport = support.reduce((a, b) => a + b, 0);
  return {
    micro: averagePrecision(yTrue, scores),
    macro: perClass.reduce((a, b) => a + b, 0) / numClasses,
    weighted: totalSupport === 0 ? 0 : perClass.reduce((s, ap, c) => s + ap * support[c], 0) / totalSupport,
    perClass,
    support,
  };
}

/** One PR curve per class from row-major [examples, classes] arrays (seed 002 plots them per genre). */
export function perClassPrCurves(yTrue: ArrayLike<number>, scores: ArrayLike<number>, numClasses: number): PrCurve[] {
  const rows = yTrue.length / numClasses;
  return Array.from({ length: numClasses }, (_, c) => precisionRecallCurve(column(yTrue, rows, numClasses, c), column(scores, rows, numClasses, c)));
}

/** Positive examples per class in row-major [examples, classes] targets. */
export function positivesPerClass(yTrue: ArrayLike<number>, numClasses: number): number[] {
  const out = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] > 0.5) out[i % numClasses]++;
  return out;
}

/**
 * The class whose precision–recall curve to show: `preferred` when the test set holds positives of
 * it, else the class with the most test positives (a class without positives has no curve: AP 0).
 */
export function curveClass(positives: number[], classes: string[], preferred?: string): number {
  const p = preferred === undefined ? -1 : classes.indexOf(preferred);
  if (p >= 0 && positives[p] > 0) return p;
  let best = 0;
  positives.forEach((n, c) => (n > positives[best] ? (best = c) : 0));
  if (!(positives[best] > 0)) throw new Error('curveClass: no class has a positive example in the test set');
  return best;
}
