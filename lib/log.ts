/**
 * Where logs and progress go, decided once for the whole library.
 *  - A program (the CLI, tests, benches): stderr. stdout carries program output alone (`--json`,
 *    tables meant for pipes), so `genre-lab predict x.wav --json | jq .` works.
 *  - A notebook (tslab kernel, see `kernelWriter`): JupyterLab paints a cell's stderr red, as an
 *    error, so logs go to stdout there, and a progress bar is one display that updates in place.
 */
import { kernelWriter } from './plots/show';

/** True inside a notebook kernel. */
export function inNotebook(): boolean {
  return kernelWriter() !== null;
}

/** One log line: stderr in a program, the cell's stdout in a notebook. */
export function logLine(line: string): void {
  (inNotebook() ? process.stdout : process.stderr).write(`${line}\n`);
}

let displays = 0;

/**
 * A progress line that is rewritten as work advances: in a notebook one updating display (the
 * cell shows the latest state), elsewhere a line on stderr each call (callers throttle).
 */
export function progressLine(): (line: string) => void {
  const writer = kernelWriter();
  if (!writer) return (line) => process.stderr.write(`${line}\n`);
  const id = `genre-lab-progress-${process.pid}-${++displays}`;
  let shown = false;
  return (line) => {
    writer({ data: { 'text/plain': line }, metadata: {}, transient: { display_id: id } }, shown);
    shown = true;
  };
}
