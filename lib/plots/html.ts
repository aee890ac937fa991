/**
 * HTML for plotly figures, offline: plotly.js comes from the `plotly.js-dist` package on disk,
 * never from a CDN. `plotlyScript()` inlines the library (once per notebook / page),
 * `figureDiv()` is one figure that draws itself as soon as `window.Plotly` exists.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Figure } from './types';

let cachedSource: string | undefined;

/** Path of plotly.js inside `plotly.js-dist` (the dependency in package.json). */
export function plotlyPath(): string {
  try {
    return require.resolve('plotly.js-dist/plotly.js');
  } catch {
    throw new Error('plotly.js-dist is not installed: run `npm install` in the repository root');
  }
}

/** plotly.js's version, from its package.json. */
export function plotlyVersion(): string {
  const pkg = path.join(path.dirname(plotlyPath()), 'package.json');
  return (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version: string }).version;
}

/** The library's source, safe to put inside a `<script>` element (`</script` is escaped). */
export function plotlySource(): string {
  if (cachedSource === undefined) cachedSource = fs.readFileSync(plotlyPath(), 'utf8').replace(/<\/script/gi, '<\\/script');
  return cachedSource;
}

/** `<script>` with plotly.js inlined: defines `window.Plotly` (the bundle does so itself). */
export function plotlyScript(): string {
  return `<script type="text/javascript">/* plotly.js ${plotlyVersion()}, inlined from plotly.js-dist */\n${plotlySource()}\n</script>`;
}

/** JSON that is safe inside an inline `<script>` (no `</script>`, no `<!--`). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

let counter = 0;

/** A fresh element id for a figure's `<div>`. */
export function newFigureId(): string {
  counter += 1;
  return `genre-lab-plot-${process.pid.toString(36)}-${Date.now().toString(36)}-${counter}`;
}

/**
 * One figure as `<div>` + `<script>`: draws with `Plotly.newPlot` when plotly.js is on the page,
 * waiting up to 10 s for it to load (an earlier output or a `<script src>` may still be loading).
 */
export function figureDiv(fig: Figure, id: string = newFigureId()): string {
  const height = typeof fig.layout.height === 'number' ? fig.layout.height : 400;
  const spec = scriptJson({ data: fig.data, layout: fig.layout, config: { responsive: true, displaylogo: false } });
  return [
    `<div id="${id}" class="genre-lab-plot plotly-graph-div" style="height:${height}px; width:100%;"></div>`,
    '<script type="text/javascript">',
    '(function () {',
    `  var fig = ${spec};`,
    `  function draw() { window.Plotly.newPlot(${JSON.stringify(id)}, fig.data, fig.layout, fig.config); }`,
    '  if (window.Plotly) { draw(); return; }',
    '  var tries = 0, timer = setInterval(function () {',
    '    if (window.Plotly) { clearInterval(timer); draw(); }',
    `    else if (++tries > 100) { clearInterval(timer); document.getElementById(${JSON.stringify(id)}).textContent = 'plotly.js is not loaded on this page (run the notebook from its first plot, or open the figure\\'s .svg)'; }`,
    '  }, 100);',
    '})();',
    '</script>',
  ].join('\n');
}

/**
 * A complete HTML page of figures. `plotly`: 'inline' embeds the library (a self-contained file,
 * ~11 MB), or a relative/absolute URL for a `<script src>` (a shared copy next to the page).
 */
export function pageHtml(figs: Figure[], opts: { title?: string; plotly: 'inline' | { src: string } }): string {
  const lib = opts.plotly === 'inline' ? plotlyScript() : `<script type="text/javascript" src="${opts.plotly.src}"></script>`;
  return [
    '<!DOCTYPE html>',
    '<html><head><meta charset="utf-8">',
    `<title>${(opts.title ?? 'figure').replace(/</g, '&lt;')}</title>`,
    lib,
    '</head><body style="margin:0; font-family: Helvetica, Arial, sans-serif">',
    ...figs.map((f) => figureDiv(f)),
    '</body></html>',
  ].join('\n');
}
