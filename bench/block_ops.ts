/**
 * `npm run bench:block-ops -- [--rounds R] [--reps K] [--threads N]`: per-op times of the
 * CNN blocks' elementwise ops on the bench:models shapes (batch 32), the unfused chains the layers run
 * against the fused ops of lib/layers/blockOps.ts, each op run K times per round, rounds interleaved,
 * `--only TEXT` times only the ops whose label contains TEXT (e.g. for perf). `--addon FILE` loads another build
 * of the addon (e.g. an older commit's, for before/after; its missing fused ops are skipped). `--cpu`: the
 * process's CPU time per call instead of wall time (with --threads 1, a busy machine's waits left out). The best round's mean reported (the machine is shared: the best is the least disturbed). Prints ms per call.
 */
import * as path from 'path';
import { tf, type TF } from '../lib/backend';
import { rawOps, type OpAttr } from '../lib/layers/tfRaw';
import { blockOpsStatus } from '../lib/layers/blockOps';
import { kernel, CPU_KERNEL_PATH } from '../lib/layers/cpuKernel';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

interface Block {
  name: string;
  shape: [number, number, number, number];
  k: [number, number];
  s: [number, number];
  padding: 'SAME' | 'VALID';
  bn: 'before-pool' | 'after-pool';
}
const BLOCKS: Block[] = [
  { name: 'seed001-cnn b1', shape: [32, 13, 259, 16], k: [2, 2], s: [2, 2], padding: 'VALID', bn: 'before-pool' },
  { name: 'seed001-cnn b2', shape: [32, 6, 129, 32], k: [2, 2], s: [2, 2], padding: 'VALID', bn: 'before-pool' },
  { name: 'seed001-cnn b3', shape: [32, 3, 64, 64], k: [2, 2], s: [2, 2], padding: 'VALID', bn: 'before-pool' },
  { name: 'lecture-cnn b1', shape: [32, 128, 11, 32], k: [3, 3], s: [2, 2], padding: 'SAME', bn: 'after-pool' },
  { name: 'lecture-cnn b2', shape: [32, 62, 4, 32], k: [3, 3], s: [2, 2], padding: 'SAME', bn: 'after-pool' },
  { name: 'lecture-cnn b3', shape: [32, 30, 1, 32], k: [2, 2], s: [2, 2], padding: 'SAME', bn: 'after-pool' },
];

function main(): void {
  const addonAt = process.argv.indexOf('--addon');
  if (addonAt >= 0) {
    // Put the other build in require's cache under the addon's path before lib/layers/cpuKernel.ts loads it.
    const other = require(path.resolve(process.argv[addonAt + 1]));
    require(CPU_KERNEL_PATH);
    require.cache[require.resolve(CPU_KERNEL_PATH)]!.exports = other;
  }
  const st = blockOpsStatus();
  if (!st.active) throw new Error(`bench/block_ops.ts: the addon's TF ops are not active (${st.reason})`);
  const threads = arg('threads', 0);
  if (threads > 0) kernel().setThreads(threads);
  const rounds = arg('rounds', 7);
  const cpu = process.argv.includes('--cpu');
  const reps = arg('reps', 20);
  const r = rawOps();
  const ints = (name: string, v: number[]): OpAttr => ({ name, type: r.b.TF_ATTR_INT, value: v });
  const handle = (t: TF.Tensor): number => r.run1('Identity', [r.tFloat], r.ids([t]));
  // An older build has no fused ops: probe once.
  let fusedOps = true;
  try {
    r.free(...r.run('GenreLabBiasReluPool', [ints('ksize', [1, 1, 1, 1]), ints('strides', [1, 1, 1, 1]), r.str('padding', 'VALID')], r.ids([tf.zeros([1, 1, 1, 1]), tf.zeros([1])]), 2).map((h) => h.id));
  } catch {
    fusedOps = false;
  }
  const bnAttrs = [r.float('epsilon', 1e-3), r.float('decay', 0.01)];
  const rows: { block: string; op: string; ms: number }[] = [];
  for (const b of BLOCKS) {
    const C = b.shape[3];
    const pool = [ints('ksize', [1, ...b.k, 1]), ints('strides', [1, ...b.s, 1]), r.str('padding', b.padding)];
    const x = handle(tf.randomNormal(b.shape, 0, 1, 'float32', 1));
    const v = (seed: number, off = 0) => handle(tf.add(tf.randomUniform([C], -0.5, 0.5, 'float32', seed), off));
    const bias = v(2), gamma = v(3, 1), beta = v(4), mm = v(5), mv = v(6, 1);
    // The intermediates the timed ops take, made once.
    const xb = r.biasAdd(x, bias);
    const keep: number[] = [x, bias, gamma, beta, mm, mv, xb];
    const out = (op: string, attrs: OpAttr[], inputs: number[], n: number) => {
      if (op.includes('ReluPool') && addonAt >= 0 && !fusedOps) return Array.from({ length: n }, () => ({ id: -1, shape: [] }));
      const h = r.run(op, attrs, inputs, n);
      keep.push(...h.map((o) => o.id));
      return h;
    };
    const timed: [string, () => void][] = [];
    const op = (label: string, name: string, attrs: OpAttr[], inputs: number[], n: number) =>
      (!label.startsWith('FUSED') || fusedOps) &&
      timed.push([label, () => r.free(...r.run(name, attrs, inputs, n).map((o) => o.id))]);
    const xShape = r.int32(b.shape);
    if (b.bn === 'before-pool') {
      const [bnY, mean, inv] = out('GenreLabBatchNorm', bnAttrs, [xb, gamma, beta, mm, mv], 5);
      const relu = out('Relu', [r.tFloat], [bnY.id], 1)[0];
      const [y, am] = out('GenreLabMaxPoolArgmax', pool, [relu.id], 2);
      const dy = handle(tf.randomNormal(y.shape, 0, 1, 'float32', 7));
      const dr = out('GenreLabMaxPoolScatter', [], [dy, am.id, xShape], 1)[0];
      const dz = out('ReluGrad', [r.tFloat], [dr.id, bnY.id], 1)[0];
      const dxb = out('GenreLabBatchNormGrad', [], [dz.id, xb, gamma, mean.id, inv.id], 3)[0];
      const [fy, fam, fmean, finv] = out('GenreLabBatchNormReluPool', [...bnAttrs, ...pool], [x, bias, gamma, beta, mm, mv], 6);
      keep.push(dy);
      op('fwd BiasAdd', 'BiasAdd', [r.tFloat, r.str('data_format', 'NHWC')], [x, bias], 1);
      op('fwd GenreLabBatchNorm', 'GenreLabBatchNorm', bnAttrs, [xb, gamma, beta, mm, mv], 5);
      op('fwd Relu', 'Relu', [r.tFloat], [bnY.id], 1);
      op('fwd GenreLabMaxPoolArgmax', 'GenreLabMaxPoolArgmax', pool, [relu.id], 2);
      op('bwd GenreLabMaxPoolScatter', 'GenreLabMaxPoolScatter', [], [dy, am.id, xShape], 1);
      op('bwd ReluGrad', 'ReluGrad', [r.tFloat], [dr.id, bnY.id], 1);
      op('bwd GenreLabBatchNormGrad', 'GenreLabBatchNormGrad', [], [dz.id, xb, gamma, mean.id, inv.id], 3);
      op('bwd BiasAddGrad', 'BiasAddGrad', [r.tFloat, r.str('data_format', 'NHWC')], [dxb.id], 1);
      op('FUSED fwd GenreLabBatchNormReluPool', 'GenreLabBatchNormReluPool', [...bnAttrs, ...pool], [x, bias, gamma, beta, mm, mv], 6);
      op('FUSED bwd GenreLabBatchNormReluPoolGrad', 'GenreLabBatchNormReluPoolGrad', [], [dy, fam.id, fy.id, x, gamma, fmean.id, finv.id], 4);
    } else {
      const relu = out('GenreLabBiasRelu', [], [x, bias], 1)[0];
      const [y, am] = out('GenreLabMaxPoolArgmax', pool, [relu.id], 2);
      const dy = handle(tf.randomNormal(y.shape, 0, 1, 'float32', 7));
      const pg = v(8, 1), pb = v(9), pm = v(10), pv = v(11, 1);
      const [, pmean, pinv] = out('GenreLabBatchNorm', bnAttrs, [y.id, pg, pb, pm, pv], 5);
      keep.push(dy, pg, pb, pm, pv);
      op('fwd GenreLabBiasRelu', 'GenreLabBiasRelu', [], [x, bias], 1);
      op('fwd GenreLabMaxPoolArgmax', 'GenreLabMaxPoolArgmax', pool, [relu.id], 2);
      op('fwd GenreLabBatchNorm (pooled)', 'GenreLabBatchNorm', bnAttrs, [y.id, pg, pb, pm, pv], 5);
      op('bwd GenreLabBatchNormGrad (pooled)', 'GenreLabBatchNormGrad', [], [dy, y.id, pg, pmean.id, pinv.id], 3);
      op('bwd GenreLabMaxPoolScatterRelu', 'GenreLabMaxPoolScatterRelu', [], [dy, am.id, y.id, xShape], 2);
      op('FUSED fwd GenreLabBiasReluPool', 'GenreLabBiasReluPool', pool, [x, bias], 2);
    }
    const only = process.argv.indexOf('--only') >= 0 ? process.argv[process.argv.indexOf('--only') + 1] : '';
    if (only) timed.splice(0, timed.length, ...timed.filter(([label]) => label.includes(only)));
    const best = new Map<string, number>();
    for (const [label, f] of timed) for (let i = 0; i < 3; i++) f(); // warm-up
    for (let round = 0; round < rounds; round++)
      for (const [label, f] of timed) {
        const t = cpu ? process.cpuUsage() : null;
        const t0 = performance.now();
        for (let i = 0; i < reps; i++) f();
        const used = t ? process.cpuUsage(t) : null;
        const ms = (used ? (used.user + used.system) / 1000 : performance.now() - t0) / reps;
        best.set(label, Math.min(best.get(label) ?? Infinity, ms));
      }
    for (const [label] of timed) rows.push({ block: b.name, op: label, ms: best.get(label)! });
    r.free(...keep);
  }
  const w = Math.max(...rows.map((x) => x.op.length));
  for (const block of [...new Set(rows.map((x) => x.block))]) {
    const mine = rows.filter((x) => x.block === block);
    process.stdout.write(`${block}\n`);
    for (const row of mine) process.stdout.write(`  ${row.op.padEnd(w)}  ${row.ms.toFixed(3)} ms\n`);
    // The block's pool/ReLU/bias(/BN) work each way: the unfused chain (the lecture block's BN after the pool is not part of it) and the fused ops.
    const sum = (f: (op: string) => boolean) => mine.filter((x) => f(x.op)).reduce((a, x) => a + x.ms, 0);
    const chainFwd = sum((op) => op.startsWith('fwd') && !op.includes('pooled'));
    const chainBwd = sum((op) => op.startsWith('bwd') && !op.includes('pooled'));
    const fusedFwd = sum((op) => op.startsWith('FUSED fwd'));
    const fusedBwd = sum((op) => op.startsWith('FUSED bwd')) || sum((op) => op === 'bwd GenreLabMaxPoolScatterRelu');
    process.stdout.write(`  = unfused chain fwd ${chainFwd.toFixed(3)} + bwd ${chainBwd.toFixed(3)} ms` + (fusedFwd ? `; fused fwd ${fusedFwd.toFixed(3)} + bwd ${fusedBwd.toFixed(3)} ms\n` : '\n'));
  }
}

main();
