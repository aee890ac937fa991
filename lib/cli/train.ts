import type { Command } from './index';

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
].join('\n');

function parse(argv: string[]): { id?: string; opts: Record<string, string> } {
  const opts: Record<string, string> = {};
  let id: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--stream' || a === '--train-on-val') opts[a.slice(2)] = 'true';
    else if (a.startsWith('--')) {
      const [k, inline] = a.slice(2).split('=', 2);
      const v = inline ?? argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`option --${k} needs a value`);
      opts[k] = v;
    } else if (!id) id = a;
    else throw new Error(`unexpected argument '${a}'`);
  }
  return { id, opts };
}

export const command: Command = {
  name: 'train',
  summary: 'train one experiment and write results/<experiment>/ (model, metrics.json, history.json)',
  usage: USAGE,
  async run(argv) {
    let parsed: ReturnType<typeof parse>;
    try {
      parsed = parse(argv);
    } catch (e) {
      console.error(`genre-lab train: ${(e as Error).message}\n\n${USAGE}`);
      return 2;
    }
    const { id, opts } = parsed;
    const known = ['data', 'profile', 'split', 'out', 'seed', 'stream', 'max-epochs', 'train-on-val', 'split-out', 'split-in'];
    const unknown = Object.keys(opts).filter((k) => !known.includes(k));
    if (!id || unknown.length) {
      console.error(`genre-lab train: ${!id ? 'name an experiment' : `unknown option --${unknown[0]}`}\n\n${USAGE}`);
      return 2;
    }
    const { experimentIds, runExperiment } = await import('../experiments');
    if (!experimentIds().includes(id)) {
      console.error(`genre-lab train: unknown experiment '${id}'; known: ${experimentIds().join(', ')}`);
      return 2;
    }
    const { PROFILES } = await import('../notebook/config');
    const profile = (opts.profile ?? 'default') as (typeof PROFILES)[number];
    if (!PROFILES.includes(profile)) {
      console.error(`genre-lab train: --profile must be default, smoke or full, got '${profile}'`);
      return 2;
    }
    const split = opts.split;
    if (split !== undefined && !['seed', 'track', 'fault-filtered'].includes(split)) {
      console.error(`genre-lab train: --split must be seed, track or fault-filtered, got '${split}'`);
      return 2;
    }
    const seed = opts.seed === undefined ? undefined : Number(opts.seed);
    if (seed !== undefined && !Number.isInteger(seed)) {
      console.error(`genre-lab train: --seed must be an integer, got '${opts.seed}'`);
      return 2;
    }
    const maxEpochs = opts['max-epochs'] === undefined ? undefined : Number(opts['max-epochs']);
    if (maxEpochs !== undefined && !(Number.isInteger(maxEpochs) && maxEpochs >= 1)) {
      console.error(`genre-lab train: --max-epochs must be a positive integer, got '${opts['max-epochs']}'`);
      return 2;
    }
    try {
      await runExperiment(id, {
        profile, split: split as 'seed' | 'track' | 'fault-filtered' | undefined, dataDir: opts.data, outDir: opts.out, seed, stream: opts.stream === 'true',
        maxEpochs, trainOnVal: opts['train-on-val'] === 'true', splitOut: opts['split-out'], splitIn: opts['split-in'],
      });
    } catch (e) {
      console.error(`genre-lab train ${id}: ${(e as Error).message}`);
      return 1;
    }
    return 0;
  },
};
