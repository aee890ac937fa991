import * as path from 'path';
import type { Command } from './index';
import { listNotebooks, runNotebook, selectNotebooks } from '../notebook/runner';

export const command: Command = {
  name: 'run',
  summary: 'execute the notebooks headless on the tslab kernel (what `npm start` does)',
  usage: [
    'Usage: genre-lab run [NAME...]',
    '',
    'Executes every notebook in notebooks/ in order (or only those named: file name, stem or',
    'unique part of it) and writes the executed copies with their outputs to results/executed/.',
    'Stops at the first notebook that fails and names the failing cell.',
  ].join('\n'),
  async run(argv) {
    const chosen = selectNotebooks(argv.filter((a) => !a.startsWith('-')));
    if (!chosen.length) {
      console.log(`genre-lab run: no notebooks in notebooks/ yet (${listNotebooks().length})`);
      return 0;
    }
    const t0 = Date.now();
    for (const [i, nb] of chosen.entries()) {
      const name = path.basename(nb);
      process.stdout.write(`[${i + 1}/${chosen.length}] ${name} … `);
      const r = runNotebook(nb);
      if (!r.ok) {
        console.log('FAILED');
        console.error(`\n${name} failed${r.failedCell !== null ? ` in cell ${r.failedCell}` : ''}:\n${r.error}\nThe executed notebook with its outputs: ${r.executed}`);
        return 1;
      }
      console.log(`ok (${r.seconds.toFixed(1)} s)`);
    }
    console.log(`all ${chosen.length} notebook(s) ran in ${((Date.now() - t0) / 1000).toFixed(0)} s; executed copies in results/executed/`);
    return 0;
  },
};
