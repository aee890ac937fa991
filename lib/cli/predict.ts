import type { Command } from './index';

const USAGE = [
  'Usage: genre-lab predict <file...> [--model DIR|EXPERIMENT] [--top N] [--json] [--max-seconds S]',
  '',
  'Predicts the genres of WAV or MP3 files (any sample rate, channel count or length) with a model',
  'saved by an experiment run. Each file is cut into the windows the model was trained on, every',
  'window is predicted and the predictions are averaged (seed 002\'s test-time augmentation); a file',
  'shorter than one window is padded with silence as training padded short examples.',
  '',
  '  --model DIR         a model folder (results/<experiment>/model) or an experiment id;',
  '                      default: the most recently saved model under results/',
  '  --top N             genres listed per file (default 5; 0 = all)',
  '  --json              one JSON document (schema genre-lab.predict/1) instead of the table',
  '  --max-seconds S     audio analysed per file at most (default 120), windows spread evenly',
  '',
  'Single-label models give softmax probabilities; multi-label (FMA, seed 002) models give each',
  "genre's own sigmoid probability. A missing, unreadable, non-audio or silent file gets a one-line",
  'message and the other files go on. Exit status: 0 when at least one file was predicted, 1 when',
  'none was (or the model was refused), 2 for a usage error.',
].join('\n');

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

class UsageError extends Error {}

function parse(argv: string[]): { files: string[]; model?: string; top: number; json: boolean; maxSeconds?: number } {
  const files: string[] = [];
  let model: string | undefined;
  let top = 5;
  let json = false;
  let maxSeconds: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '--json') json = true;
    else if (a === '--model') model = value();
    else if (a === '--top') {
      const v = value();
      top = Number(v);
      if (!Number.isInteger(top) || top < 0) throw new UsageError(`--top must be a whole number ≥ 0, got '${v}'`);
    } else if (a === '--max-seconds') {
      const v = value();
      maxSeconds = Number(v);
      if (!(maxSeconds > 0)) throw new UsageError(`--max-seconds must be a number > 0, got '${v}'`);
    } else if (a.startsWith('--')) throw new UsageError(`unknown option ${a}`);
    else files.push(a);
  }
  if (!files.length) throw new UsageError('give at least one audio file');
  return { files, model, top, json, maxSeconds };
}

/** The command with its output routed through `io` (tests capture it). Returns the exit status. */
export async function runPredict(argv: string[], io: Io = { out: (t) => console.log(t), err: (t) => console.error(t) }): Promise<number> {
  let args;
  try {
    args = parse(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`genre-lab predict: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  // Loaded here, not at the top: `genre-lab --help` must not pay for TensorFlow.
  const { getPredictor, formatPredictions, predictionsJson } = await import('../predict');
  let predictor;
  try {
    predictor = await getPredictor(args.model);
  } catch (e) {
    io.err(`genre-lab predict: ${(e as Error).message}`);
    return 1;
  }
  const results = await predictor.predictMany(args.files, { top: args.top, maxSeconds: args.maxSeconds });
  const info = predictor.info;
  if (args.json) io.out(JSON.stringify(predictionsJson(results, info), null, 2));
  else io.out(formatPredictions(results, info));
  const failed = results.filter((r) => !r.ok).length;
  if (failed && !args.json) io.err(`${failed} of ${results.length} file(s) could not be predicted`);
  return failed === results.length ? 1 : 0;
}

export const command: Command = {
  name: 'predict',
  summary: 'predict the genres of WAV/MP3 files with a saved model',
  usage: USAGE,
  run: (argv) => runPredict(argv),
};
