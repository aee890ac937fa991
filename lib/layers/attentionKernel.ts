/**
 * Scaled dot-product self-attention over heads, the core of lib/models/attention.ts' multi-head layer:
 * q, k, v [B·T, H·E] (the projections' outputs as they are; head h is columns h·E … (h+1)·E − 1) →
 * softmax(Q_h·K_hᵀ/√E)·V_h for every batch row and head, merged back to [B·T, H·E].
 *
 * Two paths, the same math:
 *  - the CPU kernel (native/rnn.cc `attentionForward` / `attentionBackward`, run as the TensorFlow ops
 *    `GenreLabAttention` / `GenreLabAttentionGrad` of native/tfops.cc on TF's own tensors: no copy
 *    into JavaScript), on the native CPU backend when the addon is built and its TF ops registered
 *    (lib/layers/cpuKernel.ts decides, as for the recurrent layers: `setFusedKernel` /
 *    GENRE_LAB_FUSED_KERNEL; lib/layers/nativeKernels.ts' `nativeTfOpsStatus`): one op forward, one
 *    backward, over (batch, head) pairs on every thread. `multiHeadAttentionCpu` runs the whole
 *    multi-head block (q, k, v as one GEMM on the concatenated weights, bias adds, attention, output
 *    projection) as one differentiable op of raw TF ops. It never stores a [B, H, T, T] tensor: the forward keeps the log-sum-exp
 *    of each logit row, and the backward recomputes the attention matrix from Q and K one pair at a
 *    time in per-thread scratch. The TF-op path keeps several [B, H, T, T] tensors per layer on the
 *    gradient tape (logits, scaled logits, softmax; seed 002 at batch 32 × 256 frames: 64 MB each).
 *  - TF ops (`attentionTf`), everywhere else (tfjs-node-gpu, wasm, the JS CPU backend) and as the
 *    reference the kernel is tested against.
 */
import { tf, type TF } from '../backend';
import { cpuKernelActive } from './cpuKernel';
import { nativeTfOpsStatus } from './nativeKernels';
import { rawOps, type Handle, type RawOps } from './tfRaw';

export interface AttentionShape {
  batch: number;
  time: number;
  heads: number;
}

function depthOf(q: TF.Tensor, s: AttentionShape): number {
  const [rows, d] = q.shape;
  if (q.rank !== 2 || rows !== s.batch * s.time || d % s.heads !== 0)
    throw new Error(`attention: q must be [batch·time, heads·depth] = [${s.batch * s.time}, ${s.heads}·E], got [${q.shape}]`);
  return d / s.heads;
}

/** The attention through TF ops (any backend): [B·T, H·E] ×3 → [B·T, H·E]. */
export function attentionTf(q: TF.Tensor, k: TF.Tensor, v: TF.Tensor, s: AttentionShape): TF.Tensor2D {
  const e = depthOf(q, s);
  return tf.tidy(() => {
    const { batch: b, time: t, heads: h } = s;
    // [b·t, h·e] → [b, h, t, e]
    const heads = (y: TF.Tensor) => tf.transpose(tf.reshape(y, [b, t, h, e]), [0, 2, 1, 3]) as TF.Tensor4D;
    const logits = tf.div(tf.matMul(heads(q), heads(k), false, true), Math.sqrt(e));
    const attended = tf.matMul(tf.softmax(logits), heads(v)); // [b, h, t, e]
    return tf.reshape(tf.transpose(attended, [0, 2, 1, 3]), [b * t, h * e]) as TF.Tensor2D;
  });
}

/** Whether the attention runs on the CPU kernel's TF ops here (else `attentionTf`). */
export function attentionCpuActive(): boolean {
  return cpuKernelActive() && nativeTfOpsStatus().active;
}

/** rawOps() with the addon's TF ops registered; throws, saying why, where they cannot be. */
function kernelOps(): RawOps {
  const st = nativeTfOpsStatus();
  if (!st.active) throw new Error(`attention: the CPU kernel's TF ops are not available: ${st.reason}`);
  return rawOps();
}

/**
 * The kernel's ops on a [B·T, 3·H·E] handle (q, k, v side by side): out [B·T, H·E] and lse [B, H, T]
 * handles, owned by the caller.
 */
function attentionOp(r: RawOps, qkv: number, s: AttentionShape, d: number): { out: number; lse: Handle } {
  const { batch: b, time: t, heads: h } = s;
  const x3 = r.reshape(qkv, [b, t, 3 * d]);
  try {
    const [out3, lse] = r.run('GenreLabAttention', [r.int('heads', h)], [x3], 2);
    const out = r.reshape(out3.id, [b * t, d]);
    r.free(out3.id);
    return { out, lse };
  } finally {
    r.free(x3);
  }
}

/** dqkv [B·T, 3·H·E] handle (owned by the caller) from the forward's qkv, out, lse and dout handles. */
function attentionGradOp(r: RawOps, qkv: number, out: number, lse: number, dout: number, s: AttentionShape, d: number): number {
  const { batch: b, time: t, heads: h } = s;
  const ins = [r.reshape(qkv, [b, t, 3 * d]), r.reshape(out, [b, t, d]), lse, r.reshape(dout, [b, t, d])];
  try {
    const g = r.run1('GenreLabAttentionGrad', [r.int('heads', h)], ins);
    const g2 = r.reshape(g, [b * t, 3 * d]);
    r.free(g);
    return g2;
  } finally {
    r.free(ins[0], ins[1], ins[3]);
  }
}

/** The attention on the CPU kernel (see the module comment) over q, k, v as one tensor [B·T, 3·H·E] → [B·T, H·E]. */
export function attentionQkvCpu(qkv: TF.Tensor, s: AttentionShape): TF.Tensor2D {
  const d = (qkv.shape[1] ?? 0) / 3;
  if (qkv.rank !== 2 || qkv.shape[0] !== s.batch * s.time || d % s.heads !== 0)
    throw new Error(`attention: qkv must be [batch·time, 3·heads·depth] = [${s.batch * s.time}, 3·${s.heads}·E], got [${qkv.shape}]`);
  const f = tf.customGrad(((x: TF.Tensor, save: TF.GradSaveFunc) => {
    const r = kernelOps();
    const { out, lse } = attentionOp(r, r.ids([x])[0], s, d);
    const value = r.toTensor({ id: out, shape: [s.batch * s.time, d] });
    save([x, value, r.toTensor(lse)]);
    return {
      value,
      gradFunc: (dy: TF.Tensor, saved: TF.Tensor[]) => {
        const [xi, oi, li, dyi] = r.ids([...saved, dy]);
        return [r.toTensor({ id: attentionGradOp(r, xi, oi, li, dyi, s, d), shape: x.shape })];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(qkv) as TF.Tensor2D;
}

/** `attentionQkvCpu` on separate q, k, v [B·T, H·E] (for tests against `attentionTf`). */
export function attentionCpu(q: TF.Tensor, k: TF.Tensor, v: TF.Tensor, s: AttentionShape): TF.Tensor2D {
  depthOf(q, s);
  return tf.tidy(() => attentionQkvCpu(tf.concat([q, k, v], 1), s));
}

/** A dense layer's weights: kernel [in, out], bias [out]. */
export interface DenseWeights {
  kernel: TF.Tensor;
  bias: TF.Tensor;
}

/**
 * The whole multi-head self-attention block on the CPU kernel, x [B·T, d] → [B·T, d]:
 * qkv = x·[Wq | Wk | Wv] + [bq | bk | bv] (one GEMM), the attention op, out·Wo + bo; one
 * differentiable op whose backward is 3 GEMMs for the output projection's and the projections'
 * gradients plus the kernel's backward. Keeps x, qkv, the attention output and lse for the backward pass.
 */
export function multiHeadAttentionCpu(x: TF.Tensor2D, w: { q: DenseWeights; k: DenseWeights; v: DenseWeights; o: DenseWeights }, s: AttentionShape): TF.Tensor2D {
  const [n, d] = x.shape;
  depthOf(x, s);
  const f = tf.customGrad(((...args: unknown[]) => {
    const save = args[args.length - 1] as TF.GradSaveFunc;
    const ts = args.slice(0, -1) as TF.Tensor[];
    const r = kernelOps();
    const [xi, wq, bq, wk, bk, wv, bv, wo, bo] = r.ids(ts);
    const W = r.concat([wq, wk, wv], 1).id;
    const bias = r.concat([bq, bk, bv], 0).id;
    const proj = r.matMul(xi, W);
    const qkvId = r.biasAdd(proj, bias);
    r.free(proj, bias);
    const { out, lse } = attentionOp(r, qkvId, s, d);
    const y0 = r.matMul(out, wo);
    const y = r.biasAdd(y0, bo);
    r.free(y0);
    const qkv = r.toTensor({ id: qkvId, shape: [n, 3 * d] });
    const outT = r.toTensor({ id: out, shape: [n, d] });
    const Wt = r.toTensor({ id: W, shape: [d, 3 * d] });
    // (saved as clones; these temporaries go with the forward's scope)
    save([ts[0], qkv, outT, r.toTensor(lse), Wt, ts[7]]);
    return {
      value: r.toTensor({ id: y, shape: [n, d] }),
      gradFunc: (dy: TF.Tensor, saved: TF.Tensor[]) => {
        const [sx, sqkv, sout, slse, sW, swo, dyi] = r.ids([...saved, dy]);
        const dbo = r.biasAddGrad(dyi);
        const dwo = r.matMul(sout, dyi, true, false);
        const dout = r.matMul(dyi, swo, false, true);
        const dqkv = attentionGradOp(r, sqkv, sout, slse, dout, s, d);
        r.free(dout);
        const dW = r.matMul(sx, dqkv, true, false);
        const db = r.biasAddGrad(dqkv);
        const dx = r.matMul(dqkv, sW, false, true);
        r.free(dqkv);
        const [dwq, dwk, dwv] = r.split(dW, 1, 3);
        const [dbq, dbk, dbv] = r.split(db, 0, 3);
        r.free(dW, db);
        const t2 = (id: number, shape: number[]) => r.toTensor({ id, shape });
        return [t2(dx, [n, d]), t2(dwq, [d, d]), t2(dbq, [d]), t2(dwk, [d, d]), t2(dbk, [d]), t2(dwv, [d, d]), t2(dbv, [d]), t2(dwo, [d, d]), t2(dbo, [d])];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x, w.q.kernel, w.q.bias, w.k.kernel, w.k.bias, w.v.kernel, w.v.bias, w.o.kernel, w.o.bias) as TF.Tensor2D;
}

/** softmax(Q·Kᵀ/√E)·V per batch row and head, on the CPU kernel where it runs, else TF ops. */
export function scaledDotProductAttention(q: TF.Tensor, k: TF.Tensor, v: TF.Tensor, s: AttentionShape): TF.Tensor2D {
  return attentionCpuActive() ? attentionCpu(q, k, v, s) : attentionTf(q, k, v, s);
}
