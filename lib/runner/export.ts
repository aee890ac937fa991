/**
 * Executed notebook → one HTML file (nbconvert in the project venv). Plots survive because
 * `show()` gives every figure a text/html output and inlines plotly.js in the first one, so the
 * page holds the library exactly once. nbconvert's template also links require.js and MathJax
 * from a CDN; offline those links only stall the page, so they are removed (notebooks do not use
 * require.js), and the LaTeX of markdown cells is rendered to MathML here instead (math.ts, KaTeX):
 * the page shows formulas offline, with no script and no network request.
 */
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { VENV_PYTHON } from '../paths';
import { renderMarkdownMath } from './math';

export interface ExportResult {
  html: string;
  bytes: number;
  /** How many times plotly.js's source is inlined (1 when the notebook shows any figure). */
  plotlyCopies: number;
  /** CDN `<script src>` tags removed from nbconvert's template. */
  removedCdnScripts: string[];
  /** Formulas of markdown cells rendered to MathML. */
  formulas: number;
}

/** Exports `ipynb` (already executed) to `outHtml`. Throws with nbconvert's message on failure. */
export function exportHtml(ipynb: string, outHtml: string): ExportResult {
  if (!fs.existsSync(ipynb)) throw new Error(`exportHtml: ${ipynb} does not exist`);
  if (!fs.existsSync(VENV_PYTHON)) throw new Error('exportHtml: the project venv is missing: run `node scripts/setup.js`');
  const outDir = path.dirname(path.resolve(outHtml));
  fs.mkdirSync(outDir, { recursive: true });
  const r = spawnSync(VENV_PYTHON, ['-m', 'nbconvert', '--to', 'html', '--output-dir', outDir, '--output', path.basename(outHtml, '.html'), ipynb], {
    encoding: 'utf8',
    env: { ...process.env, PYTHONWARNINGS: 'ignore' },
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`nbconvert failed on ${ipynb}: ${(r.stderr || '').slice(-2000)}`);
  let html = fs.readFileSync(outHtml, 'utf8');
  const removed: string[] = [];
  html = html.replace(/<script\b[^>]*\bsrc="(https?:\/\/[^"]+)"[^>]*>\s*<\/script>/g, (_m, url: string) => {
    removed.push(url);
    return `<!-- removed for offline use: ${url.replace(/--/g, '-')} -->`;
  });
  const math = renderMarkdownMath(html);
  html = math.html;
  fs.writeFileSync(outHtml, html);
  const plotlyCopies = (html.match(/inlined from plotly\.js-dist \*\//g) ?? []).length;
  return { html: outHtml, bytes: Buffer.byteLength(html), plotlyCopies, removedCdnScripts: removed, formulas: math.formulas };
}
