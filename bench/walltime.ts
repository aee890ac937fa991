/**
 * Full-profile wall time on a whole dataset, scaled from the per-epoch times bench:fidelity measured
 * on a sample: seconds per epoch (a run's seconds / epochs run, median over the runs of each side)
 * × (whole dataset's tracks / the sample's) × the full profile's epochs (or the epochs the seed ran,
 * where it stopped early). Per-epoch time grows with the examples an epoch walks, and every
 * experiment's examples per track are fixed, so the track ratio scales it; the fixed costs of a run
 * (start, features from the cache, test) are counted per epoch too, so short runs overestimate.
 *
 *   npm run bench:walltime -- results/fidelity/gtzan-sample.json [more.json …] [--tracks 1000] [--sample-tracks 50]
 *
 * Prints a markdown table on stdout.
 */
import * as fs from 'fs';
import { getExperiment } from '../lib/experiments/registry';

interface Run {
  experiment: string;
  side: 'ours' | 'reference';
  seconds: number;
  epochsRun: number;
}

/** Epochs the seed actually trained where it stops early (seed 000: stopped at 137 of 200). */
const SEED_EPOCHS: Record<string, number> = { 'seed000-lstm': 137 };

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const human = (s: number) => (s < 90 ? `${s.toFixed(0)} s` : s < 5400 ? `${(s / 60).toFixed(0)} min` : `${(s / 3600).toFixed(1)} h`);

function main(): void {
  const files: string[] = [];
  const opt: Record<string, number> = { tracks: 1000, 'sample-tracks': 50 };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) opt[argv[i].slice(2)] = Number(argv[++i]);
    else files.push(argv[i]);
  }
  if (!files.length) throw new Error('usage: npm run bench:walltime -- results/fidelity/<data>.json [more.json …] [--tracks N] [--sample-tracks N]');
  const runs: Run[] = [];
  let machine = '';
  for (const f of files) {
    const d = JSON.parse(fs.readFileSync(f, 'utf8')) as { meta: { machine: string }; runs: Run[] };
    machine ||= d.meta.machine;
    runs.push(...d.runs);
  }
  const scale = opt.tracks / opt['sample-tracks'];
  const lines = [
    `| experiment | epochs | s/epoch on ${opt['sample-tracks']} tracks, ref / ours | ${opt.tracks} tracks, reference | ${opt.tracks} tracks, genre-lab |`,
    '| --- | --- | --- | --- | --- |',
  ];
  for (const id of [...new Set(runs.map((r) => r.experiment))]) {
    const epochs = SEED_EPOCHS[id] ?? getExperiment(id).profiles.full.epochs;
    const perEpoch = (side: Run['side']) => {
      const xs = runs.filter((r) => r.experiment === id && r.side === side && r.epochsRun > 0).map((r) => r.seconds / r.epochsRun);
      return xs.length ? median(xs) : null;
    };
    const ref = perEpoch('reference');
    const ours = perEpoch('ours');
    const cell = (x: number | null) => (x === null ? '—' : human(x * scale * epochs));
    lines.push(`| ${id} | ${epochs} | ${ref?.toFixed(1) ?? '—'} / ${ours?.toFixed(1) ?? '—'} | ${cell(ref)} | ${cell(ours)} |`);
  }
  process.stdout.write(`${lines.join('\n')}\n\nScaled ×${scale.toFixed(0)} from ${files.join(', ')}; machine: ${machine}.\n`);
}

if (require.main === module) {
  try {
    main();
  } catch (e) {
    console.error(`bench:walltime: ${(e as Error).message}`);
    process.exit(1);
  }
}
