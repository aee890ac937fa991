/**
 * Single-label classification metrics with scikit-learn's definitions (`accuracy_score`,
 * `confusion_matrix`, `precision_recall_fscore_support`, `classification_report`), on plain
 * arrays of class indices so they work on any model's `argmax`.
 * A precision or recall whose denominator is 0 is 0 (sklearn's `zero_division="warn"` value).
 */

function checkPair(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, what: string): void {
  if (yTrue.length !== yPred.length) throw new Error(`${what}: yTrue has ${yTrue.length} labels but yPred has ${yPred.length}`);
  if (yTrue.length === 0) throw new Error(`${what}: no labels`);
}

/** Fraction of exact matches. */
export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkPair(yTrue, yPred, 'accuracy');
  let hit = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) hit++;
  return hit / yTrue.length;
}

/**
 * [numClasses, numClasses] counts, rows = true class, columns = predicted class (sklearn's
 * orientation; seed 000's `pd.crosstab(y_pred, y_true)` is its transpose).
 */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): number[][] {
  checkPair(yTrue, yPred, 'confusionMatrix');
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i];
    const p = yPred[i];
    if (!(t >= 0 && t < numClasses && p >= 0 && p < numClasses && Number.isInteger(t) && Number.isInteger(p)))
      throw new Error(`confusionMatrix: label pair (${t}, ${p}) at index ${i} is outside 0..${numClasses - 1}`);
    m[t][p]++;
  }
  return m;
}

export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface ClassificationReport {
  /** One row per class, in class-index order. */
  classes: (ClassScores & { label: string })[];
  accuracy: number;
  /** Unweighted mean over classes. */
  macro: ClassScores;
  /** Mean over classes weighted by support. */
  weighted: ClassScores;
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);

/** Per-class precision/recall/F1/support plus macro and weighted averages (sklearn `classification_report(output_dict=True)`). */
export function classificationReport(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, classNames: string[]): ClassificationReport {
  const n = classNames.length;
  const cm = confusionMatrix(yTrue, yPred, n);
  const classes = classNames.map((label, c) => {
    const tp = cm[c][c];
    const support = cm[c].reduce((a, b) => a + b, 0);
    const predicted = cm.reduce((s, row) => s + row[c], 0);
    const precision = ratio(tp, predicted);
    const recall = ratio(tp, support);
    return { label, precision, recall, f1: ratio(2 * precision * recall, precision + recall), support };
  });
  const total = yTrue.length;
  const avg = (w: (s: ClassScores) => number, wsum: number): ClassScores => ({
    precision: classes.reduce((s, c) => s + w(c) * c.precision, 0) / wsum,
    recall: classes.reduce((s, c) => s + w(c) * c.recall, 0) / wsum,
    f1: classes.reduce((s, c) => s + w(c) * c.f1, 0) / wsum,
    support: total,
  });
  return { classes, accuracy: accuracy(yTrue, yPred), macro: avg(() => 1, n), weighted: avg((c) => c.support, total) };
}

/** The report as sklearn prints it (2 decimals), for notebooks and logs. */
export function formatReport(r: ClassificationReport, digits = 2): string {
  const w = Math.max(12, ...r.classes.map((c) => c.label.length));
  const f = (x: number) => x.toFixed(digits).padStart(9);
  const row = (name: string, s: ClassScores) => `${name.padStart(w)} ${f(s.precision)} ${f(s.recall)} ${f(s.f1)} ${String(s.support).padStart(9)}`;
  return [
    `${''.padStart(w)} ${'precision'.padStart(9)} ${'recall'.padStart(9)} ${'f1-score'.padStart(9)} ${'support'.padStart(9)}`,
    '',
    ...r.classes.map((c) => row(c.label, c)),
    '',
    `${'accuracy'.padStart(w)} ${''.padStart(9)} ${''.padStart(9)} ${f(r.accuracy)} ${String(r.macro.support).padStart(9)}`,
    row('macro avg', r.macro),
    row('weighted avg', r.weighted),
  ].join('\n');
}

/** Index of the largest value of each row of a row-major [rows, cols] array. */
export function argmaxRows(values: ArrayLike<number>, cols: number): number[] {
  const rows = values.length / cols;
  if (!Number.isInteger(rows)) throw new Error(`argmaxRows: ${values.length} values do not split into rows of ${cols}`);
  const out = new Array<number>(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (values[r * cols + c] > values[r * cols + best]) best = c;
    out[r] = best;
  }
  return out;
}
