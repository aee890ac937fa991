import type { Command } from './index';
import { ArgsError, flagArg, parseCommandLine } from './args';

export const command: Command = {
  name: 'list',
  summary: 'name the experiments genre-lab train can run',
  usage: 'Usage: genre-lab list [--json]\n\nOne line per experiment: id, dataset, default split, title. --json prints the configs as data.',
  async run(argv) {
    let json: boolean;
    try {
      json = flagArg(parseCommandLine(argv, { json: { type: 'boolean' } }, { maxPositionals: 0 }), 'json');
    } catch (e) {
      if (!(e instanceof ArgsError)) throw e;
      console.error(`genre-lab list: ${e.message}\n\n${this.usage}`);
      return 2;
    }
    // The registry only needs the model builders at call time, but importing it loads tfjs; fine here.
    const { EXPERIMENTS } = await import('../experiments/registry');
    if (json) {
      const plain = EXPERIMENTS.map(({ build: _b, ...rest }) => rest);
      console.log(JSON.stringify(plain, null, 2));
      return 0;
    }
    const w = Math.max(...EXPERIMENTS.map((e) => e.id.length));
    for (const e of EXPERIMENTS) console.log(`${e.id.padEnd(w)}  ${e.dataset.padEnd(5)}  ${e.defaultSplit.padEnd(5)}  ${e.title}`);
    return 0;
  },
};
