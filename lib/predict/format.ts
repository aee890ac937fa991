/** Predictions as a text table (CLI, notebook `console.log`), as rows (danfo/plotly tables) and as the CLI's JSON. */
import type { ModelInfo, PredictResult } from './predictor';

const pct = (p: number) => `${(100 * p).toFixed(1).padStart(5)}%`;
const bar = (p: number, width = 20) => '█'.repeat(Math.round(Math.max(0, Math.min(1, p)) * width));

/**
 * One block per file: its length and windows, then rank, genre, probability and a bar; a failed
 * file is one `✗ file: reason` line. Multi-label probabilities are per genre (they need not sum to 1).
 */
export function formatPredictions(results: PredictResult[], info?: ModelInfo): string {
  const lines: string[] = [];
  if (info) {
    lines.push(`model ${info.experiment} (${info.dir}): ${info.multiLabel ? 'multi-label, per-genre sigmoid probabilities' : 'single-label, softmax probabilities'}; ${info.featureKind} at ${info.sampleRate} Hz, ${info.cropFrames === null ? `${info.windowS.toFixed(2)}-s windows` : `${info.windowS.toFixed(1)}-s clips in crops of ${info.cropFrames} frames`}`);
    for (const a of info.assumed) lines.push(`  assumed: ${a}`);
    lines.push('');
  }
  const width = Math.max(5, ...results.flatMap((r) => (r.ok ? r.top.map((t) => t.genre.length) : [])));
  for (const r of results) {
    if (!r.ok) {
      lines.push(`✗ ${r.error}`);
      continue;
    }
    lines.push(`${r.file}  (${r.durationS.toFixed(1)} s, ${r.sampleRate} Hz, ${r.channels} ch; ${r.windows} window${r.windows === 1 ? '' : 's'} averaged)`);
    r.top.forEach((t, i) => lines.push(`  ${String(i + 1).padStart(2)}. ${t.genre.padEnd(width)} ${pct(t.probability)}  ${bar(t.probability)}`));
    for (const w of r.warnings) lines.push(`  note: ${w}`);
  }
  return lines.join('\n');
}

/** Flat rows `{file, rank, genre, probability}` (failed files: rank 0, genre null, the error). */
export interface PredictionRow {
  file: string;
  rank: number;
  genre: string | null;
  probability: number | null;
  error: string | null;
}

export function predictionRows(results: PredictResult[]): PredictionRow[] {
  return results.flatMap((r): PredictionRow[] =>
    r.ok
      ? r.top.map((t, i) => ({ file: r.file, rank: i + 1, genre: t.genre, probability: t.probability, error: null }))
      : [{ file: r.file, rank: 0, genre: null, probability: null, error: r.error }],
  );
}

/** The CLI's `--json` document (schema version 1): the model, then one entry per file in input order. */
export interface PredictJson {
  schema: 'genre-lab.predict/1';
  model: { dir: string; experiment: string; multiLabel: boolean; output: string; classes: string[]; sampleRate: number; windowS: number; cropFrames: number | null; assumed: string[] };
  results: (
    | { file: string; ok: true; top: { genre: string; probability: number }[]; durationS: number; sampleRate: number; channels: number; windows: number; analysedS: number; warnings: string[] }
    | { file: string; ok: false; reason: string; error: string }
  )[];
}

export function predictionsJson(results: PredictResult[], info: ModelInfo): PredictJson {
  return {
    schema: 'genre-lab.predict/1',
    model: { dir: info.dir, experiment: info.experiment, multiLabel: info.multiLabel, output: info.output, classes: info.classNames, sampleRate: info.sampleRate, windowS: info.windowS, cropFrames: info.cropFrames, assumed: info.assumed },
    results: results.map((r) =>
      r.ok
        ? { file: r.file, ok: true as const, top: r.top, durationS: r.durationS, sampleRate: r.sampleRate, channels: r.channels, windows: r.windows, analysedS: r.analysedS, warnings: r.warnings }
        : { file: r.file, ok: false as const, reason: r.reason, error: r.error },
    ),
  };
}
