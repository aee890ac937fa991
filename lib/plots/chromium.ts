/**
 * Headless Chromium, for what only a browser can do offline: render plotly figures to SVG/PNG
 * (`Plotly.toImage`), and check that an exported notebook's plots really drew (DOM + screenshot).
 * No puppeteer: the stock command line (`--dump-dom`, `--screenshot`) with a virtual-time budget
 * that lets the page's scripts finish before the DOM is read.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { ensureDebianPackage, which } from '../apt';

/** Flags for a sandbox-less, network-silent headless run (root in containers needs --no-sandbox). */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  '--hide-scrollbars',
  '--allow-file-access-from-files',
];

const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

/** The Chromium binary: `$GENRE_LAB_CHROMIUM`, else the first of chromium/chrome on PATH; null if none. */
export function findChromium(): string | null {
  const env = process.env.GENRE_LAB_CHROMIUM;
  if (env) return fs.existsSync(env) ? env : null;
  for (const name of CANDIDATES) {
    const bin = which(name);
    if (bin) return bin;
  }
  return null;
}

/**
 * Finds Chromium, installing Debian's `chromium` with apt-get when it is missing and we are root
 * (fresh CI machines). Used by the tests, not by the user's setup. Returns the binary, or throws
 * with the reason it could not be had.
 */
export function ensureChromium(): string {
  return ensureDebianPackage('chromium', findChromium, "install the 'chromium' package or set GENRE_LAB_CHROMIUM");
}

function run(args: string[], timeoutMs: number): { stdout: string; stderr: string; status: number | null } {
  const bin = findChromium();
  if (!bin) throw new Error("headless Chromium is not installed (Debian: apt-get install chromium; or set GENRE_LAB_CHROMIUM)");
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'genre-lab-chromium-'));
  try {
    const r = spawnSync(bin, [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, ...args], { encoding: 'utf8', maxBuffer: 512 << 20, timeout: timeoutMs });
    if (r.error) throw new Error(`chromium failed to run: ${r.error.message}`);
    return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', status: r.status };
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

function fileUrl(file: string): string {
  return 'file://' + path.resolve(file).split(path.sep).map(encodeURIComponent).join('/');
}

/** Loads a page, lets its scripts run for up to `budgetMs` of virtual time, returns the serialized DOM. */
export function dumpDom(htmlFile: string, opts: { budgetMs?: number; timeoutMs?: number } = {}): string {
  const r = run([`--virtual-time-budget=${opts.budgetMs ?? 30000}`, '--dump-dom', fileUrl(htmlFile)], opts.timeoutMs ?? 180_000);
  if (!r.stdout.includes('<html')) throw new Error(`chromium returned no DOM for ${htmlFile} (exit ${r.status}): ${r.stderr.slice(-800)}`);
  return r.stdout;
}

/** Screenshot of a page after its scripts ran (`width` × `height` CSS px) into `pngFile`. */
export function screenshot(htmlFile: string, pngFile: string, opts: { width?: number; height?: number; budgetMs?: number } = {}): void {
  fs.mkdirSync(path.dirname(path.resolve(pngFile)), { recursive: true });
  const r = run(
    [`--virtual-time-budget=${opts.budgetMs ?? 30000}`, `--window-size=${opts.width ?? 1200},${opts.height ?? 2400}`, `--screenshot=${path.resolve(pngFile)}`, fileUrl(htmlFile)],
    180_000,
  );
  if (!fs.existsSync(pngFile)) throw new Error(`chromium wrote no screenshot for ${htmlFile} (exit ${r.status}): ${r.stderr.slice(-800)}`);
}
