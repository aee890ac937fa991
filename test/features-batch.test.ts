/**
 * The dataset path (FeaturePool / extractBatch on worker threads) must give exactly what the
 * in-process extractors give, keep the caller's sample arrays usable, and survive several rounds
 * on one pool (the bench's pattern). Signals are synthetic: no data files needed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FeaturePool, extractBatch, getExtractor, melFilterbank, applyFilterbank, powerFrames, magnitudeFrames, melspectrogram, stft, resolveStft, padSignal, realFFT } from '../lib/features';

const SR = 22050;

function clip(seed: number, seconds: number): Float32Array {
  const y = new Float32Array(Math.round(seconds * SR));
  let s = seed;
  for (let i = 0; i < y.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    y[i] = 0.3 * Math.sin((2 * Math.PI * (110 + 40 * seed) * i) / SR) + 0.05 * (s / 2 ** 32 - 0.5);
  }
  return y;
}

test('FeaturePool gives the in-process extractors\' values, rounds after rounds, inputs left intact', async () => {
  const clips = [clip(1, 3), clip(2, 2.5), clip(3, 3)];
  const copies = clips.map((c) => c.slice());
  const pool = new FeaturePool({ concurrency: 2 });
  try {
    for (let round = 0; round < 2; round++) {
      for (const name of ['mfcc13', 'melDb128', 'features33'] as const) {
        const got = await pool.run(clips, name, { sr: SR });
        const f = getExtractor(name);
        got.forEach((m, i) => {
          const want = f(clips[i], SR);
          assert.equal(m.rows, want.rows, `${name} clip ${i} rows`);
          assert.equal(m.cols, want.cols, `${name} clip ${i} cols`);
          assert.deepEqual(m.data, want.data, `${name} clip ${i} values`);
        });
      }
    }
  } finally {
    await pool.close();
  }
  // the pool copies inputs to the workers: the caller's arrays are neither detached nor changed
  clips.forEach((c, i) => assert.deepEqual(c, copies[i]));
});

test('extractBatch rejects with the clip named when an extractor fails', async () => {
  await assert.rejects(extractBatch([clip(1, 1), new Float32Array(0)], 'mfcc13', { sr: SR, concurrency: 2 }), /clip 1: .*empty signal/);
});

test('the fused mel framer equals the filterbank applied to the power spectrogram', () => {
  // melspectrogram(y) runs the per-bin two-band scatter; applyFilterbank the band-wise loop.
  for (const opts of [{ nMels: 128 }, { nMels: 40, htk: true, norm: null }, { nMels: 64, fmin: 300, fmax: 8000 }] as const) {
    const y = clip(4, 2);
    const fast = melspectrogram(y, { sr: SR, ...opts });
    const fb = melFilterbank({ sr: SR, nFft: 2048, ...opts });
    const ref = applyFilterbank(fb, powerFrames(magnitudeFrames(y), 2));
    assert.deepEqual(fast.data, ref.data, JSON.stringify(opts));
  }
});

test('stft reads interior frames in place and pads only the edges: same as framing the whole padded signal', () => {
  // reference: pad the whole signal (np.pad), then FFT every frame of it
  for (const n of [1, 5, 511, 2048, 2049, 5000]) {
    for (const [nFft, hop] of [[16, 7], [400, 160], [2048, 512], [64, 2048]] as const) {
      for (const padMode of ['constant', 'reflect', 'edge'] as const) {
        const y = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) + 0.1 * (i % 5));
        const S = stft(y, { nFft, hopLength: hop, padMode });
        const s = resolveStft({ nFft, hopLength: hop, padMode });
        const x = padSignal(y, nFft / 2, padMode);
        const plan = realFFT(nFft);
        const re = new Float64Array(plan.bins), im = new Float64Array(plan.bins);
        for (let t = 0; t < S.cols; t++) {
          plan.forwardWindowed(x, t * hop, s.window, re, im);
          for (let k = 0; k < plan.bins; k++) {
            assert.equal(S.re[k * S.cols + t], Math.fround(re[k]), `n=${n} nFft=${nFft} hop=${hop} ${padMode} frame ${t} bin ${k}`);
            assert.equal(S.im[k * S.cols + t], Math.fround(im[k]));
          }
        }
      }
    }
  }
});
