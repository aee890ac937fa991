/**
 * `npm run bench:models-profile -- --case NAME`: where one bench:models case's training time goes.
 * Trains the case as bench/models.ts does (lib/train fit) with every TensorFlow op timed at the
 * tfjs-node binding (`executeOp` runs eagerly and synchronously on the CPU) and every call into the CPU
 * kernel addon (native/rnn.cc, listed as `addon:<function>`), then prints per-op totals and the rest
 * of the wall time: JavaScript (tape, engine bookkeeping, batching, optimizer glue, copies to and from TF).
 *
 * Options: --case NAME (a bench:models model case), --epochs N (timed epochs after the warm-up, default 2).
 */
import * as fs from 'fs';
import { MODEL_CASES } from './models';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const name = arg('case') ?? 'lecture-cnn';
  const c0 = MODEL_CASES.find((c) => c.name === name);
  if (!c0) throw new Error(`bench/models_profile.ts: unknown case ${name}; have ${MODEL_CASES.map((c) => c.name).join(', ')}`);
  const timed = Number(arg('epochs') ?? 2);
  const c = { ...c0, epochs: c0.warmupEpochs + timed };
  /* eslint-disable @typescript-eslint/no-var-requires */
  const { tf } = require('../lib/backend') as typeof import('../lib/backend');
  const { fit } = require('../lib/train/fit') as typeof import('../lib/train/fit');
  const { prepare } = require('./models') as typeof import('./models');
  /* eslint-enable @typescript-eslint/no-var-requires */
  // The binding object is frozen: hand the backend a copy whose executeOp (and copy functions) time each call.
  const be = tf.backend() as unknown as { binding: Record<string, unknown> & { executeOp: (...a: unknown[]) => unknown } };
  const binding = be.binding;
  const ops = new Map<string, { n: number; ms: number }>();
  let on = false;
  const time = <A extends unknown[], R>(name: string, f: (...a: A) => R) => (...a: A): R => {
    if (!on) return f(...a);
    const t = performance.now();
    const r = f(...a);
    const k = ops.get(name) ?? { n: 0, ms: 0 };
    k.n++;
    k.ms += performance.now() - t;
    ops.set(name, k);
    return r;
  };
  // The addon's exports are read-only: put a timed copy in require's cache before lib/layers/cpuKernel.ts loads it.
  const { CPU_KERNEL_PATH } = require('../lib/layers/cpuKernel') as typeof import('../lib/layers/cpuKernel');
  if (fs.existsSync(CPU_KERNEL_PATH)) {
    const addon = require(CPU_KERNEL_PATH) as Record<string, (...a: unknown[]) => unknown>;
    const timed: Record<string, unknown> = {};
    for (const k of Object.getOwnPropertyNames(addon)) timed[k] = typeof addon[k] === 'function' ? time(`addon:${k}`, addon[k]) : addon[k];
    require.cache[require.resolve(CPU_KERNEL_PATH)]!.exports = timed;
  }
  const copy: Record<string, unknown> = {};
  for (const k of Object.getOwnPropertyNames(binding)) copy[k] = typeof binding[k] === 'function' ? (binding[k] as (...a: unknown[]) => unknown).bind(binding) : binding[k];
  const run = copy.executeOp as (...a: unknown[]) => unknown;
  const executeOp = (...a: unknown[]) => (on ? time(a[0] as string, run)(...a) : run(...a));
  // Copies between JS and TF memory (dataSync, new tensors from JS arrays).
  for (const k of ['tensorDataSync', 'createTensor']) if (typeof copy[k] === 'function') copy[k] = time(`binding:${k}`, copy[k] as (...a: unknown[]) => unknown);
  be.binding = { ...copy, executeOp } as typeof binding;
  const { model, options } = prepare(c);
  let t0 = 0;
  let batches = 0;
  await fit(model, {
    ...options,
    onEpoch: (e) => {
      if (e.epoch === c.warmupEpochs) {
        on = true;
        t0 = performance.now();
      }
    },
  });
  const wall = performance.now() - t0;
  batches = c.batchesPerEpoch * timed;
  const total = [...ops.values()].reduce((s, o) => s + o.ms, 0);
  const calls = [...ops.values()].reduce((s, o) => s + o.n, 0);
  console.log(`${name}: ${(wall / batches).toFixed(2)} ms a batch; TF ops and addon calls ${(total / batches).toFixed(2)} ms (${(calls / batches).toFixed(0)} calls), the rest (JS) ${((wall - total) / batches).toFixed(2)} ms`);
  console.log('op                          calls/batch   ms/batch   share');
  for (const [op, o] of [...ops.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25))
    console.log(`${op.padEnd(28)} ${(o.n / batches).toFixed(1).padStart(11)} ${(o.ms / batches).toFixed(3).padStart(10)} ${((100 * o.ms) / wall).toFixed(1).padStart(6)}%`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
