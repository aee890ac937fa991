/**
 * Runs notebooks headless on the real tslab kernel (scripts/nbrun.py through nbclient in the
 * project venv) and writes each executed notebook, outputs included, under results/.
 */
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
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

/** Executes one notebook; `env` is passed to the kernel (e.g. GENRE_LAB_PROFILE). */
export function runNotebook(src: string, opts: { outDir?: string; timeoutS?: number; env?: NodeJS.ProcessEnv } = {}): NotebookRun {
  if (!fs.existsSync(VENV_PYTHON)) throw new Error('the project venv is missing: run `node scripts/setup.js` (npm start does it)');
  const outDir = opts.outDir ?? path.join(RESULTS_DIR, 'executed');
  const dst = path.join(outDir, path.basename(src));
  const r = spawnSync(VENV_PYTHON, [path.join(ROOT, 'scripts', 'nbrun.py'), src, dst, '--timeout', String(opts.timeoutS ?? 3600)], {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    env: { ...process.env, PYTHONWARNINGS: 'ignore', ...opts.env },
  });
  const last = (r.stdout || '').trim().split('\n').pop() || '';
  let parsed: { ok: boolean; seconds: number; error: string | null; failed_cell: number | null };
  try {
    parsed = JSON.parse(last);
  } catch {
    parsed = { ok: false, seconds: 0, error: `nbrun.py failed: ${(r.stderr || '').slice(-2000)}`, failed_cell: null };
  }
  return { notebook: src, executed: dst, ok: parsed.ok, seconds: parsed.seconds, error: parsed.error, failedCell: parsed.failed_cell };
}
