/** Where things live, resolved from the repository root so no caller depends on its cwd. */
import * as os from 'os';
import * as path from 'path';

/** The repository root (the folder holding package.json). */
export const ROOT = path.resolve(__dirname, '..');
export const NOTEBOOKS_DIR = path.join(ROOT, 'notebooks');
export const RESULTS_DIR = path.join(ROOT, 'results');
export const DATA_DIR = path.join(ROOT, 'data');
export const VENV_PYTHON = path.join(ROOT, '.venv', 'bin', 'python');
/** scripts/setup.js's cache (tfjs binding, TF wheel, Eigen headers, kernel builds); shared by checkouts. */
export const SETUP_CACHE = process.env.GENRE_LAB_CACHE || path.join(os.homedir(), '.cache', 'genre-lab');

/** `results/<experiment>/`, the folder each experiment writes metrics, history, figures and model to. */
export function resultsDir(experiment: string): string {
  return path.join(RESULTS_DIR, experiment);
}
