import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { activate, additionDataset, dot, matmul, ScratchMLP, sigmoid, transpose, vecmat } from '../lib/models/scratch';

test('vector and matrix operations (lecture 4)', () => {
  assert.equal(dot([1, 2, 3], [4, 5, 6]), 32);
  assert.deepEqual(matmul([[1, 2], [3, 4]], [[5, 6], [7, 8]]), [[19, 22], [43, 50]]);
  assert.deepEqual(transpose([[1, 2, 3], [4, 5, 6]]), [[1, 4], [2, 5], [3, 6]]);
  assert.deepEqual(vecmat([1, 2], [[1, 2, 3], [4, 5, 6]]), [9, 12, 15]);
  assert.throws(() => matmul([[1, 2]], [[1, 2]]), /inner dimensions differ/);
  assert.throws(() => dot([1], [1, 2]), /different lengths/);
});

test('the lecture-3 neuron gives the lecture\'s output', () => {
  // inputs [.5, .3, .2], weights [.4, .7, .2]: h = 0.2 + 0.21 + 0.04 = 0.45, σ(0.45) = 0.610639…
  assert.ok(Math.abs(activate([0.5, 0.3, 0.2], [0.4, 0.7, 0.2]) - 0.6106392339) < 1e-9);
  assert.equal(sigmoid(0), 0.5);
});

test('backprop gradients equal central finite differences', () => {
  const mlp = new ScratchMLP({ numInputs: 3, hiddenLayers: [4, 5], numOutputs: 2, seed: 7 });
  // Centre the weights around 0 so no sigmoid sits in its flat tail (a weak check there).
  mlp.weights.forEach((w) => w.forEach((row) => row.forEach((_, c) => (row[c] = row[c] * 2 - 1))));
  const x = [0.3, -0.8, 0.5];
  const y = [0.2, 0.9];
  const grads = mlp.gradients(x, y);
  const h = 1e-6;
  let worst = 0;
  let checked = 0;
  mlp.weights.forEach((w, i) =>
    w.forEach((row, r) =>
      row.forEach((orig, c) => {
        row[c] = orig + h;
        const ePlus = mlp.loss(x, y);
        row[c] = orig - h;
        const eMinus = mlp.loss(x, y);
        row[c] = orig;
        const numeric = (ePlus - eMinus) / (2 * h);
        const rel = Math.abs(numeric - grads[i][r][c]) / Math.max(1e-8, Math.abs(numeric) + Math.abs(grads[i][r][c]));
        worst = Math.max(worst, rel);
        checked++;
      }),
    ),
  );
  assert.equal(checked, mlp.countParams());
  assert.equal(checked, 3 * 4 + 4 * 5 + 5 * 2);
  assert.ok(worst < 1e-6, `worst relative gradient error ${worst}`);
});

test('a wrong gradient would be caught: the check is sensitive to a sign flip', () => {
  const mlp = new ScratchMLP({ numInputs: 2, hiddenLayers: [3], numOutputs: 1, seed: 1 });
  const g = mlp.gradients([0.1, 0.2], [0.3]);
  const w = mlp.weights[1];
  const orig = w[0][0];
  w[0][0] = orig + 1e-6;
  const ePlus = mlp.loss([0.1, 0.2], [0.3]);
  w[0][0] = orig - 1e-6;
  const eMinus = mlp.loss([0.1, 0.2], [0.3]);
  w[0][0] = orig;
  const numeric = (ePlus - eMinus) / 2e-6;
  assert.ok(Math.abs(numeric) > 1e-4, 'the gradient must be non-trivial for this to mean anything');
  assert.ok(Math.abs(numeric - -g[1][0][0]) > Math.abs(numeric) * 0.5);
});

test('gradient descent learns to add two numbers (lecture 8)', () => {
  const { inputs, targets } = additionDataset(1000, 42);
  const mlp = new ScratchMLP({ numInputs: 2, hiddenLayers: [5], numOutputs: 1, seed: 42 });
  const history = mlp.train(inputs, targets, { epochs: 50, learningRate: 0.1 });
  assert.equal(history.length, 50);
  assert.ok(history[49] < history[0] / 5, `error did not fall: ${history[0]} → ${history[49]}`);
  assert.ok(history[49] < 2e-3, `final mean squared error ${history[49]}`);
  const [[p]] = mlp.predict([[0.3, 0.1]]);
  assert.ok(Math.abs(p - 0.4) < 0.05, `0.3 + 0.1 = ${p}`);
});

test('bad shapes raise errors that name the problem', () => {
  const mlp = new ScratchMLP({ numInputs: 2, hiddenLayers: [3], numOutputs: 1 });
  assert.throws(() => mlp.forward([1, 2, 3]), /expected 2 inputs, got 3/);
  assert.throws(() => mlp.gradients([1, 2], [1, 2]), /expected 1 targets, got 2/);
  assert.throws(() => new ScratchMLP({ hiddenLayers: [0] }), /layer 1 must have a positive/);
  assert.throws(() => mlp.train([[1, 2]], [], { epochs: 1, learningRate: 0.1 }), /1 inputs but 0 targets/);
});
