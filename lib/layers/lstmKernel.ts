/**
 * One LSTM layer, one direction, over a whole time-major sequence.
 *
 * Weight layout (Keras, and therefore tfjs-layers): `kernel` [F, 4H], `recurrentKernel` [H, 4H],
 * `bias` [4H], gate blocks in the order i, f, c, o:
 *   i = σ(x·Wi + h·Ui + bi)   f = σ(x·Wf + h·Uf + bf)   c̃ = tanh(x·Wc + h·Uc + bc)   o = σ(x·Wo + h·Uo + bo)
 *   c' = f∘c + i∘c̃            h' = o∘tanh(c')
 * Other conventions, for converting weights:
 *  - PyTorch `nn.LSTM`: `weight_ih_l{k}` [4H, F] and `weight_hh_l{k}` [4H, H] with gates i, f, g, o (the
 *    same order): kernel = weight_ih^T, recurrentKernel = weight_hh^T, bias = bias_ih + bias_hh (two biases
 *    that always appear summed; their gradients are equal).
 *  - TF `BlockLSTMV2` (what runs here on native TF): w = [kernel; recurrentKernel] [F+H, 4H] in
 *    "IFCO" order, i.e. the Keras order, and no forget_bias (the V1 `BlockLSTM`/`LSTMBlockCell` use
 *    i, cs(=c̃), f, o and add `forget_bias` to f: not used).
 */
import { tf, type TF } from '../backend';
import { RawOps } from './tfRaw';
import { dims, unstackTime } from './timeSteps';

/**
 * Fused native LSTM: TF's `BlockLSTMV2` runs the whole sequence in one op (the per-step matmul and
 * gate math are C++), `BlockLSTMGradV2` the whole backward pass; wrapped in `tf.customGrad` so it
 * trains inside tfjs models. Native backends only (see `nativeOpsAvailable()`).
 *
 * @param x [T, B, F] time-major input
 * @param h0 [B, H] initial output; @param c0 [B, H] initial cell state
 * @param w [F+H, 4H] = concat([kernel, recurrentKernel], 0); @param b [4H]
 * @returns [T, B, H] the outputs h at every step
 */
export const lstmBlockFused = tf.customGrad(((x: TF.Tensor, h0: TF.Tensor, c0: TF.Tensor, w: TF.Tensor, b: TF.Tensor, save: (t: TF.Tensor[]) => void) => {
  const ops = new RawOps();
  const [T] = dims(x, 3, 'LSTM input x');
  const H = dims(h0, 2, 'LSTM h0')[1];
  const seqLen = ops.int64Scalar(T);
  // No peephole connections: BlockLSTMV2 still takes wci/wcf/wco inputs, zeros of shape [H].
  const zerosH = ops.b.createTensor([H], ops.b.TF_FLOAT, new Float32Array(H));
  const [ix, ih0, ic0, iw, ib] = ops.ids([x, h0, c0, w, b]);
  let outs: TF.Tensor[];
  try {
    const raw = ops.run(
      'BlockLSTMV2',
      [ops.float('cell_clip', 0), ops.bool('use_peephole', false), ops.tFloat],
      [seqLen, ix, ic0, ih0, iw, zerosH, zerosH, zerosH, ib],
      7,
    );
    outs = raw.map((h) => ops.toTensor(h)); // i, cs, f, o, ci, co, h (each [T, B, H])
  } finally {
    ops.free(seqLen, zerosH);
    ops.dispose();
  }
  save([x, h0, c0, w, b, ...outs]);
  const value = outs[6];
  return {
    value,
    gradFunc: (dy: TF.Tensor, saved: TF.Tensor[]) => {
      const g = new RawOps();
      const seq = g.int64Scalar(T);
      const zH = g.b.createTensor([H], g.b.TF_FLOAT, new Float32Array(H));
      const [sx, sh0, sc0, sw, sb, si, scs, sf, so, sci, sco, sh] = g.ids(saved);
      const [idy] = g.ids([dy]);
      // Only h has an upstream gradient (cell states are not layer outputs): cs_grad = 0.
      const csGrad = g.run1('ZerosLike', [g.tFloat], [sh]);
      try {
        const r = g.run(
          'BlockLSTMGradV2',
          [g.bool('use_peephole', false), g.tFloat],
          [seq, sx, sc0, sh0, sw, zH, zH, zH, sb, si, scs, sf, so, sci, sco, sh, csGrad, idy],
          8,
        );
        // outputs: x_grad, cs_prev_grad, h_prev_grad, w_grad, wci_grad, wcf_grad, wco_grad, b_grad
        g.free(r[4].id, r[5].id, r[6].id);
        return [g.toTensor(r[0]), g.toTensor(r[2]), g.toTensor(r[1]), g.toTensor(r[3]), g.toTensor(r[7])];
      } finally {
        g.free(seq, zH, csGrad);
        g.dispose();
      }
    },
  };
}) as never) as unknown as (x: TF.Tensor, h0: TF.Tensor, c0: TF.Tensor, w: TF.Tensor, b: TF.Tensor) => TF.Tensor3D;

/**
 * The same LSTM with plain tfjs ops (the fallback on wasm/cpu, and a cross-check in tests).
 * Input projections for all steps are one matmul; the recurrence is a per-step loop.
 *
 * @param x [T, B, F]; @param h0, c0 [B, H]; @param kernel [F, 4H]; @param recurrentKernel [H, 4H]; @param bias [4H]
 * @returns [T, B, H]
 */
export function lstmGeneric(x: TF.Tensor, h0: TF.Tensor, c0: TF.Tensor, kernel: TF.Tensor, recurrentKernel: TF.Tensor, bias: TF.Tensor): TF.Tensor3D {
  return tf.tidy(() => {
    const [T, B, F] = dims(x, 3, 'LSTM input x');
    const H = dims(h0, 2, 'LSTM h0')[1];
    const xp = tf.add(tf.matMul(tf.reshape(x, [T * B, F]), kernel as TF.Tensor2D), bias).reshape([T, B, 4 * H]);
    const steps = unstackTime(xp);
    let h = h0 as TF.Tensor2D;
    let c = c0 as TF.Tensor2D;
    const hs: TF.Tensor[] = [];
    for (let t = 0; t < T; t++) {
      const z = tf.add(steps[t], tf.matMul(h, recurrentKernel as TF.Tensor2D));
      const [zi, zf, zc, zo] = tf.split(z, 4, 1);
      c = tf.add(tf.mul(tf.sigmoid(zf), c), tf.mul(tf.sigmoid(zi), tf.tanh(zc))) as TF.Tensor2D;
      h = tf.mul(tf.sigmoid(zo), tf.tanh(c)) as TF.Tensor2D;
      hs.push(h);
    }
    return tf.stack(hs, 0) as TF.Tensor3D;
  });
}

/** Fused LSTM with Keras-layout weights (concatenates [kernel; recurrentKernel] for BlockLSTMV2). */
export function lstmFused(x: TF.Tensor, h0: TF.Tensor, c0: TF.Tensor, kernel: TF.Tensor, recurrentKernel: TF.Tensor, bias: TF.Tensor): TF.Tensor3D {
  return tf.tidy(() => lstmBlockFused(x, h0, c0, tf.concat([kernel, recurrentKernel], 0), bias));
}
