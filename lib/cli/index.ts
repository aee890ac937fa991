/**
 * `genre-lab <command> [...]`. Each command lives in its own file under lib/cli/ and is
 * loaded only when called, so `genre-lab features` does not pay for loading TensorFlow.
 * To add a command: write lib/cli/<name>.ts exporting `command: Command`, add it to COMMANDS.
 */
export interface Command {
  name: string;
  /** One line for `genre-lab --help`. */
  summary: string;
  /** Full usage text for `genre-lab <name> --help`. */
  usage: string;
  /** Returns the process exit code. */
  run(argv: string[]): Promise<number | void>;
}

const COMMANDS: Record<string, () => Command> = {
  run: () => require('./run').command,
  data: () => require('./data').command,
  predict: () => require('./predict').command,
  features: () => require('./features').command,
  train: () => require('./train').command,
  list: () => require('./list').command,
};

export function commandNames(): string[] {
  return Object.keys(COMMANDS);
}

function help(): string {
  const rows = Object.values(COMMANDS).map((load) => {
    const c = load();
    return `  ${c.name.padEnd(10)} ${c.summary}`;
  });
  return ['Usage: genre-lab <command> [options]', '', 'Commands:', ...rows, '', 'genre-lab <command> --help shows its options.'].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return name ? 0 : 1;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`genre-lab: unknown command '${name}'\n\n${help()}`);
    return 2;
  }
  const cmd = load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(cmd.usage);
    return 0;
  }
  return (await cmd.run(rest)) ?? 0;
}
