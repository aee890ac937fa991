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

type Keep = (id: number) => number;

/** [s_{-1}, s_0 … s_{T-2}]: the state each step started from, from the initial state [B, H] and the sequence [T, B, H]. */
function previousStates(g: RawOps, keep: Keep, first: number, seq: number, T: number, B: number, H: number): number {
  const f = keep(g.reshape(first, [1, B, H]));
  if (T === 1) return f;
  const [head, tail] = g.splitV(seq, [T - 1, 1], 0);
  keep(head);
  keep(tail);
  return keep(g.concat([f, head], 0).id);
}

/**
 * What every backward variant ends with, from the gate gradients dA2 [T·B, 4H] (Keras order i, f,
 * c, o): the weight and input gradients as one matmul each over all T·B rows, and the initial-state
 * gradients. Returns [dx [T, B, F], dh0, dc0, dw [F+H, 4H], db [4H]].
 */
function gradientsFromGates(g: RawOps, keep: Keep, sx: number, hprev: number, wx: number, dA2: number, dhNext: number, dcNext: number, T: number, B: number, F: number, H: number): TF.Tensor[] {
  const dWx = keep(g.matMul(keep(g.reshape(sx, [T * B, F])), dA2, true, false));
  const dU = keep(g.matMul(keep(g.reshape(hprev, [T * B, H])), dA2, true, false));
  const dw = g.concat([dWx, dU], 0);
  const db = g.sum(dA2, [0]);
  const dx = g.reshape(keep(g.matMul(dA2, wx, false, true)), [T, B, F]);
  const dh0 = g.run('Identity', [g.tFloat], [dhNext])[0];
  const dc0 = g.run('Identity', [g.tFloat], [dcNext])[0];
  return [g.toTensor({ id: dx, shape: [T, B, F] }), g.toTensor(dh0), g.toTensor(dc0), g.toTensor(dw), g.toTensor({ id: db, shape: [4 * H] })];
}

/**
 * Backward pass of the LSTM from BlockLSTMV2's saved gates, batched where the math allows.
 * Given the gates, the backward recurrence is linear in (dh, dc), so each step is 7 raw ops:
 *   dh  = dy_t + dh_next                 dcs = dc_next + dh∘K_t            (K = o∘(1 − co²))
 *   dA  = [dcs, dcs, dcs, dh]∘P_t        (P = [c̃∘i(1−i), c_{t−1}∘f(1−f), i∘(1−c̃²), co∘o(1−o)])
 *   dh_next = dA·Uᵀ                      dc_next = dcs∘f_t
 * and every weight/input gradient is one matmul over all T·B rows after the loop (dW = Xᵀ·dA,
 * dU = H_prevᵀ·dA, dx = dA·Wᵀ). TF's `BlockLSTMGradV2` instead accumulates dW += [x,h]ᵀ·dA and
 * computes [dx, dh] = dA·[W;U]ᵀ at every step (4× the per-step flops, small-K matmuls): measured
 * here 3.7× its forward time at 3×LSTM(256), batch 50 (see README, bench:rnn).
 */
function lstmBackwardBatched(dy: TF.Tensor, saved: TF.Tensor[], T: number, H: number): TF.Tensor[] {
  const g = new RawOps();
  const [sx, sh0, sc0, sw, , si, scs, sf, so, sci, sco, sh] = g.ids(saved);
  const [idy] = g.ids([dy]);
  const [, B, F] = saved[0].shape as number[];
  const owned: number[] = [];
  const keep = (id: number): number => (owned.push(id), id);
  try {
    const one = keep(g.b.createTensor([], g.b.TF_FLOAT, Float32Array.from([1])));
    const cprev = previousStates(g, keep, sc0, scs, T, B, H);
    const hprev = previousStates(g, keep, sh0, sh, T, B, H);
    const sigd = (s: number) => keep(g.mul(s, keep(g.sub(one, s)))); // σ' = s(1 − s)
    const tanhd = (t: number) => keep(g.sub(one, keep(g.mul(t, t)))); // tanh' = 1 − t²
    const K = keep(g.mul(so, tanhd(sco)));
    const P = keep(
      g.concat([keep(g.mul(sci, sigd(si))), keep(g.mul(cprev, sigd(sf))), keep(g.mul(si, tanhd(sci))), keep(g.mul(sco, sigd(so)))], 2).id,
    ); // [T, B, 4H], gate order i, f, c, o
    const [wx, u] = g.splitV(sw, [F, H], 0);
    owned.push(wx, u);
    const PT = g.unpack(P, T);
    const KT = g.unpack(K, T);
    const fT = g.unpack(sf, T);
    const dyT = g.unpack(idy, T);
    owned.push(...PT, ...KT, ...fT, ...dyT);
    const dAs: number[] = new Array(T);
    let dhNext = -1;
    let dcNext = -1;
    for (let t = T - 1; t >= 0; t--) {
      const dh = dhNext < 0 ? dyT[t] : keep(g.add(dyT[t], dhNext));
      const dhK = keep(g.mul(dh, KT[t]));
      const dcs = dcNext < 0 ? dhK : keep(g.add(dcNext, dhK));
      const dA = keep(g.mul(keep(g.concat([dcs, dcs, dcs, dh], 1).id), PT[t]));
      dhNext = keep(g.matMul(dA, u, false, true));
      dcNext = keep(g.mul(dcs, fT[t]));
      dAs[t] = dA;
    }
    const dA2 = keep(g.reshape(keep(g.pack(dAs, 0).id), [T * B, 4 * H]));
    return gradientsFromGates(g, keep, sx, hprev, wx, dA2, dhNext, dcNext, T, B, F, H);
  } finally {
    g.free(...new Set(owned));
    g.dispose();
  }
}

/**
 * Backward pass with TF's per-step cell gradient op: `LSTMBlockCellGrad` computes one step's gate
 * gradients and dc_{t−1} in one fused elementwise kernel (gate order i, c̃, f, o there), so each step
 * is 3 ops (cell grad, dh_{t−1} = dA·Uᵀ, dh += dy_{t−1}); the weight and input gradients are then
 * one matmul each over all T·B rows, as in `lstmBackwardBatched`.
 */
function lstmBackwardCellGrad(dy: TF.Tensor, saved: TF.Tensor[], T: number, H: number): TF.Tensor[] {
  const g = new RawOps();
  const [sx, sh0, sc0, sw, sb, si, scs, sf, so, sci, sco, sh] = g.ids(saved);
  const [idy] = g.ids([dy]);
  const [, B, F] = saved[0].shape as number[];
  const owned: number[] = [];
  const keep = (id: number): number => (owned.push(id), id);
  try {
    const cprev = previousStates(g, keep, sc0, scs, T, B, H);
    const hprev = previousStates(g, keep, sh0, sh, T, B, H);
    const zH = keep(g.b.createTensor([H], g.b.TF_FLOAT, new Float32Array(H)));
    const zBH = keep(g.b.createTensor([B, H], g.b.TF_FLOAT, new Float32Array(B * H)));
    // w's columns reordered IFCO → ICFO for the cell-grad op's dicfo layout.
    const [wi, wf, wc, wo] = g.split(sw, 1, 4);
    owned.push(wi, wf, wc, wo);
    const wIcfo = keep(g.concat([wi, wc, wf, wo], 1).id);
    const [wxIcfo, uIcfo] = g.splitV(wIcfo, [F, H], 0);
    owned.push(wxIcfo, uIcfo);
    const uIcfoT = keep(g.transpose(uIcfo, [1, 0])); // [4H, H], once: no transposed operand per step
    const per = (seq: number) => {
      const parts = g.unpack(seq, T);
      owned.push(...parts);
      return parts;
    };
    const [xT, cpT, hpT, iT, csT, fT, oT, ciT, coT, dyT] = [sx, cprev, hprev, si, scs, sf, so, sci, sco, idy].map(per);
    const dAs: number[] = new Array(T);
    let dhNext = -1;
    let dcNext = zBH;
    for (let t = T - 1; t >= 0; t--) {
      const dh = dhNext < 0 ? dyT[t] : keep(g.add(dyT[t], dhNext));
      const r = g.run(
        'LSTMBlockCellGrad',
        [g.bool('use_peephole', false), g.tFloat],
        [xT[t], cpT[t], hpT[t], wIcfo, zH, zH, zH, sb, iT[t], csT[t], fT[t], oT[t], ciT[t], coT[t], dcNext, dh],
        5,
      );
      // outputs: cs_prev_grad, dicfo, wci_grad, wcf_grad, wco_grad
      g.free(r[2].id, r[3].id, r[4].id);
      dcNext = keep(r[0].id);
      dAs[t] = keep(r[1].id);
      dhNext = keep(g.matMul(r[1].id, uIcfoT));
    }
    const [gi, gc, gf, go] = g.split(keep(g.pack(dAs, 0).id), 2, 4);
    owned.push(gi, gc, gf, go);
    const dA2 = keep(g.reshape(keep(g.concat([gi, gf, gc, go], 2).id), [T * B, 4 * H])); // back to i, f, c, o
    const [wx, u] = g.splitV(sw, [F, H], 0);
    owned.push(wx, u);
    return gradientsFromGates(g, keep, sx, hprev, wx, dA2, dhNext, dcNext, T, B, F, H);
  } finally {
    g.free(...new Set(owned));
    g.dispose();
  }
}

/** TF's own backward, `BlockLSTMGradV2` (kept for comparison: `setLstmBackward('blockGrad')`). */
function lstmBackwardBlockGrad(dy: TF.Tensor, saved: TF.Tensor[], T: number, H: number): TF.Tensor[] {
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
}

export type LstmBackward = 'auto' | 'batched' | 'blockGrad' | 'cellGrad';
let lstmBackward: LstmBackward = 'auto';
/**
 * Chooses the fused LSTM's backward pass. `auto` (default): TF's single-op `BlockLSTMGradV2` below
 * 128 units, where per-step dispatch costs more than its per-step weight-gradient matmuls, and
 * `cellGrad` from 128 units. Measured here fwd+bwd of one layer, 130 steps, TF on 1 thread, loaded
 * shared machine (two runs each): LSTM(64), batch 32, 13 features: blockGrad 18–39 ms, cellGrad 33–42,
 * batched 39–81; LSTM(256), batch 50, 256 features: blockGrad 951–1067 ms, batched 613–620,
 * cellGrad 496–550.
 */
export function setLstmBackward(which: LstmBackward): void {
  lstmBackward = which;
}

/**
 * Fused native LSTM: TF's `BlockLSTMV2` runs the whole sequence in one op (the per-step matmul and
 * gate math are C++); the backward is chosen by `setLstmBackward` (default: BlockLSTMGradV2 below
 * 128 units, LSTMBlockCellGrad per step + batched weight gradients above); wrapped in `tf.customGrad` so it
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
  const backward = { auto: H >= 128 ? lstmBackwardCellGrad : lstmBackwardBlockGrad, cellGrad: lstmBackwardCellGrad, batched: lstmBackwardBatched, blockGrad: lstmBackwardBlockGrad }[lstmBackward];
  return { value: outs[6], gradFunc: (dy: TF.Tensor, saved: TF.Tensor[]) => backward(dy, saved, T, H) };
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
