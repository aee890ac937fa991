import * as fs from 'fs';
import * as path from 'path';
import type { Command } from './index';
import { PROFILES, type Profile } from '../notebook/config';
import { chooseProfile } from '../experiments/resolve';
import { ArgsError, choiceArg, flagArg, numberArg, parseCommandLine } from './args';
import { exportHtml } from '../runner/export';
import { staticOutputs } from '../runner/staticOutputs';
import { listNotebooks, runNotebookAsync, selectNotebooks, type NotebookRun } from '../runner/runner';
import { writeSummary } from '../runner/summary';
import { RESULTS_DIR, ROOT } from '../paths';

interface RunArgs {
  names: string[];
  profile: Profile;
  dataset?: string;
  keepGoing: boolean;
  html: boolean;
  timeoutS: number;
}

function parseRunArgs(argv: string[]): RunArgs {
  const p = parseCommandLine(argv, { profile: { type: 'string' }, dataset: { type: 'string' }, timeout: { type: 'string' }, 'keep-going': { type: 'boolean', short: 'k' }, html: { type: 'boolean' } });
  const timeoutS = numberArg(p, 'timeout') ?? 3600;
  if (!(timeoutS > 0)) throw new ArgsError('--timeout must be a positive number of seconds');
  return {
    names: p.positionals,
    // the flag over GENRE_LAB_PROFILE over 'default' (lib/experiments/resolve's order); the notebooks get it through the environment
    profile: chooseProfile({ flags: { profile: choiceArg(p, 'profile', PROFILES) }, env: process.env }).profile,
    dataset: choiceArg(p, 'dataset', ['generated', 'real'] as const),
    keepGoing: flagArg(p, 'keep-going'),
    html: flagArg(p, 'html'),
    timeoutS,
  };
}

export const command: Command = {
  name: 'run',
  summary: 'execute the notebooks headless on the tslab kernel (what `npm start` does)',
  usage: [
    'Usage: genre-lab run [NAME...] [--profile default|smoke|full] [--dataset generated|real] [--keep-going] [--html] [--timeout S]',
    '',
    'Executes every notebook in notebooks/ in order (or only those named: file name, stem or',
    'unique part of it, e.g. `genre-lab run 05` or `npm start -- audio`), writes the executed copies',
    'with their outputs to results/executed/, each notebook\'s figures and metrics.json to',
    'results/<notebook>/, and results/summary.md + summary.json (this run beside the seeds).',
    '',
    '  --profile    default (each notebook\'s point on the generated data, under 20 minutes in all), smoke',
    '               (seconds per notebook, what CI runs) or full (the seeds\' exact settings, hours)',
    '  --dataset    generated: always the generated stand-in; real: fail unless real data is present',
    '               (default: real GTZAN/FMA when in data/ or named by GENRE_LAB_GTZAN / GENRE_LAB_FMA)',
    '  --keep-going run the remaining notebooks after a failure (default: stop at the first)',
    '  --html       also export each executed notebook to results/executed/<name>.html',
    '  --timeout    per-cell timeout in seconds (default 3600)',
  ].join('\n'),
  async run(argv) {
    let args: RunArgs;
    try {
      args = parseRunArgs(argv);
    } catch (e) {
      if (!(e instanceof ArgsError)) throw e;
      console.error(`genre-lab run: ${(e as Error).message}\n\n${this.usage}`);
      return 2;
    }
    let chosen: string[];
    try {
      chosen = selectNotebooks(args.names);
    } catch (e) {
      console.error(`genre-lab run: ${(e as Error).message}`);
      return 2;
    }
    if (!chosen.length) {
      console.log(`genre-lab run: no notebooks in notebooks/ yet (${listNotebooks().length})`);
      return 0;
    }
    const env: NodeJS.ProcessEnv = { GENRE_LAB_PROFILE: args.profile, ...(args.dataset ? { GENRE_LAB_DATASET: args.dataset } : {}) };
    console.log(`genre-lab run: ${chosen.length} notebook(s), profile ${args.profile}${args.dataset ? `, dataset ${args.dataset}` : ''}`);
    const t0 = Date.now();
    const runs: NotebookRun[] = [];
    // The report (one line per notebook) is this command's output, on stdout; the live cell counter
    // is progress, on stderr where that is a terminal.
    const tty = process.stderr.isTTY;
    let failed = 0;
    for (const [i, nb] of chosen.entries()) {
      const name = path.basename(nb, '.ipynb');
      const head = `[${i + 1}/${chosen.length}] ${name}`;
      const started = Date.now();
      const r = await runNotebookAsync(nb, {
        env,
        timeoutS: args.timeoutS,
        onCell: (c, n) => {
          if (tty) process.stderr.write(`\r${head} … cell ${c + 1}/${n} (${((Date.now() - started) / 1000).toFixed(0)} s)   `);
        },
      });
      runs.push(r);
      if (tty) process.stderr.write(`\r${' '.repeat(head.length + 30)}\r`);
      process.stdout.write(`${head} … `);
      if (!r.ok) {
        failed++;
        console.log('FAILED' + ' '.repeat(20));
        console.error(
          `\n${name} failed${r.failedCell !== null ? ` in cell ${r.failedCell} (0-based, markdown cells included)` : ''}:\n${(r.error ?? '').trim()}\n\n` +
            `The executed notebook with its outputs: ${path.relative(ROOT, r.executed)}\n` +
            `Re-run only this one with: npm start -- ${name}\n`,
        );
        if (!args.keepGoing) break;
        continue;
      }
      let extra = '';
      if (args.html) {
        const x = exportHtml(r.executed, r.executed.replace(/\.ipynb$/, '.html'));
        extra = `, html ${(x.bytes / 1e6).toFixed(1)} MB`;
      }
      // The copy the repository keeps: static SVGs beside the interactive figures, no inlined plotly.js.
      const st = staticOutputs(r.executed);
      extra += `, ${st.figures} static figure(s), ${(st.bytes / 1e3).toFixed(0)} kB`;
      if (st.missing.length) extra += ` (${st.missing.length} without SVG: ${st.missing[0]}…)`;
      console.log(`ok (${r.seconds.toFixed(1)} s${extra})` + ' '.repeat(20));
    }
    const total = (Date.now() - t0) / 1000;
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    const s = writeSummary(runs, { profile: args.profile, totalSeconds: total, since: t0 });
    const skipped = chosen.length - runs.length;
    console.log(
      `\n${runs.length - failed}/${chosen.length} notebook(s) ran in ${total.toFixed(0)} s${skipped ? ` (${skipped} not run after the failure)` : ''}. ` +
        `Executed copies in results/executed/, summary in ${path.relative(ROOT, s.md)}`,
    );
    return failed ? 1 : 0;
  },
};
