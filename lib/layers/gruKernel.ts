/**
 * One GRU layer, one direction, over a whole time-major sequence, in the "reset-after" form that
 * PyTorch `nn.GRU` and Keras `GRU(reset_after=True)` (the TF2 default, used by seed 002's author code)
 * compute; tfjs-layers' GRU only has the older reset-before form, so it is not a reference here.
 *
 * Weight layout (Keras reset_after): `kernel` [F, 3H], `recurrentKernel` [H, 3H], `bias` [2, 3H]
 * (row 0 the input bias, row 1 the recurrent bias), gate blocks in the order z (update), r (reset), h:
 *   z = σ(x·Wz + bz + h·Uz + b'z)   r = σ(x·Wr + br + h·Ur + b'r)
 *   ñ = tanh(x·Wh + bh + r∘(h·Uh + b'h))          (the recurrent bias b'h sits inside r∘(…))
 *   h' = (1 − z)∘ñ + z∘h
 * PyTorch `nn.GRU` orders its gates r, z, n: kernel = [W_iz; W_ir; W_in]^T, recurrentKernel =
 * [W_hz; W_hr; W_hn]^T, bias = [[b_iz, b_ir, b_in], [b_hz, b_hr, b_hn]] (its `b_hn` is our b'h).
 * TF's `GRUBlockCell` is reset-before (r∘h inside the matmul), so it cannot compute this.
 */
import { tf, type TF } from '../backend';
import { RawOps } from './tfRaw';
import { dims, unstackTime } from './timeSteps';

/**
 * `a`·`w[d]` for each direction d: `a` [D, B, K], `w` D handles [K, N] → [D, B, N], as Unpack, one
 * 2-D MatMul per direction and Pack instead of one BatchMatMulV2: on TF's 2 default threads the
 * per-step BatchMatMulV2 [2,32,128]·[2,128,384] took 117–150 µs against 77 µs on 1 thread, two
 * MatMuls 84 µs, the three-op form 105 µs; seed 002's BiGRU trained 62–65 → 70–74 samples/s
 * (bench:rnn --cases bigru, alternating runs, load 1.2–1.4).
 */
function perDirectionMatMul(ops: RawOps, a: number, w: number[]): number {
  const parts = ops.unpack(a, w.length, 0);
  const prods = parts.map((p, d) => ops.matMul(p, w[d]));
  const out = ops.pack(prods, 0).id;
  ops.free(...parts, ...prods);
  return out;
}

/**
 * The recurrence only, for D independent directions at once (D = 2 for a bidirectional layer, the
 * backward one fed its input reversed in time): every elementwise op works on [D, B, ·], so a
 * bidirectional layer costs the elementwise dispatches of one direction. x-projections come in
 * precomputed for all steps (one big matmul outside), so each step does h·U (`perDirectionMatMul`,
 * split into the z|r and h blocks) and the gate math, 11 + 2D raw TF ops with no tfjs bookkeeping. The backward pass is linear in dh given the
 * saved gates, so its per-step loop is 5 + 2D ops (dh·Uᵀ per direction plus elementwise), and the weight gradient is
 * one [H, T·B]×[T·B, 3H] matmul per direction after the loop.
 *
 * @param xp [D, T, B, 3H] = x·kernel + bias[0] + [b'z, b'r, 0]
 * @param h0 [D, B, H]; @param u [D, H, 3H] recurrentKernel; @param bhn [D, 1, H] the recurrent bias of the h block
 * @returns [D, T, B, H]
 */
export const gruRecurrenceFused = tf.customGrad(((xp: TF.Tensor, h0: TF.Tensor, u: TF.Tensor, bhn: TF.Tensor, save: (t: TF.Tensor[]) => void) => {
  const [D, T, B] = dims(xp, 4, 'GRU xp');
  const H = dims(h0, 3, 'GRU h0')[2];
  const ops = new RawOps();
  const [ixp, ih0, iu, ibhn] = ops.ids([xp, h0, u, bhn]);
  const hs: number[] = [];
  const zs: number[] = [];
  const rs: number[] = [];
  const ns: number[] = [];
  const gns: number[] = [];
  const ownedU: number[] = [];
  let outs: TF.Tensor[];
  try {
    const [xzr, xn] = ops.splitV(ixp, [2 * H, H], 3);
    const xzrT = ops.unpack(xzr, T, 1); // T × [D, B, 2H]
    const xnT = ops.unpack(xn, T, 1); // T × [D, B, H]
    ops.free(xzr, xn);
    const uD = ops.unpack(iu, D, 0); // D × [H, 3H], once
    ownedU.push(...uD);
    let h = ih0;
    for (let t = 0; t < T; t++) {
      // h·U for every direction, then split: cheaper than two matmuls on the z|r and h blocks.
      const g3 = perDirectionMatMul(ops, h, uD);
      const [gzr, gh0] = ops.splitV(g3, [2 * H, H], 2);
      ops.free(g3);
      const gn = ops.add(gh0, ibhn);
      const a = ops.add(xzrT[t], gzr);
      const s = ops.sigmoid(a);
      const [z, r] = ops.split(s, 2, 2);
      const m = ops.mul(r, gn);
      const np = ops.add(xnT[t], m);
      const n = ops.tanh(np);
      const d = ops.sub(h, n);
      const e = ops.mul(z, d);
      const hNext = ops.add(n, e);
      ops.free(gzr, gh0, a, s, m, np, d, e, xzrT[t], xnT[t]);
      hs.push(hNext);
      zs.push(z);
      rs.push(r);
      ns.push(n);
      gns.push(gn);
      h = hNext;
    }
    outs = [hs, zs, rs, ns, gns].map((list) => ops.toTensor(ops.pack(list, 1))); // each [D, T, B, H]
  } finally {
    ops.free(...hs, ...zs, ...rs, ...ns, ...gns, ...ownedU);
    ops.dispose();
  }
  save([h0, u, ...outs]);
  return {
    value: outs[0],
    gradFunc: (dy: TF.Tensor, saved: TF.Tensor[]) => {
      const g = new RawOps();
      const [sh0, su, shs, sz, sr, sn, sgn] = g.ids(saved);
      const [idy] = g.ids([dy]);
      const owned: number[] = [];
      const keep = <T extends number>(id: T): T => (owned.push(id), id);
      try {
        const one = keep(g.b.createTensor([], g.b.TF_FLOAT, Float32Array.from([1])));
        // h_{t-1} for every step: [h0, h_0 … h_{T-2}]  [D, T, B, H]
        const h0r = keep(g.reshape(sh0, [D, 1, B, H]));
        let hprev: number;
        if (T === 1) hprev = h0r;
        else {
          const [head, tail] = g.splitV(shs, [T - 1, 1], 1);
          owned.push(head, tail);
          hprev = keep(g.concat([h0r, head], 1).id);
        }
        // Per-step coefficients, computed for all steps at once (see the derivation in the header):
        // dñpre = dh∘A, da_z = dh∘Dz, da_r = dh∘Dr, d(h·Uh + b'h) = dh∘Cn.
        // TF's SigmoidGrad(y, d) = d∘y(1−y) and TanhGrad(y, d) = d∘(1−y²) fuse three passes into one.
        const A = keep(g.run1('TanhGrad', [g.tFloat], [sn, keep(g.sub(one, sz))])); // (1−z)(1−n²)
        const Dz = keep(g.run1('SigmoidGrad', [g.tFloat], [sz, keep(g.sub(hprev, sn))])); // (h−n)∘z(1−z)
        const Dr = keep(g.run1('SigmoidGrad', [g.tFloat], [sr, keep(g.mul(A, sgn))])); // A∘gn∘r(1−r)
        const Cn = keep(g.mul(A, sr));
        const Dc = keep(g.concat([Dz, Dr, Cn], 3).id); // [D, T, B, 3H] in the z, r, h order of u's columns
        const DT = g.unpack(Dc, T, 1);
        const zT = g.unpack(sz, T, 1);
        const dyT = g.unpack(idy, T, 1);
        owned.push(...DT, ...zT, ...dyT);
        const dGs: number[] = new Array(T);
        const dhs: number[] = new Array(T);
        // Uᵀ materialised once: a transposed-operand batched matmul per step measured ~2× slower here.
        const uT = keep(g.transpose(su, [0, 2, 1])); // [D, 3H, H]
        const uTD = g.unpack(uT, D, 0); // D × [3H, H]
        owned.push(...uTD);
        let dhNext = -1;
        for (let t = T - 1; t >= 0; t--) {
          const dh = dhNext < 0 ? dyT[t] : keep(g.add(dyT[t], dhNext));
          const dG = keep(g.mul(keep(g.tile(dh, [1, 1, 3])), DT[t])); // [D, B, 3H] = [da_z, da_r, d(h·Uh)]
          // dh_{t-1} = dh∘z + dG·Uᵀ
          dhNext = keep(g.add(keep(perDirectionMatMul(g, dG, uTD)), keep(g.mul(dh, zT[t]))));
          dGs[t] = dG;
          dhs[t] = dh;
        }
        const dG = keep(g.pack(dGs, 1).id); // [D, T, B, 3H]
        const dhAll = keep(g.pack(dhs, 1).id); // [D, T, B, H]
        const dU = g.batchMatMul(keep(g.reshape(hprev, [D, T * B, H])), keep(g.reshape(dG, [D, T * B, 3 * H])), true, false); // [D, H, 3H]
        const [dGzr, dGn] = g.splitV(dG, [2 * H, H], 3);
        owned.push(dGzr, dGn);
        const dbhn = g.reshape(keep(g.sum(dGn, [1, 2])), [D, 1, H]);
        const dxp = g.concat([dGzr, keep(g.mul(dhAll, A))], 3); // [D, T, B, 3H]
        const dh0Out = g.run('Identity', [g.tFloat], [dhNext])[0]; // dhNext itself is freed with the rest
        return [g.toTensor(dxp), g.toTensor(dh0Out), g.toTensor({ id: dU, shape: [D, H, 3 * H] }), g.toTensor({ id: dbhn, shape: [D, 1, H] })];
      } finally {
        g.free(...new Set(owned));
        g.dispose();
      }
    },
  };
}) as never) as unknown as (xp: TF.Tensor, h0: TF.Tensor, u: TF.Tensor, bhn: TF.Tensor) => TF.Tensor4D;

/** Splits a Keras reset_after bias [2, 3H] into the part folded into x-projections [3H] and b'h [H]. */
function splitBias(bias: TF.Tensor, H: number): { xBias: TF.Tensor; bhn: TF.Tensor } {
  const [bIn, bRec] = tf.unstack(bias, 0);
  const [bRecZr, bhn] = tf.split(bRec, [2 * H, H], 0);
  return { xBias: tf.add(bIn, tf.concat([bRecZr, tf.zeros([H])], 0)), bhn };
}

/** Keras-layout weights of one GRU direction. */
export interface GruWeights {
  /** [F, 3H] */
  kernel: TF.Tensor;
  /** [H, 3H] */
  recurrentKernel: TF.Tensor;
  /** [2, 3H] */
  bias: TF.Tensor;
}

/**
 * Fused GRU (reset-after) over several directions at once: `xs[d]` [T, B, F] (already reversed in
 * time for a backward direction), `h0s[d]` [B, H], weights per direction → `[T, B, H]` per direction.
 * The x-projection of all steps and directions is one batched matmul (tfjs ops, autodiff), the
 * recurrence `gruRecurrenceFused`. Native backends only.
 */
export function gruFusedDirections(xs: TF.Tensor[], h0s: TF.Tensor[], weights: GruWeights[]): TF.Tensor3D[] {
  return tf.tidy(() => {
    const D = xs.length;
    const [T, B, F] = dims(xs[0], 3, 'GRU input x');
    const H = dims(h0s[0], 2, 'GRU h0')[1];
    const split = weights.map((w) => splitBias(w.bias, H));
    const x = tf.reshape(tf.stack(xs), [D, T * B, F]);
    const kernel = tf.stack(weights.map((w) => w.kernel)) as TF.Tensor3D; // [D, F, 3H]
    const xBias = tf.reshape(tf.stack(split.map((s) => s.xBias)), [D, 1, 3 * H]);
    const xp = tf.reshape(tf.add(tf.matMul(x as TF.Tensor3D, kernel), xBias), [D, T, B, 3 * H]);
    const u = tf.stack(weights.map((w) => w.recurrentKernel)); // [D, H, 3H]
    const bhn = tf.reshape(tf.stack(split.map((s) => s.bhn)), [D, 1, H]);
    const y = gruRecurrenceFused(xp, tf.stack(h0s), u, bhn); // [D, T, B, H]
    return D === 1 ? [tf.reshape(y, [T, B, H]) as TF.Tensor3D] : (tf.unstack(y) as TF.Tensor3D[]);
  });
}

/**
 * Fused GRU (reset-after), one direction, Keras-layout weights. Native backends only.
 *
 * @param x [T, B, F]; @param h0 [B, H]; @param kernel [F, 3H]; @param recurrentKernel [H, 3H]; @param bias [2, 3H]
 * @returns [T, B, H]
 */
export function gruFused(x: TF.Tensor, h0: TF.Tensor, kernel: TF.Tensor, recurrentKernel: TF.Tensor, bias: TF.Tensor): TF.Tensor3D {
  return gruFusedDirections([x], [h0], [{ kernel, recurrentKernel, bias }])[0];
}

/** The same GRU with plain tfjs ops (the fallback on wasm/cpu, and a cross-check in tests). Same shapes as `gruFused`. */
export function gruGeneric(x: TF.Tensor, h0: TF.Tensor, kernel: TF.Tensor, recurrentKernel: TF.Tensor, bias: TF.Tensor): TF.Tensor3D {
  return tf.tidy(() => {
    const [T, B, F] = dims(x, 3, 'GRU input x');
    const H = dims(h0, 2, 'GRU h0')[1];
    const { xBias, bhn } = splitBias(bias, H);
    const xp = tf.add(tf.matMul(tf.reshape(x, [T * B, F]), kernel as TF.Tensor2D), xBias).reshape([T, B, 3 * H]);
    const steps = unstackTime(xp);
    const [uzr, uh] = tf.split(recurrentKernel, [2 * H, H], 1) as TF.Tensor2D[];
    let h = h0 as TF.Tensor2D;
    const hs: TF.Tensor[] = [];
    for (let t = 0; t < T; t++) {
      const [xzr, xn] = tf.split(steps[t], [2 * H, H], 1);
      const [z, r] = tf.split(tf.sigmoid(tf.add(xzr, tf.matMul(h, uzr))), 2, 1);
      const n = tf.tanh(tf.add(xn, tf.mul(r, tf.add(tf.matMul(h, uh), bhn))));
      h = tf.add(n, tf.mul(z, tf.sub(h, n))) as TF.Tensor2D;
      hs.push(h);
    }
    return tf.stack(hs, 0) as TF.Tensor3D;
  });
}
