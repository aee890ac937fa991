import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { verdict } from '../bench/fidelity';

test('bench:fidelity verdict: within spread when |Δ| ≤ max(2 × the larger sd, 0.03)', () => {
  const s = (mean: number, sd: number) => ({ mean, sd, n: 3, secondsPerRun: 1 });
  assert.equal(verdict(s(0.7, 0.01), s(0.735, 0.02)).verdict, 'within spread'); // 0.035 ≤ 2 × 0.02
  assert.equal(verdict(s(0.7, 0.01), s(0.75, 0.02)).verdict, 'outside spread');
  assert.equal(verdict(s(0.7, 0), s(0.68, 0)).verdict, 'within spread'); // the 0.03 floor
  assert.equal(verdict(s(0.7, 0), s(0.66, 0)).verdict, 'outside spread');
  assert.equal(verdict(null, s(0.7, 0)).verdict, 'incomplete');
  assert.ok(Math.abs(verdict(s(0.5, 0.1), s(0.6, 0.05)).delta! - 0.1) < 1e-12);
});
