/**
 * Figures as files, so a reader of the repository sees them without running anything:
 *  - `<name>.json`: the plotly figure (load it into any plotly, Python or JS);
 *  - `<name>.html`: the interactive figure. By default it loads plotly.js from one shared copy
 *    (`.plotly/plotly-<version>.js` under results/, git-ignored: it is 11 MB and identical for
 *    every figure); `standalone: true` inlines the library instead (a self-contained ~11 MB file);
 *  - `<name>.svg` / `<name>.png`: static renders by plotly.js itself in headless Chromium
 *    (`renderStatic`, batched: one browser start for many figures). Skipped, with a reason, when
 *    no Chromium is installed.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RESULTS_DIR } from '../paths';
import { dumpDom, findChromium } from './chromium';
import { pageHtml, plotlyPath, plotlyVersion, scriptJson } from './html';
import type { Figure } from './types';

export type StaticFormat = 'svg' | 'png';

export interface SaveOptions {
  /** Inline plotly.js into the HTML (self-contained, ~11 MB) instead of the shared copy. */
  standalone?: boolean;
  /** Render these static formats right away (one Chromium start); default none: call `renderStatic` later. */
  render?: StaticFormat[];
}

export interface SavedFigure {
  json: string;
  html: string;
  svg?: string;
  png?: string;
}

function stemOf(file: string): string {
  return file.replace(/\.(html|json|svg|png)$/i, '');
}

/** The shared plotly.js copy for figures under `dir` (created once, with its own .gitignore). */
export function sharedPlotly(dir: string): string {
  const root = path.resolve(dir).startsWith(RESULTS_DIR + path.sep) ? RESULTS_DIR : path.resolve(dir);
  const libDir = path.join(root, '.plotly');
  const lib = path.join(libDir, `plotly-${plotlyVersion()}.js`);
  if (!fs.existsSync(lib)) {
    fs.mkdirSync(libDir, { recursive: true });
    fs.copyFileSync(plotlyPath(), lib);
    fs.writeFileSync(path.join(libDir, '.gitignore'), '# a copy of node_modules/plotly.js-dist, recreated by saveFigure\n*\n');
  }
  return lib;
}

/**
 * Writes `fig` as `<file>.json` and `<file>.html` (the extension of `file` is ignored), plus the
 * static formats in `opts.render`. Returns the paths written.
 */
export function saveFigure(fig: Figure, file: string, opts: SaveOptions = {}): SavedFigure {
  if (!fig || !Array.isArray(fig.data) || typeof fig.layout !== 'object') throw new Error(`saveFigure(${file}): not a plotly figure ({ data: [], layout: {} })`);
  const stem = path.resolve(stemOf(file));
  fs.mkdirSync(path.dirname(stem), { recursive: true });
  const title = (fig.layout.title as { text?: string } | undefined)?.text ?? path.basename(stem);
  const out: SavedFigure = { json: `${stem}.json`, html: `${stem}.html` };
  fs.writeFileSync(out.json, JSON.stringify(fig));
  const plotly = opts.standalone ? ('inline' as const) : { src: path.relative(path.dirname(stem), sharedPlotly(path.dirname(stem))).split(path.sep).join('/') };
  fs.writeFileSync(out.html, pageHtml([fig], { title, plotly }));
  if (opts.render?.length) {
    const r = renderStatic([out.json], { formats: opts.render });
    if (r.skipped) throw new Error(`saveFigure(${file}): cannot render ${opts.render.join('/')}: ${r.skipped}`);
    Object.assign(out, r.files[0]);
  }
  return out;
}

export interface RenderResult {
  /** Per input, the static files written. */
  files: { svg?: string; png?: string }[];
  /** Why nothing was rendered (no Chromium), or undefined. */
  skipped?: string;
}

/**
 * Renders saved figures (`<name>.json` paths) to `<name>.svg` / `<name>.png` next to them with
 * `Plotly.toImage` in ONE headless Chromium run. Without Chromium it renders nothing and says why.
 */
export function renderStatic(jsonFiles: string[], opts: { formats?: StaticFormat[]; scale?: number } = {}): RenderResult {
  const formats = opts.formats ?? ['svg'];
  if (!jsonFiles.length) return { files: [] };
  if (!findChromium()) return { files: jsonFiles.map(() => ({})), skipped: 'headless Chromium is not installed (Debian: apt-get install chromium)' };
  const figs = jsonFiles.map((f) => {
    try {
      return JSON.parse(fs.readFileSync(f, 'utf8')) as Figure;
    } catch (e) {
      throw new Error(`renderStatic: ${f} is not a saved figure: ${(e as Error).message}`);
    }
  });
  const jobs = figs.flatMap((fig, i) =>
    formats.map((format) => ({
      i,
      format,
      fig: { data: fig.data, layout: fig.layout },
      width: typeof fig.layout.width === 'number' ? fig.layout.width : 900,
      height: typeof fig.layout.height === 'number' ? fig.layout.height : 400,
    })),
  );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genre-lab-render-'));
  try {
    const page = path.join(dir, 'render.html');
    // Sequential: one figure at a time keeps memory flat on small machines.
    const script = `
      var jobs = ${scriptJson(jobs)};
      (async function () {
        for (var k = 0; k < jobs.length; k++) {
          var j = jobs[k], el = document.createElement('pre');
          el.id = 'out-' + k;
          try {
            var url = await Plotly.toImage(j.fig, { format: j.format, width: j.width, height: j.height, scale: ${opts.scale ?? 1} });
            el.textContent = url.slice(url.indexOf(',') + 1);
          } catch (e) { el.textContent = 'ERROR ' + String(e && e.message || e).replace(/[<>&]/g, ' '); }
          document.body.appendChild(el);
        }
        document.body.setAttribute('data-done', '1');
      })();`;
    fs.writeFileSync(page, `<!DOCTYPE html><html><head><meta charset="utf-8"><script src="file://${plotlyPath()}"></script></head><body><script>${script}</script></body></html>`);
    const dom = dumpDom(page, { budgetMs: 20000 + 5000 * jobs.length, timeoutMs: 120_000 + 10_000 * jobs.length });
    const files: { svg?: string; png?: string }[] = jsonFiles.map(() => ({}));
    jobs.forEach((j, k) => {
      const m = new RegExp(`<pre id="out-${k}">([^<]*)</pre>`).exec(dom);
      if (!m) throw new Error(`renderStatic: chromium did not render ${jsonFiles[j.i]} (${j.format}); the page did not finish`);
      if (m[1].startsWith('ERROR')) throw new Error(`renderStatic: plotly could not render ${jsonFiles[j.i]} as ${j.format}: ${m[1]}`);
      const target = `${stemOf(jsonFiles[j.i])}.${j.format}`;
      if (j.format === 'svg') fs.writeFileSync(target, decodeURIComponent(m[1]));
      else fs.writeFileSync(target, Buffer.from(m[1], 'base64'));
      files[j.i][j.format] = target;
    });
    return { files };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
