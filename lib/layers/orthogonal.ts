/**
 * Keras' `Orthogonal` initializer (Saxe et al. 2014, "Exact solutions to the nonlinear dynamics of
 * learning in deep linear networks"), the default recurrent-kernel initializer of Keras LSTM/GRU:
 * a random normal matrix [max(r, c), min(r, c)] → QR → Q with the signs of diag(R) (so Q is uniform
 * over the orthogonal group) → transposed when r < c. Same as `tf.initializers.orthogonal`, minus its
 * "Slowness may result" warning for every matrix over 2000 elements (every recurrent kernel here) and
 * its Gram–Schmidt in tfjs ops: this is a Householder QR over Float64Array in plain JS
 * (~0.3 s for LSTM(256)'s [256, 1024]).
 */

/** Standard normal samples (Box–Muller). */
function randomNormal(n: number, rand: () => number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = 1 - rand();
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/**
 * An orthogonal matrix of shape [rows, cols] (orthonormal rows if rows ≤ cols, orthonormal columns
 * otherwise), row-major, scaled by `gain`.
 */
export function orthogonalMatrix(rows: number, cols: number, gain = 1, rand: () => number = Math.random): Float32Array {
  if (!(Number.isInteger(rows) && Number.isInteger(cols) && rows > 0 && cols > 0)) throw new Error(`lib/layers/orthogonal.ts: bad shape [${rows}, ${cols}]`);
  const m = Math.max(rows, cols);
  const n = Math.min(rows, cols);
  const a = randomNormal(m * n, rand); // [m, n] column-major: column j at a[j·m …], so reflections run over contiguous memory
  const vs: Float64Array[] = [];
  const signs = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    // Householder vector for column k below the diagonal.
    const v = new Float64Array(m - k);
    let norm = 0;
    for (let i = k; i < m; i++) {
      v[i - k] = a[k * m + i];
      norm += v[i - k] * v[i - k];
    }
    norm = Math.sqrt(norm);
    const alpha = v[0] > 0 ? -norm : norm; // R[k, k]
    signs[k] = alpha < 0 ? -1 : 1;
    v[0] -= alpha;
    let vn = 0;
    for (let i = 0; i < v.length; i++) vn += v[i] * v[i];
    vn = Math.sqrt(vn);
    if (vn > 0) for (let i = 0; i < v.length; i++) v[i] /= vn;
    vs.push(v);
    // A[k:, k:] -= 2 v (vᵀ A[k:, k:])
    for (let j = k; j < n; j++) {
      let dot = 0;
      const o = j * m;
      for (let i = k; i < m; i++) dot += v[i - k] * a[o + i];
      dot *= 2;
      for (let i = k; i < m; i++) a[o + i] -= dot * v[i - k];
    }
  }
  // Thin Q = H_0 ⋯ H_{n-1} I[:, :n], applied right to left.
  const q = new Float64Array(m * n); // column-major too
  for (let j = 0; j < n; j++) q[j * m + j] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const v = vs[k];
    for (let j = 0; j < n; j++) {
      let dot = 0;
      const o = j * m;
      for (let i = k; i < m; i++) dot += v[i - k] * q[o + i];
      dot *= 2;
      for (let i = k; i < m; i++) q[o + i] -= dot * v[i - k];
    }
  }
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      const val = gain * q[j * m + i] * signs[j];
      if (rows >= cols) out[i * cols + j] = val;
      else out[j * cols + i] = val; // transpose: [n, m] = [rows, cols]
    }
  return out;
}
