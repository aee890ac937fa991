/**
 * dct() folds the DCT-II basis about its middle row (half the multiply-adds): it must still equal
 * the plain basis · S product, for even and odd row counts, both normalisations, any nOut.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dct, dctMatrix } from '../lib/features';

test('dct equals the explicit DCT-II basis product (even and odd n, ortho and unnormalised)', () => {
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.7) * 100; // dB-like values
  for (const n of [1, 2, 3, 13, 40, 127, 128]) {
    for (const norm of ['ortho', null] as const) {
      const T = 37;
      const S = { data: Float32Array.from({ length: n * T }, rand), rows: n, cols: T };
      for (const nOut of new Set([1, Math.min(n, 13), n])) {
        const M = dct(S, nOut, norm);
        const D = dctMatrix(nOut, n, norm);
        assert.equal(M.rows, nOut);
        assert.equal(M.cols, T);
        for (let k = 0; k < nOut; k++) {
          for (let t = 0; t < T; t++) {
            let want = 0;
            for (let j = 0; j < n; j++) want += D[k * n + j] * S.data[j * T + t];
            const got = M.data[k * T + t];
            assert.ok(Math.abs(got - want) <= 1e-6 * Math.max(1, Math.abs(want)), `n=${n} ${norm} k=${k} t=${t}: ${got} vs ${want}`);
          }
        }
      }
    }
  }
});
