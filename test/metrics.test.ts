import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import {
  accuracy,
  averagePredictions,
  classificationReport,
  confusionMatrix,
  cropOffsets,
  formatReport,
  multilabelAveragePrecision,
  perClassPrCurves,
  precisionRecallCurve,
  positivesPerClass,
  curveClass,
} from '../lib/metrics';

// scikit-learn goldens from test/fixtures/metrics/make_goldens.py
const G = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures/metrics/goldens.json'), 'utf8'));
const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs sklearn ${b}`);

test('accuracy, confusion matrix and classification report equal scikit-learn', () => {
  const s = G.single;
  close(accuracy(s.y_true, s.y_pred), s.accuracy, 'accuracy');
  assert.deepEqual(confusionMatrix(s.y_true, s.y_pred, s.names.length), s.confusion);
  const r = classificationReport(s.y_true, s.y_pred, s.names);
  for (const c of r.classes) {
    const ref = s.report[c.label];
    close(c.precision, ref.precision, `${c.label} precision`);
    close(c.recall, ref.recall, `${c.label} recall`);
    close(c.f1, ref['f1-score'], `${c.label} f1`);
    assert.equal(c.support, ref.support);
  }
  for (const [mine, key] of [[r.macro, 'macro avg'], [r.weighted, 'weighted avg']] as const) {
    close(mine.precision, s.report[key].precision, `${key} precision`);
    close(mine.recall, s.report[key].recall, `${key} recall`);
    close(mine.f1, s.report[key]['f1-score'], `${key} f1`);
  }
  close(r.accuracy, s.report.accuracy, 'report accuracy');
  assert.match(formatReport(r), /weighted avg/);
});

test('multi-label AP: micro, macro and weighted (seed 002\'s "micro") equal scikit-learn', () => {
  const m = G.multilabel;
  const C = m.y_true[0].length;
  const ap = multilabelAveragePrecision(m.y_true.flat(), m.scores.flat(), C);
  ap.perClass.forEach((v, c) => close(v, m.per_class[c], `AP class ${c}`));
  close(ap.micro, m.micro, 'micro AP');
  close(ap.macro, m.macro, 'macro AP');
  close(ap.weighted, m.weighted, 'weighted AP');
  // the three averages are genuinely different numbers on this data
  assert.ok(Math.abs(ap.micro - ap.weighted) > 0.01);
});

test('precision-recall curve equals sklearn precision_recall_curve (ties included)', () => {
  const m = G.multilabel;
  const C = m.y_true[0].length;
  const curve = perClassPrCurves(m.y_true.flat(), m.scores.flat(), C)[0];
  const ref = m.pr_curve_class0;
  assert.equal(curve.thresholds.length, ref.thresholds.length);
  curve.precision.forEach((v, i) => close(v, ref.precision[i], `precision[${i}]`));
  curve.recall.forEach((v, i) => close(v, ref.recall[i], `recall[${i}]`));
  curve.thresholds.forEach((v, i) => close(v, ref.thresholds[i], `threshold[${i}]`));
  // hand-checked: sklearn precision_recall_curve([0, 1], [0.1, 0.9])
  assert.deepEqual(precisionRecallCurve([0, 1], [0.1, 0.9]), { precision: [0.5, 1, 1], recall: [1, 1, 0], thresholds: [0.1, 0.9] });
});

test('bad input names the problem', () => {
  assert.throws(() => accuracy([0, 1], [0]), /yTrue has 2 labels but yPred has 1/);
  assert.throws(() => confusionMatrix([0, 3], [0, 1], 3), /outside 0\.\.2/);
  assert.throws(() => multilabelAveragePrecision([0, 2], [0.1, 0.2], 1), /label 2 at index 1 is not 0 or 1/);
});

test('TTA helpers: crop offsets stay inside the sequence, averaging is the element-wise mean', () => {
  let s = 1;
  const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647);
  const offs = cropOffsets(300, 128, 16, rnd);
  assert.equal(offs.length, 16);
  assert.ok(offs.every((o) => o >= 0 && o <= 172 && Number.isInteger(o)));
  assert.deepEqual(cropOffsets(100, 128, 3, rnd), [0, 0, 0]);
  assert.deepEqual(Array.from(averagePredictions([[0, 1], [1, 3]])), [0.5, 2]);
});

test('curveClass: the preferred genre when the test set has positives of it, else the one with most positives', () => {
  // 3 test rows × 3 classes: class 0 never positive, class 2 twice
  const y = [0, 1, 1, 0, 0, 1, 0, 1, 0];
  const pos = positivesPerClass(y, 3);
  assert.deepEqual(pos, [0, 2, 2]);
  assert.equal(curveClass(pos, ['Hip-Hop', 'Rock', 'Pop'], 'Hip-Hop'), 1);
  assert.equal(curveClass(pos, ['Hip-Hop', 'Rock', 'Pop'], 'Pop'), 2);
  assert.throws(() => curveClass([0, 0], ['a', 'b']), /no class has a positive/);
});
