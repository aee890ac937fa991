import type { Command } from './index';
import { ArgsError, flagArg, intArg, numberArg, parseCommandLine, stringArg } from './args';

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

function parse(argv: string[]): { files: string[]; model?: string; top: number; json: boolean; maxSeconds?: number } {
  const p = parseCommandLine(argv, { model: { type: 'string' }, top: { type: 'string' }, json: { type: 'boolean' }, 'max-seconds': { type: 'string' } });
  const maxSeconds = numberArg(p, 'max-seconds');
  if (maxSeconds === 0) throw new ArgsError("--max-seconds must be a number > 0, got '0'");
  if (!p.positionals.length) throw new ArgsError('give at least one audio file');
  return { files: p.positionals, model: stringArg(p, 'model'), top: intArg(p, 'top', 0) ?? 5, json: flagArg(p, 'json'), maxSeconds };
}

/** The command with its output routed through `io` (tests capture it). Returns the exit status. */
export async function runPredict(argv: string[], io: Io = { out: (t) => console.log(t), err: (t) => console.error(t) }): Promise<number> {
  let args;
  try {
    args = parse(argv);
  } catch (e) {
    if (!(e instanceof ArgsError)) throw e;
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
