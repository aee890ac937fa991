import * as path from 'path';
import type { Command } from './index';
import { ArgsError, choiceArg, flagArg, intArg, parseCommandLine, stringArg, wholeArg } from './args';

const USAGE = [
  'Usage: genre-lab data generate [--out DIR] [--seed N] [--tracks N] [--fma-tracks N] [--only gtzan|fma]',
  '       genre-lab data check <DIR> [--json]',
  '',
  'generate  renders the embedded datasets (deterministic from --seed, default 2024) into DIR',
  '          (default data/generated): gtzan/genres/<genre>/<genre>.000NN.wav (22050 Hz mono 16-bit,',
  '          30 s; --tracks per genre, default 10) and fma/{fma_metadata/tracks.csv, genres.csv,',
  '          fma_small/NNN/NNNNNN.mp3} (--fma-tracks per top genre, default 16).',
  'check     detects the layout of DIR (GTZAN original, GTZAN Kaggle, FMA), reads every audio file and',
  '          reports tracks per genre, durations, formats and each unreadable file with the reason.',
  '          Exit 0 when the tree is usable (unreadable files are listed, not fatal), 1 when not.',
].join('\n');

async function generateCmd(argv: string[]): Promise<number> {
  const p = parseCommandLine(argv, { out: { type: 'string' }, seed: { type: 'string' }, tracks: { type: 'string' }, 'fma-tracks': { type: 'string' }, only: { type: 'string' } }, { maxPositionals: 0 });
  const only = choiceArg(p, 'only', ['gtzan', 'fma'] as const);
  const seed = wholeArg(p, 'seed'), tracksPerGenre = intArg(p, 'tracks', 1), fmaTracksPerGenre = intArg(p, 'fma-tracks', 1);
  const { generate, GENERATED_DIR } = await import('../datasets/generate');
  const out = path.resolve(stringArg(p, 'out') ?? GENERATED_DIR);
  const t0 = Date.now();
  let last = 0;
  const r = await generate({
    out,
    seed,
    tracksPerGenre,
    fmaTracksPerGenre,
    sets: only ? [only] : undefined,
    onProgress: (done, total, file) => {
      if (done === total || Date.now() - last > 1000) {
        last = Date.now();
        process.stderr.write(`\r  ${done}/${total} ${path.relative(out, file)}`.padEnd(70));
        if (done === total) process.stderr.write('\n');
      }
    },
  });
  for (const m of [r.gtzan, r.fma]) {
    if (m) console.log(`${m.kind}: ${m.files} tracks (seed ${m.seed}, ${m.tracksPerGenre}/genre) in ${path.join(out, m.kind)} (${m.seconds.toFixed(1)} s)`);
  }
  console.log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return 0;
}

async function checkCmd(argv: string[]): Promise<number> {
  const p = parseCommandLine(argv, { json: { type: 'boolean' } }, { maxPositionals: 1 });
  const dir = p.positionals[0];
  const json = flagArg(p, 'json');
  if (!dir) throw new ArgsError('give the dataset folder, e.g. genre-lab data check data/gtzan');
  const { checkDataset, formatCheckReport } = await import('../datasets/check');
  const report = await checkDataset(path.resolve(dir), {
    // A live counter only on a terminal; logs and CI get the report alone.
    onProgress: json || !process.stderr.isTTY ? undefined : (done, total) => process.stderr.write(`\r  reading ${done}/${total}`.padEnd(30) + (done === total ? '\n' : '')),
  });
  console.log(json ? JSON.stringify(report, null, 2) : formatCheckReport(report));
  return report.usable ? 0 : 1;
}

export const command: Command = {
  name: 'data',
  summary: 'generate the embedded datasets, or check a dataset folder',
  usage: USAGE,
  async run(argv) {
    const [sub, ...rest] = argv;
    try {
      if (sub === 'generate') return await generateCmd(rest);
      if (sub === 'check') return await checkCmd(rest);
    } catch (e) {
      if (!(e instanceof ArgsError)) throw e;
      console.error(`genre-lab data ${sub}: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    console.error(`genre-lab data: unknown subcommand '${sub ?? ''}'\n\n${USAGE}`);
    return 2;
  },
};
