/** meydaFrames: meyda's per-frame descriptors run, and differ from librosa's in the documented ways. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { meydaFrames, mfcc, spectralCentroid } from '../lib/features';

test('meyda per-frame descriptors: centroid in bins (× sr/N = Hz), MFCC on its own scale', () => {
  const sr = 16000, N = 512;
  const f0 = 40 * (sr / N); // a bin-centred 1250-Hz tone
  const y = Float32Array.from({ length: sr / 2 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * f0 * i) / sr));
  const m = meydaFrames(y, { sr, bufferSize: N, features: ['spectralCentroid', 'mfcc', 'zcr'] });
  const frames = Math.floor(y.length / N);
  assert.equal(m.spectralCentroid.length, frames);
  const cBins = m.spectralCentroid[3] as number;
  assert.ok(Math.abs(cBins - 40) < 1, `meyda centroid ${cBins} bins`);
  const ours = spectralCentroid(y, { sr, nFft: N, hopLength: N });
  assert.ok(Math.abs(ours.data[3] - f0) < 1, `librosa-style centroid ${ours.data[3]} Hz`);
  assert.ok(Math.abs(cBins * (sr / N) - ours.data[3]) < sr / N);
  // zcr: a count per frame (2 crossings per period), not librosa's rate
  assert.ok(Math.abs((m.zcr[3] as number) - (2 * f0 * N) / sr) <= 2);
  // MFCC: 13 coefficients of a different definition: not librosa's numbers
  const mf = m.mfcc[3] as number[];
  assert.equal(mf.length, 13);
  const lib = mfcc(y, { sr, nFft: N, hopLength: N, nMfcc: 13 });
  assert.ok(Math.abs(mf[0] - lib.data[3]) > 1, 'meyda and librosa MFCC-0 should not coincide');
  assert.throws(() => meydaFrames(y, { sr, bufferSize: 500 }), /power of two/);
});
