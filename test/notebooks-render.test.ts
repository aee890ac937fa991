/**
 * The rendering check: an executed notebook exported to HTML (plotly.js inlined once, no CDN)
 * opened in headless Chromium must show every plot drawn, and a screenshot of it must not be blank.
 * Chromium is installed with apt-get when missing (fresh CI machines; see ensureChromium).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { runNotebook } from '../lib/runner/runner';
import { exportHtml } from '../lib/runner/export';
import { dumpDom, ensureChromium, screenshot } from '../lib/plots/chromium';
import { ROOT } from '../lib/paths';

/** Distinct byte values in a PNG's decompressed pixel data (a blank page has 2: filter byte and white). */
function pngByteVariety(file: string): { width: number; height: number; distinct: number } {
  const b = fs.readFileSync(file);
  assert.equal(b.subarray(1, 4).toString(), 'PNG', `${file} is not a PNG`);
  let off = 8;
  let width = 0, height = 0;
  const idat: Buffer[] = [];
  while (off < b.length) {
    const len = b.readUInt32BE(off);
    const type = b.subarray(off + 4, off + 8).toString();
    const data = b.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') (width = data.readUInt32BE(0)), (height = data.readUInt32BE(4));
    if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const seen = new Set<number>();
  for (let i = 0; i < raw.length; i += 7) seen.add(raw[i]);
  return { width, height, distinct: seen.size };
}

test('an executed notebook exported to HTML draws every plot in headless Chromium', { timeout: 300_000 }, () => {
  ensureChromium();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genre-lab-render-'));
  const run = runNotebook(path.join(ROOT, 'test', 'notebooks', 'plots_smoke.ipynb'), { outDir: dir, timeoutS: 120 });
  assert.ok(run.ok, `plots_smoke failed in cell ${run.failedCell}: ${run.error}`);

  const nb = JSON.parse(fs.readFileSync(run.executed, 'utf8')) as { cells: { cell_type: string; outputs?: { data?: Record<string, unknown> }[] }[] };
  const displays = nb.cells.flatMap((c) => c.outputs ?? []).filter((o) => o.data && 'application/vnd.plotly.v1+json' in o.data);
  assert.equal(displays.length, 9, 'nine figures, each a plotly MIME bundle');

  const x = exportHtml(run.executed, path.join(dir, 'plots_smoke.html'));
  assert.equal(x.plotlyCopies, 1, 'plotly.js inlined exactly once');
  const html = fs.readFileSync(x.html, 'utf8');
  assert.doesNotMatch(html, /<script[^>]+src="https?:\/\//, 'no script from a CDN is left');

  const dom = dumpDom(x.html, { budgetMs: 30000 });
  const divs = dom.split('class="genre-lab-plot').slice(1);
  assert.equal(divs.length, 9, 'nine plot containers in the page');
  divs.forEach((d, i) => assert.match(d.slice(0, 200_000), /class="main-svg"/, `plot ${i + 1} did not draw (no plotly svg inside its div)`));
  // data actually drawn: line paths, heatmap images, bars, the table's cells
  assert.ok((dom.match(/class="js-line"/g) ?? []).length >= 4, 'line traces (waveform, spectrum, curves, PR, LR) have paths');
  assert.ok((dom.match(/class="hm"/g) ?? []).length >= 2, 'heatmaps (mel, confusion) drew their images');
  assert.ok((dom.match(/class="point"/g) ?? []).length >= 6, 'bars drew');
  assert.match(dom, /closing table/);
  assert.doesNotMatch(dom, /<div[^>]*genre-lab-plot[^>]*>plotly\.js is not loaded/, 'a figure gave up waiting for plotly.js');

  const png = path.join(dir, 'shot.png');
  screenshot(x.html, png, { width: 1100, height: 2600 });
  const v = pngByteVariety(png);
  assert.equal(v.width, 1100);
  assert.ok(v.distinct > 50, `the screenshot looks blank (${v.distinct} distinct byte values)`);
  if (process.env.GENRE_LAB_KEEP_RENDER) console.log(`kept ${dir}`);
  else fs.rmSync(dir, { recursive: true, force: true });
});
