/**
 * Where a training step of the bench:rnn cases spends its time: each recurrent layer's fused kernel
 * timed alone, forward and forward+backward (the backward is the difference), on the shapes of
 * bench/rnn.ts. Ours only (no PyTorch): run it twice, with `TF_NUM_INTRAOP_THREADS=1` and without,
 * to see which parts use the second core.
 *
 *   node -r sucrase/register/ts bench/rnn_profile.ts [--reps N] [--kernel cpu|tf]
 *     [--lstm-backward auto|batched|blockGrad|cellGrad]
 *
 * --kernel: the CPU kernel (native/rnn.cc; the default where it runs) or the TF-op kernels.
 */
import { tf, type TF } from '../lib/backend';
import { lstmFused, setLstmBackward, type LstmBackward } from '../lib/layers/lstmKernel';
import { gruFusedDirections } from '../lib/layers/gruKernel';
import { cpuKernelStatus, recurrentStackCpu } from '../lib/layers/cpuKernel';

const i = process.argv.indexOf('--reps');
const reps = i >= 0 ? Number(process.argv[i + 1]) : 5;
const j = process.argv.indexOf('--lstm-backward');
const lstmBackward = (j >= 0 ? process.argv[j + 1] : 'auto') as LstmBackward;
setLstmBackward(lstmBackward);
const kk = process.argv.indexOf('--kernel');
const useCpu = (kk >= 0 ? process.argv[kk + 1] : cpuKernelStatus().active ? 'cpu' : 'tf') === 'cpu';
if (useCpu && !cpuKernelStatus().active) throw new Error(`bench/rnn_profile.ts: --kernel cpu, but ${cpuKernelStatus().reason}`);

/** Median wall time of `f` in ms over `reps` runs, after one warm-up run. */
function median(f: () => TF.Tensor[]): number {
  const once = () => {
    const t0 = performance.now();
    const out = f();
    for (const t of out) t.dataSync(); // synchronous: waits for the result
    const dt = performance.now() - t0;
    tf.dispose(out);
    return dt;
  };
  once();
  const ts = Array.from({ length: reps }, once).sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)];
}

interface Layer {
  name: string;
  kind: 'lstm' | 'bigru';
  T: number;
  B: number;
  F: number;
  H: number;
}

// The recurrent layers of bench/rnn.ts' three cases (a layer k > 0 reads the previous layer's output).
const LAYERS: Layer[] = [
  { name: 'lecture L1 LSTM(64), F=13', kind: 'lstm', T: 130, B: 32, F: 13, H: 64 },
  { name: 'lecture L2 LSTM(64), F=64', kind: 'lstm', T: 130, B: 32, F: 64, H: 64 },
  { name: 'audiolstm L1 LSTM(256), F=80', kind: 'lstm', T: 130, B: 50, F: 80, H: 256 },
  { name: 'audiolstm L2,3 LSTM(256), F=256 (each)', kind: 'lstm', T: 130, B: 50, F: 256, H: 256 },
  { name: 'bigru L1 BiGRU(128), F=128', kind: 'bigru', T: 256, B: 32, F: 128, H: 128 },
  { name: 'bigru L2 BiGRU(128), F=256', kind: 'bigru', T: 256, B: 32, F: 256, H: 128 },
];

function profile(l: Layer): { fwd: number; fwdBwd: number } {
  const { T, B, F, H } = l;
  const x = tf.randomNormal([T, B, F]);
  const h0 = tf.zeros([B, H]);
  const G = l.kind === 'lstm' ? 4 : 3;
  const kernel = tf.randomNormal([F, G * H], 0, 0.05);
  const rec = tf.randomNormal([H, G * H], 0, 0.05);
  const bias = l.kind === 'lstm' ? tf.zeros([4 * H]) : tf.zeros([2, 3 * H]);
  const D = l.kind === 'lstm' ? 1 : 2;
  const run = (xx: TF.Tensor, k: TF.Tensor, u: TF.Tensor): TF.Tensor =>
    useCpu
      ? recurrentStackCpu(
          { kind: l.kind === 'lstm' ? 'lstm' : 'gru', units: H, numLayers: 1, numDirections: D, interLayerDropout: 0, training: true },
          xx,
          [Array.from({ length: D }, () => ({ kernel: k, recurrentKernel: u, bias }))],
          null,
          null,
        )
      : l.kind === 'lstm'
      ? lstmFused(xx, h0, h0, k, u, bias)
      : tf.concat(
          gruFusedDirections(
            [xx, tf.reverse(xx, 0)],
            [h0, h0],
            [
              { kernel: k, recurrentKernel: u, bias },
              { kernel: k, recurrentKernel: u, bias },
            ],
          ),
          2,
        );
  const fwd = median(() => [tf.tidy(() => run(x, kernel, rec))]);
  const grads = tf.grads((a: TF.Tensor, k: TF.Tensor, u: TF.Tensor) => tf.sum(run(a, k, u)));
  const fwdBwd = median(() => grads([x, kernel, rec]));
  tf.dispose([x, h0, kernel, rec, bias]);
  return { fwd, fwdBwd };
}

console.log(
  useCpu
    ? `CPU kernel: ${cpuKernelStatus().reason}; median of ${reps} runs, ms`
    : `TF-op kernels; TF intra-op threads: ${process.env.TF_NUM_INTRAOP_THREADS || 'TF default'}; LSTM backward: ${lstmBackward}; median of ${reps} runs, ms`,
);
console.log('layer'.padEnd(42), 'forward'.padStart(9), 'backward'.padStart(9), 'fwd+bwd'.padStart(9));
for (const l of LAYERS) {
  const { fwd, fwdBwd } = profile(l);
  console.log(l.name.padEnd(42), fwd.toFixed(1).padStart(9), (fwdBwd - fwd).toFixed(1).padStart(9), fwdBwd.toFixed(1).padStart(9));
}
