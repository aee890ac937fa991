import type { Command } from './index';
import { ArgsError, choiceArg, flagArg, intArg, parseCommandLine, stringArg, wholeArg, type OptionSpec } from './args';
import { PROFILES, SPLITS, type RunChoices } from '../experiments/resolve';

const USAGE = [
  'Usage: genre-lab train <experiment> [--data DIR] [--profile default|smoke|full] [--split seed|track|fault-filtered] [--out DIR] [--seed N] [--stream]',
  '                         [--max-epochs N] [--train-on-val] [--split-out FILE] [--split-in FILE]',
  '',
  'Trains one experiment (genre-lab list names them) without a notebook: dataset → features (feature',
  'cache) → model → fit → test metrics, and writes results/<experiment>/ (or --out): model/ with',
  'meta.json, metrics.json (accuracy and classification report, or AUC-PR; confusion matrix, split,',
  'seed, backend, wall time) and history.json.',
  '',
  '  --data DIR      dataset root (GTZAN or FMA layout), or a folder holding gtzan/ and fma/ (what',
  "                  `genre-lab data generate --out DIR` writes; the experiment's dataset is picked);",
  '                  default the generated set under data/generated',
  "  --profile P     default (what npm start runs: seconds to a minute, learns on the generated set),",
  "                  smoke (tiny, seconds: the pipeline runs) or full (the seed's own settings)",
  "  --split S       seed (the seed's own split), track (leakage-free), fault-filtered (real GTZAN only)",
  '  --out DIR       output folder, default results/<experiment>',
  "  --seed N        override the experiment's seed",
  '  --stream        stream batches from the feature cache instead of holding the set in memory',
  '                  (needs a track-level split: --split track or fault-filtered)',
  "  --max-epochs N  cap the profile's epochs (recorded in metrics.json)",
  "  --train-on-val  also train on the validation examples (seed 000's dataet_train leak, faithfully)",
  "  --split-out F   write the split's example ids (<track id>#<row> per part) to F (JSON)",
  '  --split-in F    use the split in F (as --split-out writes it) instead of drawing one',
  '',
  'Each setting comes from, highest first: these flags, the environment (GENRE_LAB_PROFILE,',
  "GENRE_LAB_SEED, GENRE_LAB_GTZAN / GENRE_LAB_FMA), the experiment's registry entry.",
].join('\n');

const OPTIONS: OptionSpec = {
  data: { type: 'string' }, profile: { type: 'string' }, split: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string' },
  stream: { type: 'boolean' }, 'max-epochs': { type: 'string' }, 'train-on-val': { type: 'boolean' }, 'split-out': { type: 'string' }, 'split-in': { type: 'string' },
};

export const command: Command = {
  name: 'train',
  summary: 'train one experiment and write results/<experiment>/ (model, metrics.json, history.json)',
  usage: USAGE,
  async run(argv) {
    let id: string | undefined, flags: RunChoices, outDir: string | undefined;
    try {
      const p = parseCommandLine(argv, OPTIONS, { maxPositionals: 1 });
      id = p.positionals[0];
      if (!id) throw new ArgsError('name an experiment');
      outDir = stringArg(p, 'out');
      flags = {
        profile: choiceArg(p, 'profile', PROFILES), split: choiceArg(p, 'split', SPLITS), seed: wholeArg(p, 'seed'), dataDir: stringArg(p, 'data'),
        stream: flagArg(p, 'stream') || undefined, maxEpochs: intArg(p, 'max-epochs', 1), trainOnVal: flagArg(p, 'train-on-val') || undefined,
        splitOut: stringArg(p, 'split-out'), splitIn: stringArg(p, 'split-in'),
      };
    } catch (e) {
      if (!(e instanceof ArgsError)) throw e;
      console.error(`genre-lab train: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    const { experimentIds, runExperiment, resolveRun } = await import('../experiments');
    if (!experimentIds().includes(id)) {
      console.error(`genre-lab train: unknown experiment '${id}'; known: ${experimentIds().join(', ')}`);
      return 2;
    }
    try {
      // flags over GENRE_LAB_PROFILE / GENRE_LAB_SEED / GENRE_LAB_GTZAN|FMA over the registry (lib/experiments/resolve)
      await runExperiment(resolveRun(id, { flags, env: process.env }), { outDir });
    } catch (e) {
      console.error(`genre-lab train ${id}: ${(e as Error).message}`);
      return 1;
    }
    return 0;
  },
};
