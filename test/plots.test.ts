import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  barChart, confusionMatrix, heatmap, lineChart, mimeBundle, PLOTLY_MIME, prCurve, renderStatic, saveFigure, show, spectrum, table, trainingCurves, waveform,
  type Figure,
} from '../lib/plots/index';
import { resetShow, type DisplayData } from '../lib/plots/show';
import { ensureChromium } from '../lib/plots/chromium';

const layoutTitle = (f: Figure) => (f.layout.title as { text: string }).text;
const axisTitle = (f: Figure, ax: string) => ((f.layout[ax] as { title?: { text?: string } }).title ?? {}).text;

test('waveform: time axis in seconds, long signals reduced to a min/max envelope that keeps the peaks', () => {
  const sr = 22050;
  const y = new Float32Array(sr * 30);
  y[12345] = 0.9; // one spike
  y[600000] = -0.7;
  const f = waveform(y, sr, { maxPoints: 2000 });
  const t = f.data[0].x as number[];
  const v = f.data[0].y as number[];
  assert.ok(t.length <= 2000 && t.length >= 1000, `${t.length} points`);
  assert.equal(Math.max(...v), 0.9);
  assert.equal(Math.min(...v), -0.7);
  assert.ok(t.every((x, i) => i === 0 || x >= t[i - 1]), 'time must not go backwards');
  assert.ok(Math.abs(t[t.length - 1] - 30) < 0.1);
  assert.equal(axisTitle(f, 'xaxis'), 'Time (s)');
  assert.throws(() => waveform(y, 0), /sample rate must be positive/);
});

test('spectrum: bin k at k·sr/nFft; a one-sided spectrum mirrors into 0…sr', () => {
  const nFft = 1024;
  const mag = new Float64Array(nFft / 2 + 1);
  mag[100] = 5;
  const half = spectrum(mag, 8000, { nFft });
  const x = half.data[0].x as number[];
  const yv = half.data[0].y as number[];
  assert.equal(x[yv.indexOf(5)], 781.25); // 100 · 8000 / 1024
  assert.ok(Math.max(...x) <= 4000);
  const full = spectrum(mag, 8000, { nFft, twoSided: true });
  const fx = full.data[0].x as number[];
  const fy = full.data[0].y as number[];
  const peaks = fx.filter((_, i) => fy[i] === 5);
  assert.deepEqual(peaks, [100 * 8000 / 1024, (1024 - 100) * 8000 / 1024]);
  const complex = spectrum({ re: [3, 0, 0], im: [4, 0, 0] }, 8000);
  assert.equal((complex.data[0].y as number[])[0], 5);
  assert.throws(() => spectrum(new Float64Array(300), 8000, { nFft: 1024 }), /fit neither/);
});

test('heatmap: librosa orientation [features, frames], labelled axes, pooling of long inputs', () => {
  const rows = 1025, cols = 1300;
  const data = new Float32Array(rows * cols).map((_, i) => Math.floor(i / cols)); // value = bin index
  const f = heatmap({ data, rows, cols }, { kind: 'spectrogram', sr: 22050, hopLength: 512, nFft: 2048 });
  const z = f.data[0].z as number[][];
  assert.ok(z.length <= 256 && z[0].length <= 400, `${z.length} × ${z[0].length}`);
  assert.ok(z[0][0] < z[z.length - 1][0], 'frequency must increase along y');
  const yv = f.data[0].y as number[];
  assert.ok(yv[yv.length - 1] > 10000 && yv[yv.length - 1] <= 11025, `top bin at ${yv[yv.length - 1]} Hz`);
  const xv = f.data[0].x as number[];
  assert.ok(Math.abs(xv[xv.length - 1] - (1299 * 512) / 22050) < 0.05);
  assert.equal(axisTitle(f, 'yaxis'), 'Frequency (Hz)');
  assert.equal(axisTitle(f, 'xaxis'), 'Time (s)');
  const m = heatmap([[1, 2, 3], [4, 5, 6]], { kind: 'mfcc', framesFirst: true });
  assert.equal((m.data[0].z as number[][]).length, 3, 'framesFirst: 3 features');
  assert.equal(axisTitle(m, 'yaxis'), 'MFCC coefficient');
  assert.throws(() => heatmap([[1, 2], [3]]), /row 1 has 1 values/);
  assert.throws(() => heatmap({ data: [1, 2, 3], shape: [2, 2] }), /needs 4 values/);
});

test('training curves: accuracy and loss panels, lib/train history accepted, best epoch marked', () => {
  const f = trainingCurves({ epochs: [{ loss: 2, accuracy: 0.3, valLoss: 2.1, valAccuracy: 0.2, lr: 1e-3 }, { loss: 1, accuracy: 0.6, valLoss: 1.5, valAccuracy: 0.5, lr: 1e-3 }], bestEpoch: 2 });
  assert.deepEqual(f.data.map((d) => d.name).sort(), ['train accuracy', 'train loss', 'validation accuracy', 'validation loss']);
  const loss = f.data.find((d) => d.name === 'train loss')!;
  assert.equal(loss.yaxis, 'y2');
  assert.deepEqual(loss.x, [1, 2]);
  assert.equal(((f.layout.shapes as { x0: number }[])[0]).x0, 2);
  assert.throws(() => trainingCurves({}), /no metric/);
  const only = trainingCurves({ loss: [1, 0.5] });
  assert.equal(axisTitle(only, 'yaxis'), 'Loss');
});

test('confusion matrix, PR curve, bars, table, lines: shapes and errors', () => {
  const cm = confusionMatrix([[5, 1], [2, 3]], ['a', 'b'], { normalize: true });
  assert.deepEqual(cm.data[0].z, [[0.8333, 0.1667], [0.4, 0.6]]);
  assert.equal(axisTitle(cm, 'xaxis'), 'Predicted label');
  assert.throws(() => confusionMatrix([[1, 2]], ['a']), /square/);
  assert.throws(() => confusionMatrix([[1]], ['a', 'b']), /2 class names/);
  const pr = prCurve([{ name: 'rock', precision: [1, 0.5], recall: [0, 1], ap: 0.75 }]);
  assert.equal(pr.data[0].name, 'rock (AP 0.750)');
  assert.throws(() => prCurve([{ name: 'x', precision: [1], recall: [0, 1] }]), /1 precision and 2 recall/);
  const bars = barChart(['a', 'b'], { run: [1, 2], seed: [2, 3] });
  assert.equal(bars.data.length, 2);
  assert.throws(() => barChart(['a'], [1, 2]), /2 values for 1 labels/);
  const t = table(['m', 'v'], [['acc', 0.123456], ['f1', null]]);
  assert.deepEqual((t.data[0].cells as { values: string[][] }).values, [['acc', 'f1'], ['0.1235', '—']]);
  assert.throws(() => table(['m'], [['a', 'b']]), /row 0 has 2 cells/);
  assert.throws(() => lineChart({}), /no series/);
});

test('show(): one display_data with the plotly MIME type, HTML with plotly.js inlined only the first time, and text', () => {
  resetShow();
  const sent: DisplayData[] = [];
  const writer = (d: DisplayData) => void sent.push(d);
  const fig = lineChart({ y: [1, 2, 3] }, { title: 'three' });
  show(fig, writer);
  show(fig, writer);
  assert.equal(sent.length, 2);
  const [first, second] = sent.map((d) => d.data);
  assert.deepEqual((first[PLOTLY_MIME] as Figure).data, fig.data);
  const html1 = first['text/html'] as string;
  const html2 = second['text/html'] as string;
  assert.match(html1, /inlined from plotly\.js-dist/);
  assert.ok(html1.length > 1_000_000, 'the first figure carries plotly.js');
  assert.doesNotMatch(html2, /inlined from plotly\.js-dist/);
  assert.doesNotMatch(html1 + html2, /<script[^>]+src="https?:/, 'never a CDN');
  assert.match(html2, /Plotly\.newPlot/);
  assert.match(first['text/plain'] as string, /"three": 1 trace/);
  // the bundle a kernel gets is JSON-serialisable and holds no `</script>` inside the figure data
  const b = mimeBundle(lineChart({ '</script>': [1] }), { includeLibrary: false });
  assert.doesNotMatch((b.data['text/html'] as string).split('var fig = ')[1].split('\n')[0], /<\/script>/);
  resetShow();
});

test('saveFigure writes json + html (shared plotly copy, or standalone), renderStatic draws SVG/PNG in headless Chromium', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genre-lab-plots-'));
  const fig = confusionMatrix([[3, 1], [0, 4]], ['x', 'y']);
  const saved = saveFigure(fig, path.join(dir, 'cm.html'));
  assert.deepEqual(JSON.parse(fs.readFileSync(saved.json, 'utf8')), fig);
  const html = fs.readFileSync(saved.html, 'utf8');
  const src = /<script type="text\/javascript" src="([^"]+)"/.exec(html)![1];
  assert.ok(!/^https?:/.test(src), `plotly must load from disk, got ${src}`);
  assert.ok(fs.statSync(path.resolve(dir, src)).size > 1_000_000, 'the shared plotly.js copy exists');
  const standalone = saveFigure(fig, path.join(dir, 'alone'), { standalone: true });
  assert.match(fs.readFileSync(standalone.html, 'utf8'), /inlined from plotly\.js-dist/);
  assert.throws(() => saveFigure({} as Figure, path.join(dir, 'bad')), /not a plotly figure/);

  let chromium: string;
  try {
    chromium = ensureChromium();
  } catch (e) {
    assert.fail(`headless Chromium is needed for the static render: ${(e as Error).message}`);
  }
  assert.ok(chromium);
  const r = renderStatic([saved.json, saveFigure(waveform(new Float32Array(100).map((_, i) => Math.sin(i / 5)), 100), path.join(dir, 'w')).json], { formats: ['svg', 'png'] });
  assert.equal(r.skipped, undefined);
  const svg = fs.readFileSync(r.files[0].svg!, 'utf8');
  assert.match(svg, /^<svg/);
  assert.match(svg, /class="heatmaplayer/);
  const counts = [...svg.matchAll(/<text text-anchor="middle" data-notex="1"[^>]*>(\d)<\/text>/g)].map((m) => Number(m[1])).sort();
  assert.deepEqual(counts, [0, 1, 3, 4], 'the four counts are printed in the cells');
  const png = fs.readFileSync(r.files[1].png!);
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  assert.ok(png.length > 5000);
  fs.rmSync(dir, { recursive: true, force: true });
});
