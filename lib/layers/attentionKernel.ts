/**
 * Scaled dot-product self-attention over heads, the core of lib/models/attention.ts' multi-head layer:
 * q, k, v [B·T, H·E] (the projections' outputs as they are; head h is columns h·E … (h+1)·E − 1) →
 * softmax(Q_h·K_hᵀ/√E)·V_h for every batch row and head, merged back to [B·T, H·E].
 *
 * Two paths, the same math:
 *  - the CPU kernel (native/rnn.cc `attentionForward` / `attentionBackward`), on the native CPU
 *    backend when the addon is built (lib/layers/cpuKernel.ts decides, as for the recurrent layers:
 *    `setFusedKernel` / GENRE_LAB_FUSED_KERNEL): one call forward, one backward, over (batch, head)
 *    pairs on every thread. It never stores a [B, H, T, T] tensor: the forward keeps the log-sum-exp
 *    of each logit row, and the backward recomputes the attention matrix from Q and K one pair at a
 *    time in per-thread scratch. The TF-op path keeps several [B, H, T, T] tensors per layer on the
 *    gradient tape (logits, scaled logits, softmax; seed 002 at batch 32 × 256 frames: 64 MB each).
 *  - TF ops (`attentionTf`), everywhere else (tfjs-node-gpu, wasm, the JS CPU backend) and as the
 *    reference the kernel is tested against.
 */
import { tf, type TF } from '../backend';
import { cpuKernelActive, kernel } from './cpuKernel';

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

/** The attention on the CPU kernel (see the module comment); needs the addon (`kernel()` throws, saying why). */
export function attentionCpu(q: TF.Tensor, k: TF.Tensor, v: TF.Tensor, s: AttentionShape): TF.Tensor2D {
  const e = depthOf(q, s);
  const { batch: b, time: t, heads: h } = s;
  const dims = [b, t, h, e];
  const scale = 1 / Math.sqrt(e);
  const op = tf.customGrad(((qt: TF.Tensor, kt: TF.Tensor, vt: TF.Tensor) => {
    const a = kernel();
    // Copies out of TF, kept by the gradient closure (4 × B·T·H·E floats; the tape holds the TF
    // originals until the step ends either way).
    const qa = qt.dataSync() as Float32Array;
    const ka = kt.dataSync() as Float32Array;
    const va = vt.dataSync() as Float32Array;
    const out = new Float32Array(qa.length);
    const lse = new Float32Array(b * h * t);
    a.attentionForward(dims, scale, qa, ka, va, out, lse);
    return {
      value: tf.tensor2d(out, [b * t, h * e]),
      gradFunc: (dy: TF.Tensor) => {
        const dq = new Float32Array(qa.length);
        const dk = new Float32Array(qa.length);
        const dv = new Float32Array(qa.length);
        a.attentionBackward(dims, scale, qa, ka, va, out, lse, dy.dataSync() as Float32Array, dq, dk, dv);
        return [tf.tensor2d(dq, qt.shape as [number, number]), tf.tensor2d(dk, qt.shape as [number, number]), tf.tensor2d(dv, qt.shape as [number, number])];
      },
    };
  }) as never) as unknown as (q: TF.Tensor, k: TF.Tensor, v: TF.Tensor) => TF.Tensor2D;
  return op(q, k, v);
}

/** softmax(Q·Kᵀ/√E)·V per batch row and head, on the CPU kernel where it runs, else TF ops. */
export function scaledDotProductAttention(q: TF.Tensor, k: TF.Tensor, v: TF.Tensor, s: AttentionShape): TF.Tensor2D {
  return cpuKernelActive() ? attentionCpu(q, k, v, s) : attentionTf(q, k, v, s);
}
