/**
 * Runs notebooks headless on the real tslab kernel (scripts/nbrun.py through nbclient in the
 * project venv) and writes each executed notebook, outputs included, under results/.
 */
import * as fs from 'fs';
import * as path from 'path';
import { spawn, spawnSync } from 'child_process';
import { NOTEBOOKS_DIR, RESULTS_DIR, ROOT, VENV_PYTHON } from '../paths';

export interface NotebookRun {
  notebook: string;
  executed: string;
  ok: boolean;
  seconds: number;
  error: string | null;
  failedCell: number | null;
}

/** The notebooks of `dir` in reading order (their file names start with a number). */
export function listNotebooks(dir: string = NOTEBOOKS_DIR): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith('.ipynb')).sort().map((f) => path.join(dir, f));
}

/** Picks notebooks by name: an exact file name, its stem, or a unique prefix / substring. */
export function selectNotebooks(names: string[], all: string[] = listNotebooks()): string[] {
  if (!names.length) return all;
  return names.map((n) => {
    const hits = all.filter((f) => {
      const base = path.basename(f, '.ipynb');
      return base === n || path.basename(f) === n || base.startsWith(n) || base.includes(n);
    });
    if (hits.length !== 1) {
      const known = all.map((f) => path.basename(f, '.ipynb')).join(', ');
      throw new Error(hits.length ? `'${n}' matches several notebooks: ${hits.map((h) => path.basename(h)).join(', ')}` : `no notebook matches '${n}' (have: ${known})`);
    }
    return hits[0];
  });
}

export interface NotebookRunOptions {
  outDir?: string;
  /** Per-cell timeout in seconds (default 3600). */
  timeoutS?: number;
  /** Passed to the kernel (e.g. GENRE_LAB_PROFILE), on top of this process's environment. */
  env?: NodeJS.ProcessEnv;
}

/**
 * tslab's TypeScript watcher throws "Unexpected pending rebuildTimer" when a source file it
 * watches changes between two cells (e.g. lib/ edited while a notebook runs). Nothing is wrong
 * with the notebook, so such a run is retried once.
 */
const TRANSIENT = /Unexpected pending rebuildTimer/;

function nbrunArgs(src: string, dst: string, opts: NotebookRunOptions, progress: boolean): string[] {
  return [path.join(ROOT, 'scripts', 'nbrun.py'), src, dst, '--timeout', String(opts.timeoutS ?? 3600), ...(progress ? ['--progress'] : [])];
}

function parseResult(src: string, dst: string, stdout: string, stderr: string): NotebookRun {
  const last = (stdout || '').trim().split('\n').pop() || '';
  let parsed: { ok: boolean; seconds: number; error: string | null; failed_cell: number | null };
  try {
    parsed = JSON.parse(last);
  } catch {
    parsed = { ok: false, seconds: 0, error: `nbrun.py failed: ${(stderr || '').slice(-2000)}`, failed_cell: null };
  }
  return { notebook: src, executed: dst, ok: parsed.ok, seconds: parsed.seconds, error: parsed.error, failedCell: parsed.failed_cell };
}

function checkVenv(): void {
  if (!fs.existsSync(VENV_PYTHON)) throw new Error('the project venv is missing: run `node scripts/setup.js` (npm start does it)');
}

/** Executes one notebook; `env` is passed to the kernel (e.g. GENRE_LAB_PROFILE). */
export function runNotebook(src: string, opts: NotebookRunOptions = {}): NotebookRun {
  checkVenv();
  const outDir = opts.outDir ?? path.join(RESULTS_DIR, 'executed');
  const dst = path.join(outDir, path.basename(src));
  for (let attempt = 0; ; attempt++) {
    const r = spawnSync(VENV_PYTHON, nbrunArgs(src, dst, opts, false), {
      encoding: 'utf8',
      maxBuffer: 256 << 20,
      env: { ...process.env, PYTHONWARNINGS: 'ignore', ...opts.env },
    });
    const run = parseResult(src, dst, r.stdout, r.stderr);
    if (run.ok || attempt > 0 || !TRANSIENT.test(run.error ?? '')) return run;
  }
}

/**
 * Executes one notebook like `runNotebook`, without blocking, reporting each cell as it starts
 * (`onCell(index, total)`, indices over all cells, markdown included).
 */
export async function runNotebookAsync(src: string, opts: NotebookRunOptions & { onCell?: (index: number, total: number) => void } = {}): Promise<NotebookRun> {
  checkVenv();
  const outDir = opts.outDir ?? path.join(RESULTS_DIR, 'executed');
  const dst = path.join(outDir, path.basename(src));
  for (let attempt = 0; ; attempt++) {
    const run = await new Promise<NotebookRun>((resolve) => {
      const child = spawn(VENV_PYTHON, nbrunArgs(src, dst, opts, true), { env: { ...process.env, PYTHONWARNINGS: 'ignore', ...opts.env } });
      let stdout = '';
      let stderr = '';
      let pending = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => {
        pending += d.toString();
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          const m = /^\{"cell": (\d+), "of": (\d+)\}$/.exec(line.trim());
          if (m) opts.onCell?.(Number(m[1]), Number(m[2]));
          else stderr += line + '\n';
        }
      });
      child.on('close', () => resolve(parseResult(src, dst, stdout, stderr + pending)));
    });
    if (run.ok || attempt > 0 || !TRANSIENT.test(run.error ?? '')) return run;
  }
}
