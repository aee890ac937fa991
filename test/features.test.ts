/**
 * lib/features against librosa's own outputs (goldens from test/fixtures/features/make_goldens.py,
 * librosa 0.11): synthetic signals at 22050 and 16000 Hz and 2-s excerpts of real GTZAN/FMA audio.
 * Tolerances from issue 3: spectra and mel 1e-4 relative; dB 1e-3 dB; MFCC, chroma, contrast,
 * centroid 1e-3 absolute.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import {
  amplitudeToDb, chromaFilterbank, chromaStft, estimateTuning, magnitudeFrames, melFilterbank, melspectrogram, mfcc,
  powerFrames, powerToDb, readMatrixNpy, readNpy, rms, ruohoruotsiFeatures33, scaledMelDb, spectralCentroid, spectralContrast,
  spectralRolloff, spectrogram, stft, torchMelSpectrogram, torchMfcc, zeroCrossingRate, type Matrix,
} from '../lib/features';

const GOLDEN = path.join(__dirname, 'fixtures', 'features', 'golden');

interface Golden { file: string; shape: number[]; kind?: 'spectrum' | 'db' | 'db40' | 'coef'; tuning?: number }
interface Case { name: string; sr: number; real?: string; signal: Golden; features: Record<string, Golden> }
const manifest = JSON.parse(fs.readFileSync(path.join(GOLDEN, 'manifest.json'), 'utf8')) as { cases: Case[]; filterbanks: Record<string, Golden> };

/** Our implementation of each golden, by name. */
const OURS: Record<string, (y: Float32Array, sr: number) => Matrix> = {
  mel: (y, sr) => melspectrogram(y, { sr }),
  mel_db: (y, sr) => powerToDb(melspectrogram(y, { sr })),
  mfcc20: (y, sr) => mfcc(y, { sr }),
  mfcc13: (y, sr) => mfcc(y, { sr, nMfcc: 13, hopLength: 512 }),
  mfcc13_reflect: (y, sr) => mfcc(y, { sr, nMfcc: 13, padMode: 'reflect' }),
  chroma: (y, sr) => chromaStft(y, { sr }),
  contrast: (y, sr) => spectralContrast(y, { sr }),
  centroid: (y, sr) => spectralCentroid(y, { sr }),
  rolloff: (y, sr) => spectralRolloff(y, { sr }),
  zcr: (y) => zeroCrossingRate(y),
  rms: (y) => rms(y),
  seed002: (y, sr) => scaledMelDb(y, sr),
  torch_mel40: (y, sr) => torchMelSpectrogram(y, sr, 40),
  torch_mfcc40: (y, sr) => torchMfcc(y, sr, { nMels: 40 }),
  torch_mfcc40_logmels: (y, sr) => torchMfcc(y, sr, { nMels: 40, logMels: true }),
  mag: (y) => spectrogram(y),
  mag_reflect_hop700: (y) => spectrogram(y, { hopLength: 700, padMode: 'reflect' }),
  mag_n400: (y) => spectrogram(y, { nFft: 400, hopLength: 160, winLength: 300 }),
  amp_db: (y) => amplitudeToDb(spectrogram(y), { ref: 'max' }),
  mel40_htk: (y, sr) => melspectrogram(y, { sr, nMels: 40, htk: true, norm: null, fmin: 50, fmax: sr / 3 }),
  features33: (y, sr) => ruohoruotsiFeatures33(y, sr),
};

/** Largest violation of the kind's tolerance (≤ 1 passes) and where. */
function compare(ours: Matrix, ref: Matrix, kind: Golden['kind']): { worst: number; at: string } {
  assert.deepEqual([ours.rows, ours.cols], [ref.rows, ref.cols], 'shape');
  let peak = 0;
  for (const v of ref.data) peak = Math.max(peak, Math.abs(v));
  let worst = 0, at = '';
  for (let i = 0; i < ref.data.length; i++) {
    const a = ours.data[i], b = ref.data[i];
    const err = Math.abs(a - b);
    let tol: number;
    if (kind === 'spectrum') tol = 1e-4 * Math.max(Math.abs(b), 1e-3 * peak) + 1e-30; // relative; bins > 60 dB under the peak get the peak's 1e-7
    else if (kind === 'db') tol = 1e-3;
    else if (kind === 'db40') tol = 1e-3 / 40;
    else tol = 1e-3;
    const r = err / tol;
    if (r > worst || Number.isNaN(a)) {
      worst = Number.isNaN(a) ? Infinity : r;
      at = `row ${Math.floor(i / ref.cols)} col ${i % ref.cols}: ours ${a} librosa ${b}`;
    }
  }
  return { worst, at };
}

for (const c of manifest.cases) {
  test(`${c.name} @ ${c.sr} Hz${c.real ? ` (${c.real}, 2-s excerpt)` : ''}: every feature matches librosa`, () => {
    const y = readNpy(path.join(GOLDEN, c.signal.file)).data;
    const failures: string[] = [];
    for (const [name, g] of Object.entries(c.features)) {
      const fn = OURS[name];
      assert.ok(fn, `no implementation mapped for golden '${name}'`);
      const ref = readMatrixNpy(path.join(GOLDEN, g.file));
      const { worst, at } = compare(fn(y, c.sr), ref, g.kind);
      if (!(worst <= 1)) failures.push(`${name}: ${worst.toFixed(2)}× tolerance at ${at}`);
      if (g.tuning !== undefined) {
        const P = powerFrames(magnitudeFrames(y), 2);
        const ours = estimateTuning(P, c.sr, 2048);
        if (Math.abs(ours - g.tuning) > 1e-9) failures.push(`estimate_tuning: ours ${ours}, librosa ${g.tuning}`);
      }
    }
    assert.deepEqual(failures, []);
  });
}

test('filterbanks equal librosa.filters.mel / chroma', () => {
  const fbs = manifest.filterbanks;
  const cases: [string, Matrix][] = [
    ['mel40_slaney_16000_512', melFilterbank({ sr: 16000, nFft: 512, nMels: 40 })],
    ['mel40_htk_none_16000_512', melFilterbank({ sr: 16000, nFft: 512, nMels: 40, htk: true, norm: null })],
    ['chroma_22050_512_t-0.3', chromaFilterbank({ sr: 22050, nFft: 512, tuning: -0.3 })],
  ];
  for (const [name, ours] of cases) {
    const ref = readMatrixNpy(path.join(GOLDEN, fbs[name].file));
    const { worst, at } = compare(ours, ref, 'spectrum');
    assert.ok(worst <= 1, `${name}: ${worst}× tolerance at ${at}`);
  }
});

test('stft (complex) is consistent with the magnitude golden and has the right phase', () => {
  const c = manifest.cases.find((x) => x.name === 'chirp' && x.sr === 22050)!;
  const y = readNpy(path.join(GOLDEN, c.signal.file)).data;
  const X = stft(y);
  const mag: Matrix = { data: X.re.map((r, i) => Math.hypot(r, X.im[i])), rows: X.rows, cols: X.cols };
  const { worst, at } = compare(mag, readMatrixNpy(path.join(GOLDEN, c.features.mag.file)), 'spectrum');
  assert.ok(worst <= 1, `|stft|: ${worst}× tolerance at ${at}`);
  // A cosine on bin 32 (centred frames, periodic Hann): frame t is centred on sample t·hop, where the
  // cosine's phase is 2π·32·t·hop/nFft = 2π·8t: a real, positive coefficient.
  const n = 2048, cos = Float32Array.from({ length: 8 * n }, (_, i) => Math.cos((2 * Math.PI * 32 * i) / n));
  const C = stft(cos, { nFft: n, hopLength: 512 });
  const t = 5;
  assert.ok(C.re[32 * C.cols + t] > 100 && Math.abs(C.im[32 * C.cols + t]) < 1e-3 * C.re[32 * C.cols + t]);
});
