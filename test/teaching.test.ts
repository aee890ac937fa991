/**
 * The teaching helpers of issue 15: hand-made features (amplitude envelope, spectral flux), the
 * nearest-centroid classifier, the inline audio player, and the static figures of executed copies.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { amplitudeEnvelope, spectralFlux, handcraftedFeatures, handcraftedVector } from '../lib/features/handcrafted';
import { fitNearestCentroid, predictNearestCentroid } from '../lib/models/nearestCentroid';
import { audioHtml } from '../lib/notebook/audioPlayer';
import { staticOutputs } from '../lib/runner/staticOutputs';
import { decodeWav } from '../lib/audio/wav';
import { FIGURE_META, PLOTLY_MIME } from '../lib/plots/show';

const SR = 22050;
const tone = (f: number, seconds: number, amp = 0.5) => Float32Array.from({ length: Math.round(seconds * SR) }, (_, i) => amp * Math.sin((2 * Math.PI * f * i) / SR));

test('amplitude envelope: the largest |sample| of each centred frame', () => {
  const y = new Float32Array(4096);
  y[1000] = -0.7;
  y[3000] = 0.2;
  const e = amplitudeEnvelope(y, { frameLength: 1024, hopLength: 512 });
  assert.equal(e.cols, 1 + Math.floor(4096 / 512));
  // frame t covers padded samples [t·512, t·512 + 1024) = original [t·512 − 512, t·512 + 512)
  assert.ok(Math.abs(e.data[2] - 0.7) < 1e-6, 'sample 1000 sits in frame 2');
  assert.ok(Math.abs(e.data[6] - 0.2) < 1e-6, 'sample 3000 sits in frame 6');
  assert.equal(e.data[4], 0);
});

test('spectral flux: zero for a steady spectrum, a peak where the sound changes', () => {
  const steady = handcraftedFeatures(tone(440, 2), SR);
  assert.ok(Math.max(...Array.from(steady.flux).slice(3, -3)) < 1e-3, 'a steady tone barely changes');
  const y = new Float32Array(2 * SR);
  y.set(tone(440, 1), 0);
  y.set(tone(3000, 1), SR);
  const f = spectralFlux({ data: new Float32Array([1, 1, 0, 0, 0, 0, 1, 1]), rows: 2, cols: 4 });
  assert.deepEqual(Array.from(f.data).map((v) => +v.toFixed(6)), [0, 0, +Math.SQRT2.toFixed(6), 0]);
  const g = handcraftedFeatures(y, SR);
  const peak = g.flux.indexOf(Math.max(...g.flux));
  assert.ok(Math.abs(g.times[peak] - 1) < 0.1, `the change at 1 s is found (peak at ${g.times[peak]} s)`);
  assert.ok(g.centroid[10] < 600 && g.centroid[g.centroid.length - 10] > 2500, 'centroid follows the pitch (Hz)');
  assert.equal(handcraftedVector(g).length, 8);
});

test('nearest centroid: standardised features, the nearest class mean wins', () => {
  const x = [[0, 100], [1, 110], [10, 500], [11, 520]];
  const m = fitNearestCentroid(x, ['a', 'a', 'b', 'b']);
  assert.deepEqual(predictNearestCentroid(m, [[2, 120], [9, 480], [0.5, 600]]), ['a', 'b', 'b']);
});

test('audio player: an <audio> element whose data URI is the clip as 16-bit WAV', () => {
  const y = tone(440, 8);
  const html = audioHtml(y, SR, { caption: 'a <tone>', maxSeconds: 2, playbackRate: 11025 });
  assert.match(html, /^<div>a &#60;tone&#62; \(2\.0 s\)<\/div><audio controls/);
  const b64 = /src="data:audio\/wav;base64,([^"]+)"/.exec(html)![1];
  const d = decodeWav(new Uint8Array(Buffer.from(b64, 'base64')), 'player');
  assert.equal(d.sr, 11025);
  assert.equal(d.channelData[0].length, 2 * 11025);
  const peak = Math.max(...d.channelData[0].map(Math.abs));
  assert.ok(Math.abs(peak - 0.5) < 0.01, `amplitude kept (${peak})`);
});

test('staticOutputs: figure outputs get their SVG, lose the inlined plotly.js, and name a relative path', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genre-lab-static-'));
  const stem = path.join(dir, 'fig');
  fs.writeFileSync(`${stem}.json`, '{}');
  fs.writeFileSync(`${stem}.svg`, '<svg xmlns="http://www.w3.org/2000/svg"></svg>');
  const nbFile = path.join(dir, 'x.ipynb');
  const out = (saved: string) => ({ output_type: 'display_data', data: { [PLOTLY_MIME]: {}, 'text/html': '<script>/* plotly.js */</script>', 'text/plain': 'fig' }, metadata: { [FIGURE_META]: { saved } } });
  fs.writeFileSync(nbFile, JSON.stringify({ cells: [{ cell_type: 'code', outputs: [out(`${stem}.json`), out(path.join(dir, 'missing.json')), { output_type: 'stream', text: 'hi' }] }] }));
  const r = staticOutputs(nbFile);
  assert.equal(r.figures, 1);
  assert.equal(r.missing.length, 1);
  const nb = JSON.parse(fs.readFileSync(nbFile, 'utf8'));
  const [a, b] = nb.cells[0].outputs;
  assert.match(a.data['image/svg+xml'], /^<svg/);
  assert.ok(!('text/html' in a.data) && !('text/html' in b.data), 'no inlined plotly.js left');
  assert.ok(PLOTLY_MIME in a.data, 'the interactive figure stays for JupyterLab');
  // a large interactive figure (a spectrogram's JSON) is left out; its SVG stays
  const big = out(`${stem}.json`);
  (big.data as Record<string, unknown>)[PLOTLY_MIME] = { z: Array.from({ length: 30_000 }, (_, i) => i) };
  fs.writeFileSync(nbFile, JSON.stringify({ cells: [{ cell_type: 'code', outputs: [big] }] }));
  staticOutputs(nbFile);
  const c = JSON.parse(fs.readFileSync(nbFile, 'utf8')).cells[0].outputs[0];
  assert.ok(!(PLOTLY_MIME in c.data) && 'image/svg+xml' in c.data, 'large figure: SVG only');
  assert.match(c.data['text/plain'], /interactive page, written by a run: .*fig\.html/);
  fs.rmSync(dir, { recursive: true, force: true });
});
