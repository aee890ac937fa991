/**
 * The neuron and the multilayer perceptron of lectures 3–8 (seed 003), in plain TypeScript with
 * no framework: vectors are `number[]`, a weight matrix is `number[][]` shaped `[nIn, nOut]`
 * (rows = inputs, as in the lecture's `np.random.rand(layers[i], layers[i+1])`), activations are
 * sigmoids, the loss is the quadratic error E = ½ Σ (p − y)², and training is plain gradient
 * descent, one sample at a time (stochastic, as the lecture's `train`).
 *
 * Differences from the lecture's numpy code, on purpose:
 * - `gradients()` returns ∂E/∂W with its true sign and `gradientDescent` subtracts it; the lecture
 *   stores −∂E/∂W (it back-propagates `target − output`) and adds it. Same update, but ours can be
 *   checked against finite differences (test/scratch.test.ts does).
 * - A seeded random generator, so a notebook run is reproducible.
 * - No biases, as in the lecture (its network learns a + b for a, b ∈ [0, 0.5) without them).
 */
import { mulberry32 } from '../random';

// ---------------------------------------------------------------------------------------------
// Vector and matrix operations (lecture 4)
// ---------------------------------------------------------------------------------------------

/** Dot product ⟨a|b⟩ of two vectors of the same length. */
export function dot(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`dot: vectors of different lengths (${a.length} and ${b.length})`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Element-wise a + b (same dimension required, lecture 4). */
export function add(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length) throw new Error(`add: vectors of different lengths (${a.length} and ${b.length})`);
  return a.map((v, i) => v + b[i]);
}

/** Scalar times vector. */
export function scale(a: readonly number[], k: number): number[] {
  return a.map((v) => v * k);
}

/** Shape `[rows, cols]` of a matrix; throws on ragged rows. */
export function shape(m: readonly (readonly number[])[]): [number, number] {
  const cols = m.length ? m[0].length : 0;
  m.forEach((r, i) => {
    if (r.length !== cols) throw new Error(`matrix row ${i} has ${r.length} columns, row 0 has ${cols}`);
  });
  return [m.length, cols];
}

/** Transpose: `[m, n]` → `[n, m]`. */
export function transpose(m: readonly (readonly number[])[]): number[][] {
  const [rows, cols] = shape(m);
  return Array.from({ length: cols }, (_, j) => Array.from({ length: rows }, (_, i) => m[i][j]));
}

/** Matrix product `[m, n] × [n, k]` → `[m, k]` (columns of the first = rows of the second). */
export function matmul(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): number[][] {
  const [m, n] = shape(a);
  const [n2, k] = shape(b);
  if (n !== n2) throw new Error(`matmul: [${m}, ${n}] × [${n2}, ${k}]: inner dimensions differ`);
  const out = Array.from({ length: m }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < m; i++) for (let p = 0; p < n; p++) for (let j = 0; j < k; j++) out[i][j] += a[i][p] * b[p][j];
  return out;
}

/** Row vector times matrix: `[n] × [n, k]` → `[k]` (the lecture's `np.dot(activations, w)`). */
export function vecmat(v: readonly number[], m: readonly (readonly number[])[]): number[] {
  const [n, k] = shape(m);
  if (v.length !== n) throw new Error(`vecmat: vector of length ${v.length} × matrix [${n}, ${k}]`);
  const out = new Array<number>(k).fill(0);
  for (let p = 0; p < n; p++) for (let j = 0; j < k; j++) out[j] += v[p] * m[p][j];
  return out;
}

// ---------------------------------------------------------------------------------------------
// The artificial neuron (lecture 3)
// ---------------------------------------------------------------------------------------------

/** σ(x) = 1 / (1 + e^−x): squashes any net input into (0, 1). */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** σ'(h) written with the activation a = σ(h): σ' = a (1 − a) (lecture 8's `_sigmoid_derivative`). */
export function sigmoidDerivative(a: number): number {
  return a * (1 - a);
}

/** One neuron: net input h = ⟨x|w⟩, output y = σ(h). */
export function activate(inputs: readonly number[], weights: readonly number[]): number {
  return sigmoid(dot(inputs, weights));
}

// ---------------------------------------------------------------------------------------------
// Random numbers (seeded, so notebooks are reproducible)
// ---------------------------------------------------------------------------------------------

/** lib/random's mulberry32 seeded with `seed`: uniform in [0, 1) like `np.random.rand`. */
export function randomGenerator(seed: number): () => number {
  return mulberry32(seed);
}

// ---------------------------------------------------------------------------------------------
// The multilayer perceptron (lectures 5–8)
// ---------------------------------------------------------------------------------------------

export interface ScratchMLPOptions {
  /** Neurons in the input layer (lecture default 3). */
  numInputs?: number;
  /** Neurons per hidden layer (lecture default [3, 5]). */
  hiddenLayers?: number[];
  /** Neurons in the output layer (lecture default 2). */
  numOutputs?: number;
  /** Seed of the weight initialisation (uniform [0, 1), as `np.random.rand`). */
  seed?: number;
}

export interface TrainOptions {
  epochs: number;
  learningRate: number;
  /** Called after each epoch with the mean squared error over the samples (the lecture prints it). */
  onEpoch?: (epoch: number, meanError: number) => void;
}

export class ScratchMLP {
  readonly numInputs: number;
  readonly hiddenLayers: number[];
  readonly numOutputs: number;
  /** Layer sizes, input to output, e.g. `[2, 5, 1]`. */
  readonly layers: number[];
  /** `weights[i]` is `[layers[i], layers[i + 1]]`. */
  weights: number[][][];
  /** Activations saved by the last `forward`, one vector per layer (`activations[0]` = the input). */
  activations: number[][];

  constructor(opts: ScratchMLPOptions = {}) {
    this.numInputs = opts.numInputs ?? 3;
    this.hiddenLayers = opts.hiddenLayers ?? [3, 5];
    this.numOutputs = opts.numOutputs ?? 2;
    this.layers = [this.numInputs, ...this.hiddenLayers, this.numOutputs];
    this.layers.forEach((n, i) => {
      if (!Number.isInteger(n) || n < 1) throw new Error(`ScratchMLP: layer ${i} must have a positive whole number of neurons, got ${n}`);
    });
    const rand = randomGenerator(opts.seed ?? 0);
    this.weights = this.layers.slice(0, -1).map((nIn, i) =>
      Array.from({ length: nIn }, () => Array.from({ length: this.layers[i + 1] }, () => rand())),
    );
    this.activations = this.layers.map((n) => new Array<number>(n).fill(0));
  }

  /** Number of weights (no biases in the lecture's network). */
  countParams(): number {
    return this.weights.reduce((s, w) => s + w.length * w[0].length, 0);
  }

  /** Forward pass: `[numInputs]` → `[numOutputs]`; saves every layer's activations for `gradients`. */
  forward(inputs: readonly number[]): number[] {
    if (inputs.length !== this.numInputs) throw new Error(`ScratchMLP.forward: expected ${this.numInputs} inputs, got ${inputs.length}`);
    let a = inputs.slice();
    this.activations[0] = a;
    this.weights.forEach((w, i) => {
      a = vecmat(a, w).map(sigmoid); // net inputs h = a·W, then activation σ(h)
      this.activations[i + 1] = a;
    });
    return a;
  }

  /** Quadratic loss of one sample, E = ½ Σ (p − y)² (lecture 7). */
  loss(inputs: readonly number[], target: readonly number[]): number {
    const p = this.forward(inputs);
    if (target.length !== p.length) throw new Error(`ScratchMLP.loss: expected ${p.length} targets, got ${target.length}`);
    return 0.5 * p.reduce((s, v, i) => s + (v - target[i]) ** 2, 0);
  }

  /**
   * Backpropagation (lecture 7's chain rule) for one sample: ∂E/∂W for every weight matrix,
   * each shaped like `weights[i]`. δ at the output is (p − y) ⊙ σ'(h); each layer's gradient is
   * aᵢᵀ δᵢ₊₁ and the error passed back is δ Wᵀ.
   */
  gradients(inputs: readonly number[], target: readonly number[]): number[][][] {
    const p = this.forward(inputs);
    if (target.length !== p.length) throw new Error(`ScratchMLP.gradients: expected ${p.length} targets, got ${target.length}`);
    let error = p.map((v, i) => v - target[i]); // ∂E/∂p
    const grads: number[][][] = new Array(this.weights.length);
    for (let i = this.weights.length - 1; i >= 0; i--) {
      const delta = error.map((e, j) => e * sigmoidDerivative(this.activations[i + 1][j]));
      const prev = this.activations[i];
      grads[i] = prev.map((a) => delta.map((d) => a * d)); // outer product [nIn, nOut]
      error = this.weights[i].map((row) => dot(row, delta)); // δ Wᵀ
    }
    return grads;
  }

  /** One gradient-descent step: W ← W − η ∂E/∂W. */
  gradientDescent(grads: number[][][], learningRate: number): void {
    this.weights.forEach((w, i) => w.forEach((row, r) => row.forEach((_, c) => (row[c] -= learningRate * grads[i][r][c]))));
  }

  /**
   * Stochastic gradient descent over the samples, in order, for `epochs` epochs (lecture 8's
   * `train`). Returns the mean squared error of each epoch (mean over samples of mean over outputs
   * of (y − p)², the lecture's `_mse`), measured during the epoch as the lecture does.
   */
  train(inputs: readonly (readonly number[])[], targets: readonly (readonly number[])[], opts: TrainOptions): number[] {
    if (inputs.length !== targets.length) throw new Error(`ScratchMLP.train: ${inputs.length} inputs but ${targets.length} targets`);
    if (!inputs.length) throw new Error('ScratchMLP.train: no samples');
    const history: number[] = [];
    for (let epoch = 0; epoch < opts.epochs; epoch++) {
      let sum = 0;
      for (let s = 0; s < inputs.length; s++) {
        const g = this.gradients(inputs[s], targets[s]);
        const p = this.activations[this.activations.length - 1];
        sum += p.reduce((acc, v, i) => acc + (targets[s][i] - v) ** 2, 0) / p.length;
        this.gradientDescent(g, opts.learningRate);
      }
      history.push(sum / inputs.length);
      opts.onEpoch?.(epoch, sum / inputs.length);
    }
    return history;
  }

  /** Predictions for several samples: `[n, numInputs]` → `[n, numOutputs]`. */
  predict(inputs: readonly (readonly number[])[]): number[][] {
    return inputs.map((x) => this.forward(x));
  }
}

/**
 * The lecture's toy task (lecture 8): learn to add two numbers. Each sample is `[a, b]` with
 * a, b uniform in [0, 0.5) (the lecture's `random() / 2`, so the sum stays below 1, inside the
 * sigmoid's range); the target is `[a + b]`.
 */
export function additionDataset(numSamples: number, seed = 0): { inputs: number[][]; targets: number[][] } {
  const rand = randomGenerator(seed);
  const inputs = Array.from({ length: numSamples }, () => [rand() / 2, rand() / 2]);
  return { inputs, targets: inputs.map(([a, b]) => [a + b]) };
}
