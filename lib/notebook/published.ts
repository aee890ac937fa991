/**
 * The numbers the seeds published, with where each comes from, so every notebook's closing table
 * and results/summary.md cite the same values. Only numbers printed in the seeds' write-ups (or,
 * for seed 001, in the upstream project it reproduces) are here; "much better!" is not a number.
 */
export interface Published {
  metric: string;
  value: number;
  source: string;
}

export const PUBLISHED: Record<string, Published[]> = {
  'lecture-mlp': [
    { metric: 'train accuracy', value: 0.96, source: 'seed 003 §13: "Accuracy: 96%, validation accuracy: 63%" (50 epochs)' },
    { metric: 'validation accuracy', value: 0.63, source: 'seed 003 §13 (validation = the 30 % test split)' },
  ],
  'lecture-mlp-regularised': [],
  'lecture-cnn': [
    { metric: 'train accuracy', value: 0.75, source: 'seed 003 §16: "Accuracy on training set ~75%"' },
    { metric: 'validation accuracy', value: 0.72, source: 'seed 003 §16: "validation set ~72%"' },
  ],
  // §19 ends with "The above isn't working for some reason": no number.
  'lecture-lstm': [],
  'seed000-lstm': [
    { metric: 'test accuracy', value: 0.83, source: 'seed 000, classification report (3000 test chunks)' },
    { metric: 'macro F1', value: 0.83, source: 'seed 000, classification report' },
    { metric: 'best epoch (early stopping)', value: 117, source: 'seed 000: best validation loss at epoch 117; training stopped at 137 (= 117 + patience 20)' },
  ],
  'seed001-lstm': [
    { metric: 'test accuracy', value: 0.683, source: 'ruohoruotsi/LSTM-Music-Genre-Classification (seed 001\'s starting point), 8 genres' },
  ],
  'seed001-cnn': [],
  'seed002-gru': [
    { metric: 'AUC-PR "micro" (= support-weighted AP)', value: 0.18, source: 'seed 002: "rnn micro-average: 0.18"' },
    { metric: 'AUC-PR "micro" with TTA', value: 0.19, source: 'seed 002: Test-Time Augmentation, rnn 0.19' },
  ],
  'seed002-transformer': [
    { metric: 'AUC-PR "micro" (= support-weighted AP)', value: 0.2, source: 'seed 002: "transformer micro-average: 0.20"' },
    { metric: 'AUC-PR "micro" with TTA', value: 0.22, source: 'seed 002: Test-Time Augmentation, transformer 0.22' },
  ],
  // Seed 004's README reports no accuracy.
  'seed004-cnn': [],
  'seed004-cnn-faithful': [],
  'seed004-cnn-code': [],
};

/** The published value of `metric` for experiment `id`, or null (with its source, when there is one). */
export function published(id: string, metric: string): { value: number | null; source: string } {
  const rows = PUBLISHED[id];
  if (!rows) throw new Error(`published: unknown experiment '${id}' (known: ${Object.keys(PUBLISHED).join(', ')})`);
  const hit = rows.find((r) => r.metric === metric);
  return hit ? { value: hit.value, source: hit.source } : { value: null, source: rows.length ? 'not published' : 'the seed publishes no number' };
}
