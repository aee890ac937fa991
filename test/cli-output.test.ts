/**
 * The CLI's stdout is program output alone: `genre-lab … --json | python3 -c 'json.load(sys.stdin)'`
 * works, and the backend line and every log go to stderr. TensorFlow's C++ start-up lines (absl,
 * oneDNN) are off unless GENRE_LAB_VERBOSE=1. The other `--json` outputs: `data check`
 * (test/datasets.test.ts) and `predict` (test/predict.test.ts, which has a trained model).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { EXPERIMENTS } from '../lib/experiments/registry';
import { jsonFromCli } from './helpers/cli';

const TF_NOISE = /absl::InitializeLog|oneDNN custom operations|cpu_feature_guard/;

test('genre-lab list --json | python3 json.load: stdout is one JSON document; the backend line on stderr; no TF start-up lines', () => {
  const r = jsonFromCli(['list', '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual((r.json as { id: string }[]).map((e) => e.id), EXPERIMENTS.map((e) => e.id));
  assert.match(r.stderr, /\[genre-lab\] tfjs backend: /);
  assert.doesNotMatch(r.stderr, TF_NOISE);
});

test("GENRE_LAB_VERBOSE=1 lets TensorFlow's start-up lines through, on stderr; stdout is still JSON", { skip: process.arch !== 'x64' && 'what TF logs at start-up is checked on x86-64' }, () => {
  const r = jsonFromCli(['list', '--json'], { GENRE_LAB_VERBOSE: '1' });
  assert.match(r.stderr, /oneDNN custom operations|cpu_feature_guard|This TensorFlow binary/);
});
