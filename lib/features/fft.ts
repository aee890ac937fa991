/**
 * FFT on typed arrays for the STFT's hot loop. A real transform of even power-of-two length n
 * runs as one complex radix-2 transform of length n/2 plus an O(n) split; any other length uses
 * Bluestein's chirp-z algorithm over a power-of-two convolution (torchaudio's default n_fft = 400).
 * Everything is float64; plans (twiddles, bit reversal) are built once per size and cached.
 */

/**
 * In-place complex FFT of power-of-two length n (forward, e^{-2πi jk/n}): bit reversal, one
 * radix-2 pass when log2 n is odd, then radix-4 passes (half the passes over memory of radix-2).
 */
class ComplexFFT {
  readonly n: number;
  private readonly rev: Uint32Array;
  /** Per radix-4 pass (quarter size q): twiddles W^j, W^2j, W^3j for j < q, as [c1, s1, c2, s2, c3, s3] · q. */
  private readonly passes: { q: number; tw: Float64Array }[] = [];
  private readonly radix2First: boolean;

  constructor(n: number) {
    if (n < 1 || (n & (n - 1)) !== 0) throw new Error(`ComplexFFT: size must be a power of two, got ${n}`);
    this.n = n;
    const bits = Math.round(Math.log2(n));
    this.rev = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.rev[i] = r;
    }
    this.radix2First = bits % 2 === 1;
    for (let q = this.radix2First ? 2 : 1; 4 * q <= n; q *= 4) {
      const N = 4 * q;
      const tw = new Float64Array(6 * q);
      for (let j = 0; j < q; j++) {
        for (let r = 1; r <= 3; r++) {
          const a = (2 * Math.PI * r * j) / N;
          tw[6 * j + 2 * (r - 1)] = Math.cos(a);
          tw[6 * j + 2 * (r - 1) + 1] = Math.sin(a);
        }
      }
      this.passes.push({ q, tw });
    }
  }

  /**
   * Flat twiddles of the radix-4 passes with q ≥ 2, in pass order, [c1, s1, c2, s2, c3, s3] · q
   * each (what `forwardInterleaved` walks through).
   */
  private flatTw?: Float64Array;

  /**
   * Forward passes on interleaved data z = [re0, im0, re1, im1, …] `[2n]` already in bit-reversed
   * order: the same butterflies as `butterflies` (same operations, same values), but one array
   * holds both parts of a value next to each other, which is faster per transform than split re/im
   * arrays (STFT's hot loop; `npm run bench:features` times it).
   */
  forwardInterleaved(z: Float64Array): void {
    let tw = this.flatTw;
    if (!tw) {
      const parts = this.passes.filter((p) => p.q > 1);
      tw = new Float64Array(parts.reduce((a, p) => a + p.tw.length, 0));
      let o = 0;
      for (const p of parts) {
        tw.set(p.tw, o);
        o += p.tw.length;
      }
      this.flatTw = tw;
    }
    forwardInterleavedPasses(z, this.n, tw, this.radix2First);
  }

  /** Transform (re, im) in place; `inverse` uses e^{+2πi jk/n} (no 1/n scaling). */
  transform(re: Float64Array, im: Float64Array, inverse = false): void {
    const n = this.n, rev = this.rev;
    for (let i = 0; i < n; i++) {
      const j = rev[i];
      if (j > i) {
        let t = re[i]; re[i] = re[j]; re[j] = t;
        t = im[i]; im[i] = im[j]; im[j] = t;
      }
    }
    this.butterflies(re, im, inverse);
  }

  /** The bit-reversal permutation: input element i belongs at position rev[i]. */
  get bitReversal(): Uint32Array {
    return this.rev;
  }

  /** The passes of `transform` on input already stored in bit-reversed order. */
  butterflies(re: Float64Array, im: Float64Array, inverse = false): void {
    const n = this.n;
    if (this.radix2First) {
      for (let i = 0; i + 1 < n; i += 2) {
        const ar = re[i], ai = im[i], br = re[i + 1], bi = im[i + 1];
        re[i] = ar + br; im[i] = ai + bi;
        re[i + 1] = ar - br; im[i + 1] = ai - bi;
      }
    }
    const sg = inverse ? -1 : 1;
    for (const { q, tw } of this.passes) {
      const N = 4 * q;
      if (q === 1) {
        // First radix-4 pass: all twiddles are 1.
        for (let b = 0; b < n; b += 4) {
          const t0r = re[b], t0i = im[b], t2r = re[b + 1], t2i = im[b + 1];
          const t1r = re[b + 2], t1i = im[b + 2], t3r = re[b + 3], t3i = im[b + 3];
          const ar = t0r + t2r, ai = t0i + t2i, br = t0r - t2r, bi = t0i - t2i;
          const cr = t1r + t3r, ci = t1i + t3i;
          const dr = sg * (t1i - t3i), di = -sg * (t1r - t3r);
          re[b] = ar + cr; im[b] = ai + ci;
          re[b + 1] = br + dr; im[b + 1] = bi + di;
          re[b + 2] = ar - cr; im[b + 2] = ai - ci;
          re[b + 3] = br - dr; im[b + 3] = bi - di;
        }
        continue;
      }
      for (let j = 0; j < q; j++) {
        const c1 = tw[6 * j], s1 = sg * tw[6 * j + 1];
        const c2 = tw[6 * j + 2], s2 = sg * tw[6 * j + 3];
        const c3 = tw[6 * j + 4], s3 = sg * tw[6 * j + 5];
        for (let b = j; b < n; b += N) {
          // Bit-reversed order puts the residue-0, 2, 1, 3 sub-transforms at offsets 0, q, 2q, 3q.
          const i0 = b, i2 = b + q, i1 = b + 2 * q, i3 = b + 3 * q;
          const t0r = re[i0], t0i = im[i0];
          let xr = re[i1], xi = im[i1];
          const t1r = xr * c1 + xi * s1, t1i = xi * c1 - xr * s1;
          xr = re[i2]; xi = im[i2];
          const t2r = xr * c2 + xi * s2, t2i = xi * c2 - xr * s2;
          xr = re[i3]; xi = im[i3];
          const t3r = xr * c3 + xi * s3, t3i = xi * c3 - xr * s3;
          const ar = t0r + t2r, ai = t0i + t2i, br = t0r - t2r, bi = t0i - t2i;
          const cr = t1r + t3r, ci = t1i + t3i;
          // forward: -i·(t1 - t3); inverse: +i·(t1 - t3)
          const dr = sg * (t1i - t3i), di = -sg * (t1r - t3r);
          re[b] = ar + cr; im[b] = ai + ci;
          re[b + q] = br + dr; im[b + q] = bi + di;
          re[b + 2 * q] = ar - cr; im[b + 2 * q] = ai - ci;
          re[b + 3 * q] = br - dr; im[b + 3 * q] = bi - di;
        }
      }
    }
  }
}

/** The forward passes of ComplexFFT on interleaved z `[2n]` (see ComplexFFT.forwardInterleaved). */
function forwardInterleavedPasses(z: Float64Array, n: number, tw: Float64Array, radix2First: boolean): void {
  const n2 = 2 * n;
  let q = 1;
  if (radix2First) {
    for (let i = 0; i + 3 < n2; i += 4) {
      const ar = z[i], ai = z[i + 1], br = z[i + 2], bi = z[i + 3];
      z[i] = ar + br; z[i + 1] = ai + bi;
      z[i + 2] = ar - br; z[i + 3] = ai - bi;
    }
    q = 2;
  } else if (n >= 4) {
    // first radix-4 pass: all twiddles are 1
    for (let b = 0; b < n2; b += 8) {
      const t0r = z[b], t0i = z[b + 1], t2r = z[b + 2], t2i = z[b + 3];
      const t1r = z[b + 4], t1i = z[b + 5], t3r = z[b + 6], t3i = z[b + 7];
      const ar = t0r + t2r, ai = t0i + t2i, br = t0r - t2r, bi = t0i - t2i;
      const cr = t1r + t3r, ci = t1i + t3i;
      const dr = t1i - t3i, di = -(t1r - t3r);
      z[b] = ar + cr; z[b + 1] = ai + ci;
      z[b + 2] = br + dr; z[b + 3] = bi + di;
      z[b + 4] = ar - cr; z[b + 5] = ai - ci;
      z[b + 6] = br - dr; z[b + 7] = bi - di;
    }
    q = 4;
  }
  for (let to = 0; 4 * q <= n; q *= 4) {
    const q2 = 2 * q, N2 = 8 * q;
    for (let j = 0, t = to; j < q; j++, t += 6) {
      const c1 = tw[t], s1 = tw[t + 1], c2 = tw[t + 2], s2 = tw[t + 3], c3 = tw[t + 4], s3 = tw[t + 5];
      for (let i0 = 2 * j; i0 < n2; i0 += N2) {
        // Bit-reversed order puts the residue-0, 2, 1, 3 sub-transforms at offsets 0, q, 2q, 3q.
        const i2 = i0 + q2, i1 = i2 + q2, i3 = i1 + q2;
        const t0r = z[i0], t0i = z[i0 + 1];
        let xr = z[i1], xi = z[i1 + 1];
        const t1r = xr * c1 + xi * s1, t1i = xi * c1 - xr * s1;
        xr = z[i2]; xi = z[i2 + 1];
        const t2r = xr * c2 + xi * s2, t2i = xi * c2 - xr * s2;
        xr = z[i3]; xi = z[i3 + 1];
        const t3r = xr * c3 + xi * s3, t3i = xi * c3 - xr * s3;
        const ar = t0r + t2r, ai = t0i + t2i, br = t0r - t2r, bi = t0i - t2i;
        const cr = t1r + t3r, ci = t1i + t3i;
        const dr = t1i - t3i, di = -(t1r - t3r);
        z[i0] = ar + cr; z[i0 + 1] = ai + ci;
        z[i2] = br + dr; z[i2 + 1] = bi + di;
        z[i1] = ar - cr; z[i1 + 1] = ai - ci;
        z[i3] = br - dr; z[i3 + 1] = bi - di;
      }
    }
    to += 6 * q;
  }
}

/** Real-input FFT of length n returning the n/2 + 1 (floor) non-negative-frequency bins. */
export class RealFFT {
  readonly n: number;
  /** Number of output bins, floor(n / 2) + 1. */
  readonly bins: number;
  private readonly half?: ComplexFFT;
  private readonly wr?: Float64Array;
  private readonly wi?: Float64Array;
  private readonly zr: Float64Array;
  private readonly zi: Float64Array;
  /** Interleaved scratch `[2 · n/2]` of the power-of-two framer. */
  private readonly zz?: Float64Array;
  // Bluestein state
  private readonly conv?: ComplexFFT;
  private readonly chirpR?: Float64Array;
  private readonly chirpI?: Float64Array;
  private readonly kernR?: Float64Array;
  private readonly kernI?: Float64Array;

  constructor(n: number) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`RealFFT: size must be a positive integer, got ${n}`);
    this.n = n;
    this.bins = Math.floor(n / 2) + 1;
    this.outRe = new Float64Array(this.bins);
    this.outIm = new Float64Array(this.bins);
    if (n >= 4 && (n & (n - 1)) === 0) {
      const m = n / 2;
      this.half = new ComplexFFT(m);
      this.zr = new Float64Array(m);
      this.zi = new Float64Array(m);
      this.zz = new Float64Array(2 * m);
      this.wr = new Float64Array(m + 1);
      this.wi = new Float64Array(m + 1);
      for (let k = 0; k <= m; k++) {
        this.wr[k] = Math.cos((2 * Math.PI * k) / n);
        this.wi[k] = -Math.sin((2 * Math.PI * k) / n);
      }
    } else {
      // Bluestein: X_k = w_k Σ_j (x_j w_j) conj(w_{k-j}), w_j = e^{-iπ j²/n}; j² taken mod 2n for accuracy.
      let size = 1;
      while (size < 2 * n - 1) size <<= 1;
      this.conv = new ComplexFFT(size);
      this.chirpR = new Float64Array(n);
      this.chirpI = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        const a = (Math.PI * ((j * j) % (2 * n))) / n;
        this.chirpR[j] = Math.cos(a);
        this.chirpI[j] = -Math.sin(a);
      }
      this.kernR = new Float64Array(size);
      this.kernI = new Float64Array(size);
      for (let j = 0; j < n; j++) {
        this.kernR[j] = this.chirpR[j];
        this.kernI[j] = -this.chirpI[j];
        if (j > 0) {
          this.kernR[size - j] = this.chirpR[j];
          this.kernI[size - j] = -this.chirpI[j];
        }
      }
      this.conv.transform(this.kernR, this.kernI);
      this.zr = new Float64Array(size);
      this.zi = new Float64Array(size);
    }
  }

  /** Output buffers of `framer` functions, `[bins]` each (overwritten by every call). */
  readonly outRe: Float64Array;
  readonly outIm: Float64Array;
  private readonly framers = new Map<Float64Array | null, (x: Float32Array, offset: number) => void>();

  /**
   * A function computing the spectrum of `x[offset .. offset+n) · window` into outRe/outIm: the
   * STFT's per-frame call. One closure per (plan, window) is made and cached, holding every array
   * in a constant binding: V8 then compiles the inlined pack/split loops against those exact arrays
   * (faster per frame than a method reading them from `this`). Callers must reuse the
   * same window object (resolveStft caches its windows) for the cache to hit.
   */
  framer(window: Float64Array | null): (x: Float32Array, offset: number) => void {
    let f = this.framers.get(window);
    if (f) return f;
    const re = this.outRe, im = this.outIm;
    if (this.half) {
      const m = this.n / 2, zr = this.zr, zi = this.zi, wr = this.wr!, wi = this.wi!, half = this.half, rev = half.bitReversal;
      if (window) {
        const w = window, z = this.zz!;
        f = (x, offset) => {
          packWindowedInterleaved(x, offset, w, z, rev, m);
          half.forwardInterleaved(z);
          splitRealSpectrumInterleaved(z, wr, wi, re, im, m);
        };
      } else {
        f = (x, offset) => {
          packGeneric(x, offset, null, zr, zi, rev, m);
          half.butterflies(zr, zi);
          splitRealSpectrum(zr, zi, wr, wi, re, im, m);
        };
      }
    } else {
      f = (x, offset) => this.forwardWindowed(x, offset, window, re, im);
    }
    if (this.framers.size > 16) this.framers.clear(); // windows not reused: do not grow without bound
    this.framers.set(window, f);
    return f;
  }

  /** x `[n]` → re, im `[bins]`. */
  forward(x: ArrayLike<number>, re: Float64Array, im: Float64Array): void {
    this.forwardWindowed(x, 0, null, re, im);
  }

  /**
   * The spectrum of `x[offset .. offset+n) · window` (window `[n]`, or null for none) without
   * copying the frame out first: the STFT's inner call.
   */
  forwardWindowed(x: ArrayLike<number>, offset: number, window: Float64Array | null, re: Float64Array, im: Float64Array): void {
    if (this.half) this.forwardPow2(x, offset, window, re, im);
    else {
      const n = this.n, buf = new Float64Array(n);
      for (let j = 0; j < n; j++) buf[j] = window ? x[offset + j] * window[j] : x[offset + j];
      this.forwardBluestein(buf, re, im);
    }
  }

  private forwardPow2(x: ArrayLike<number>, offset: number, w: Float64Array | null, re: Float64Array, im: Float64Array): void {
    const m = this.n / 2;
    // Three separate (non-inlined) steps: faster than one function holding all three, whose
    // inlined form V8 compiles worse.
    if (w && x instanceof Float32Array) packWindowedF32(x, offset, w, this.zr, this.zi, this.half!.bitReversal, m);
    else packGeneric(x, offset, w, this.zr, this.zi, this.half!.bitReversal, m);
    this.half!.butterflies(this.zr, this.zi);
    splitRealSpectrum(this.zr, this.zi, this.wr!, this.wi!, re, im, m);
  }

  private forwardBluestein(x: Float64Array, re: Float64Array, im: Float64Array): void {
    const n = this.n, zr = this.zr, zi = this.zi, cr = this.chirpR!, ci = this.chirpI!, kr = this.kernR!, ki = this.kernI!;
    const size = zr.length;
    zr.fill(0);
    zi.fill(0);
    for (let j = 0; j < n; j++) {
      zr[j] = x[j] * cr[j];
      zi[j] = x[j] * ci[j];
    }
    const conv = this.conv!;
    conv.transform(zr, zi);
    for (let k = 0; k < size; k++) {
      const a = zr[k], b = zi[k];
      zr[k] = a * kr[k] - b * ki[k];
      zi[k] = a * ki[k] + b * kr[k];
    }
    conv.transform(zr, zi, true);
    const inv = 1 / size;
    for (let k = 0; k < this.bins; k++) {
      const a = zr[k] * inv, b = zi[k] * inv;
      re[k] = a * cr[k] - b * ci[k];
      im[k] = a * ci[k] + b * cr[k];
    }
  }
}

/** Frame x[offset..offset+2m) · w packed as m complex values (even + i·odd) in bit-reversed order. */
function packWindowedF32(x: Float32Array, offset: number, w: Float64Array, zr: Float64Array, zi: Float64Array, rev: Uint32Array, m: number): void {
  for (let k = 0, p = offset; k < m; k++, p += 2) {
    const r = rev[k];
    zr[r] = x[p] * w[2 * k];
    zi[r] = x[p + 1] * w[2 * k + 1];
  }
}

/** packWindowedF32 into one interleaved array z `[2m]`. */
function packWindowedInterleaved(x: Float32Array, offset: number, w: Float64Array, z: Float64Array, rev: Uint32Array, m: number): void {
  for (let k = 0, p = offset; k < m; k++, p += 2) {
    const r = 2 * rev[k];
    z[r] = x[p] * w[2 * k];
    z[r + 1] = x[p + 1] * w[2 * k + 1];
  }
}

/** splitRealSpectrum reading an interleaved Z `[2m]`. */
function splitRealSpectrumInterleaved(z: Float64Array, wr: Float64Array, wi: Float64Array, re: Float64Array, im: Float64Array, m: number): void {
  re[0] = z[0] + z[1];
  im[0] = 0;
  re[m] = z[0] - z[1];
  im[m] = 0;
  for (let k = 1, j = m - 1; k <= j; k++, j--) {
    const a = z[2 * k], b = z[2 * k + 1], c = z[2 * j], d = z[2 * j + 1];
    const er = 0.5 * (a + c), ei = 0.5 * (b - d);
    const or = 0.5 * (b + d), oi = -0.5 * (a - c);
    re[k] = er + wr[k] * or - wi[k] * oi;
    im[k] = ei + wr[k] * oi + wi[k] * or;
    if (j !== k) {
      re[j] = er + wr[j] * or + wi[j] * oi;
      im[j] = -ei - wr[j] * oi + wi[j] * or;
    }
  }
}

function packGeneric(x: ArrayLike<number>, offset: number, w: Float64Array | null, zr: Float64Array, zi: Float64Array, rev: Uint32Array, m: number): void {
  for (let k = 0, p = offset; k < m; k++, p += 2) {
    const r = rev[k];
    zr[r] = w ? x[p] * w[2 * k] : x[p];
    zi[r] = w ? x[p + 1] * w[2 * k + 1] : x[p + 1];
  }
}

/**
 * Z = FFT(even + i·odd) → the real signal's spectrum X[0..m]: X[k] = E[k] + W^k·O[k] with
 * E = (Z[k] + conj Z[m−k]) / 2 and O = (Z[k] − conj Z[m−k]) / 2i, W = e^{−2πi/n}.
 */
function splitRealSpectrum(zr: Float64Array, zi: Float64Array, wr: Float64Array, wi: Float64Array, re: Float64Array, im: Float64Array, m: number): void {
  // k = 0 and k = m both pair Z[0] with itself: purely real outputs.
  re[0] = zr[0] + zi[0];
  im[0] = 0;
  re[m] = zr[0] - zi[0];
  im[m] = 0;
  // Bins k and m − k read the same two values of Z: do both per iteration.
  for (let k = 1, j = m - 1; k <= j; k++, j--) {
    const a = zr[k], b = zi[k], c = zr[j], d = zi[j];
    const er = 0.5 * (a + c), ei = 0.5 * (b - d);
    const or = 0.5 * (b + d), oi = -0.5 * (a - c);
    re[k] = er + wr[k] * or - wi[k] * oi;
    im[k] = ei + wr[k] * oi + wi[k] * or;
    if (j !== k) {
      // Z[j] = (c, d), conj-partner Z[k]: even part conj(E), odd part (or, −oi)
      re[j] = er + wr[j] * or + wi[j] * oi;
      im[j] = -ei - wr[j] * oi + wi[j] * or;
    }
  }
}

const plans = new Map<number, RealFFT>();

/** A cached RealFFT plan for size n (plans hold scratch buffers: one per size per thread). */
export function realFFT(n: number): RealFFT {
  let p = plans.get(n);
  if (!p) {
    p = new RealFFT(n);
    plans.set(n, p);
  }
  return p;
}

/** Convenience: the complex spectrum `[floor(n/2)+1]` of a real signal (np.fft.rfft). */
export function rfft(x: ArrayLike<number>): { re: Float64Array; im: Float64Array } {
  const plan = realFFT(x.length);
  const re = new Float64Array(plan.bins), im = new Float64Array(plan.bins);
  plan.forward(Float64Array.from(x), re, im);
  return { re, im };
}
