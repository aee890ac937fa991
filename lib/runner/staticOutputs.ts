/**
 * Makes an executed notebook readable where plotly does not draw (GitHub, nbviewer, a plain
 * nbconvert export) and small enough to keep in the repository: every figure output that
 * `NotebookSession.figure` showed (its metadata names the saved `<stem>.json`) gets the static
 * `<stem>.svg` that `nb.finish()` rendered, as `image/svg+xml`, beside the interactive
 * `application/vnd.plotly.v1+json` (JupyterLab still draws that one); its `text/html` fallback,
 * which carries the whole of plotly.js in the first figure, is dropped, and so is the interactive
 * figure itself when it is large (a spectrogram's plotly JSON is ~0.5 MB): there the SVG stays, and
 * the text says where the interactive page is (`results/<notebook>/figures/<name>.html`).
 */
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from '../paths';
import { FIGURE_META, PLOTLY_MIME } from '../plots/show';

interface Output {
  output_type: string;
  data?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

/** Interactive figures larger than this (bytes of JSON) are left out of the kept copy; their SVG stays. */
export const MAX_INTERACTIVE_BYTES = 100_000;

export interface StaticOutputsResult {
  /** Figure outputs that got their SVG. */
  figures: number;
  /** Figure outputs without an SVG on disk (Chromium missing, or the notebook failed before finish()). */
  missing: string[];
  bytes: number;
}

/** Rewrites `ipynb` in place (see the module comment). */
export function staticOutputs(ipynb: string): StaticOutputsResult {
  const nb = JSON.parse(fs.readFileSync(ipynb, 'utf8')) as { cells: { outputs?: Output[] }[] };
  let figures = 0;
  const missing: string[] = [];
  for (const cell of nb.cells) {
    for (const out of cell.outputs ?? []) {
      if (!out.data || !(PLOTLY_MIME in out.data)) continue;
      const meta = out.metadata?.[FIGURE_META] as { saved?: string } | undefined;
      delete out.data['text/html'];
      if (!meta?.saved) continue;
      const json = path.resolve(ROOT, meta.saved);
      const svg = json.replace(/\.json$/, '.svg');
      // a path inside the repository is kept relative, so the committed copy names no machine's folders
      const rel = path.relative(ROOT, json);
      out.metadata![FIGURE_META] = { saved: rel.startsWith('..') ? json : rel.split(path.sep).join('/') };
      if (!fs.existsSync(svg)) {
        missing.push(path.relative(ROOT, svg));
        continue;
      }
      out.data['image/svg+xml'] = fs.readFileSync(svg, 'utf8');
      if (JSON.stringify(out.data[PLOTLY_MIME]).length > MAX_INTERACTIVE_BYTES) {
        delete out.data[PLOTLY_MIME];
        out.data['text/plain'] = `${out.data['text/plain'] ?? 'figure'} (interactive page, written by a run: ${path.relative(ROOT, json.replace(/\.json$/, '.html')).split(path.sep).join('/')})`;
      }
      figures++;
    }
  }
  const text = JSON.stringify(nb, null, 1) + '\n';
  fs.writeFileSync(ipynb, text);
  return { figures, missing, bytes: Buffer.byteLength(text) };
}
