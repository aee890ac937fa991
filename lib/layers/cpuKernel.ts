/**
 * A whole LSTM / GRU stack on the CPU as one differentiable op, each layer one native call forward
 * and one backward (native/rnn.cc, a Node-API addon that scripts/setup.js builds into
 * native/build/): the fastest route on tfjs-node's CPU backend.
 *
 * Why: TF's CPU runtime runs each recurrent step as a chain of small ops, one after the other on one
 * thread, so the fused TF-op kernels (lstmKernel.ts, gruKernel.ts) train on one core of two. The
 * addon splits every layer's recurrence into independent (direction × batch shard) units, one per
 * thread, with no synchronisation between steps, and runs the big matmuls (input projections, weight
 * and input gradients) as single GEMMs split over the same threads.
 *
 * Data: each call reads its inputs once (`dataSync`, a copy out of TF) and hands its outputs to tfjs
 * as new tensors; the activations the backward pass needs stay in JS memory inside the gradient
 * closure, never in TF. Math, gate orders and bias layouts are those of lstmKernel.ts / gruKernel.ts.
 *
 * Which kernel runs: `setFusedKernel` or `GENRE_LAB_FUSED_KERNEL=auto|cpu|tf` (auto: this one on
 * the native CPU backend when the addon is built, else TF ops). Threads: `GENRE_LAB_RNN_THREADS`,
 * else `TF_NUM_INTRAOP_THREADS`, else every core.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tf, backendInfo, type TF } from '../backend';
import { ROOT } from '../paths';
import { dims } from './timeSteps';

export type Arr = Float32Array;
export type Dims = [number, number, number, number, number];
export interface RnnAddon {
  dropout(a: Arr, out: Arr, mask: Arr, p: number, seed: number): void;
  multiply(a: Arr, b: Arr, out: Arr): void;
  lstmForward(d: Dims, x: Arr, w: Arr, u: Arr, b: Arr, h0: Arr, c0: Arr, h: Arr, state: Arr): void;
  lstmBackward(d: Dims, x: Arr, w: Arr, u: Arr, h0: Arr, c0: Arr, h: Arr, state: Arr, dy: Arr, dx: Arr, dw: Arr, du: Arr, db: Arr, dh0: Arr, dc0: Arr): void;
  gruForward(d: Dims, x: Arr, w: Arr, u: Arr, b: Arr, h0: Arr, h: Arr, state: Arr): void;
  gruBackward(d: Dims, x: Arr, w: Arr, u: Arr, h0: Arr, h: Arr, state: Arr, dy: Arr, dx: Arr, dw: Arr, du: Arr, db: Arr, dh0: Arr): void;
  adamStep(w: Arr, g: Arr, m: Arr, v: Arr, lr: number, beta1: number, beta2: number, epsilon: number, t: number): void;
  setThreads(n: number): number;
  /** native/tfops.cc: registers the addon's TensorFlow CPU ops in this process (among them the attention and layer-norm kernels); '' or why not. */
  registerTfOps(): string;
}

/** Where scripts/setup.js puts the built addon, and what it says about the build (target or failure). */
export const CPU_KERNEL_PATH = path.join(ROOT, 'native', 'build', 'genre_lab_rnn.node');
export const CPU_KERNEL_INFO = path.join(ROOT, 'native', 'build', 'genre_lab_rnn.json');

export interface KernelTarget {
  name: string;
  arch: string;
  flags: string[];
  /** CPU features the build needs, as /proc/cpuinfo spells them. */
  needs: string[];
}
/** native/kernel-build.js: the build's targets and flags, stated once for setup, this loader and the tests. */
export interface KernelBuild {
  COMMON_FLAGS: string[];
  TARGETS: KernelTarget[];
  compilerFeatures(cxx: string, archFlags: string[]): Set<string> | null;
  cpuinfoFeatures(): Set<string> | null;
  pickTarget(features: Set<string>, arch?: string): KernelTarget;
  target(name: string): KernelTarget;
  missingFeatures(t: KernelTarget): string[];
  eigenDir(cache: string, wheel: string): string;
  findEigen(cache: string): string | undefined;
  compileArgs(t: KernelTarget, opts?: { includes?: string[]; defines?: string[]; extra?: string[] }): string[];
}
export const kernelBuild = require(path.join(ROOT, 'native', 'kernel-build.js')) as KernelBuild;

/** What setup wrote about the build: its target, or why it failed (`error`, `log`: the compiler's full output). */
export interface KernelBuildInfo {
  ok: boolean;
  target: string;
  key: string;
  error?: string;
  log?: string;
}

export function cpuKernelBuildInfo(): KernelBuildInfo | null {
  try {
    return JSON.parse(fs.readFileSync(CPU_KERNEL_INFO, 'utf8')) as KernelBuildInfo;
  } catch {
    return null;
  }
}

let addon: RnnAddon | null | undefined;
let loadProblem = '';
let threads = 0;
let builtFor = '';

function load(): RnnAddon | null {
  if (addon !== undefined) return addon;
  addon = null;
  const rel = path.relative(ROOT, CPU_KERNEL_PATH);
  const info = cpuKernelBuildInfo();
  if (info && !info.ok) loadProblem = `${rel} failed to build for ${info.target}: ${info.error} (full log: ${info.log})`;
  else if (!fs.existsSync(CPU_KERNEL_PATH) || !info) loadProblem = `${rel} is not built (npm test / npm start build it)`;
  else {
    // Checked before loading: a build for CPU features this machine lacks (a copied native/build/)
    // would die on its first illegal instruction, taking the process with it.
    try {
      const lacking = kernelBuild.missingFeatures(kernelBuild.target(info.target));
      if (lacking.length) {
        loadProblem = `${rel} was built for ${info.target}, and this CPU lacks ${lacking.join(', ')} (node scripts/setup.js rebuilds it for this CPU)`;
        return addon;
      }
      const a = require(CPU_KERNEL_PATH) as RnnAddon;
      const env = process.env.GENRE_LAB_RNN_THREADS ?? process.env.TF_NUM_INTRAOP_THREADS;
      const n = env ? Number(env) : os.availableParallelism();
      if (!Number.isInteger(n) || n < 1) throw new Error(`GENRE_LAB_RNN_THREADS / TF_NUM_INTRAOP_THREADS must be a positive integer, got '${env}'`);
      threads = a.setThreads(n);
      builtFor = info.target;
      addon = a;
    } catch (e) {
      loadProblem = `${rel} failed to load: ${(e as Error).message}`;
    }
  }
  return addon;
}

export type FusedKernel = 'auto' | 'cpu' | 'tf';
let preference: FusedKernel = parsePreference(process.env.GENRE_LAB_FUSED_KERNEL);

function parsePreference(v: string | undefined): FusedKernel {
  if (v === undefined || v === '') return 'auto';
  if (v === 'auto' || v === 'cpu' || v === 'tf') return v;
  throw new Error(`GENRE_LAB_FUSED_KERNEL must be auto, cpu or tf, got '${v}'`);
}

/**
 * Chooses what the fused layers run on native TF: `cpu` this addon (throws later if it is missing or
 * the backend is not native CPU), `tf` the TF-op kernels, `auto` (default) the addon where it can run.
 */
export function setFusedKernel(which: FusedKernel): void {
  preference = parsePreference(which);
}

/** Whether the addon runs the fused layers now, and why (or why not). */
export function cpuKernelStatus(): { active: boolean; threads: number; reason: string } {
  if (preference === 'tf') return { active: false, threads: 0, reason: 'TF-op kernels chosen (setFusedKernel / GENRE_LAB_FUSED_KERNEL=tf)' };
  if (backendInfo.kind !== 'native-cpu') return { active: false, threads: 0, reason: `backend is ${backendInfo.kind}, the CPU kernel serves native-cpu only` };
  if (!load()) return { active: false, threads: 0, reason: loadProblem };
  return { active: true, threads, reason: `native/rnn.cc (built for ${builtFor}) on ${threads} thread${threads === 1 ? '' : 's'}` };
}

/** True when the fused layers should call the addon (see `setFusedKernel`). */
export function cpuKernelActive(): boolean {
  const s = cpuKernelStatus();
  if (preference === 'cpu' && !s.active) throw new Error(`lib/layers/cpuKernel.ts: the CPU kernel was asked for but cannot run: ${s.reason}`);
  return s.active;
}

/** Threads for the kernel's later calls (default: GENRE_LAB_RNN_THREADS, TF_NUM_INTRAOP_THREADS, or every core). */
export function setCpuKernelThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`lib/layers/cpuKernel.ts: threads must be a positive integer, got ${n}`);
  threads = kernel().setThreads(n);
}

let dropoutSeed: number | null = null;
/**
 * Fixes the seed of the inter-layer dropout masks (every call then draws the same masks), or `null`
 * (default) for a fresh seed each call. For tests and exact reruns; tfjs' own dropout is unseeded.
 */
export function setCpuKernelDropoutSeed(seed: number | null): void {
  dropoutSeed = seed;
}

/** The addon itself (throws, saying why, when it is not built or does not load). */
export function kernel(): RnnAddon {
  const a = load();
  if (!a) throw new Error(`lib/layers/cpuKernel.ts: ${loadProblem}`);
  return a;
}

const f32 = (t: TF.Tensor): Arr => t.dataSync() as Arr;
const zeros = (n: number): Arr => new Float32Array(n);

/**
 * Buffers that never leave this module (each layer's saved activations, inner layers' outputs,
 * dropout masks, inner input gradients) are reused from call to call. A fresh buffer of tens of MB
 * is mmapped and page-faulted anew each time: measured +10–25 ms a call at LSTM(256), batch 50, and
 * ~17 ms a training step over 3 layers. The kernels overwrite every element they read, so a reused
 * buffer needs no clearing. At most POOL_BYTES stay pooled; `releaseCpuKernelBuffers()` frees them.
 */
const POOL_BYTES = 768 << 20;
const pool: Arr[] = [];
let pooledBytes = 0;
function borrow(n: number): Arr {
  const i = pool.findIndex((a) => a.length === n);
  if (i < 0) return new Float32Array(n);
  pooledBytes -= n * 4;
  return pool.splice(i, 1)[0];
}
function giveBack(...arrays: (Arr | null)[]): void {
  for (const a of arrays) {
    if (!a) continue;
    pool.push(a);
    pooledBytes += a.byteLength;
  }
  while (pooledBytes > POOL_BYTES) pooledBytes -= (pool.shift() as Arr).byteLength;
}

/** Frees the buffers the CPU kernel keeps for reuse (they come back as training goes on). */
export function releaseCpuKernelBuffers(): void {
  pool.length = 0;
  pooledBytes = 0;
}

const stats = { forward: 0, backward: 0, inputGradientsSkipped: 0 };
/** Counts of stack calls so far: forward passes, backward passes, and backward passes that skipped the input gradient. */
export function cpuKernelStats(): Readonly<typeof stats> {
  return { ...stats };
}

/** Directions of one weight kind side by side, [D, …], as the kernel takes them. */
function stacked(ts: TF.Tensor[]): Arr {
  if (ts.length === 1) return f32(ts[0]);
  const parts = ts.map(f32);
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
}

/** Splits a stacked [D, …] gradient back into one tensor per direction. */
function unstacked(a: Arr, like: TF.Tensor[]): TF.Tensor[] {
  const n = a.length / like.length;
  return like.map((t, d) => tf.tensor(like.length === 1 ? a : a.slice(d * n, (d + 1) * n), t.shape));
}

/** What a recurrent stack is; the weights come per layer, then per direction. */
export interface StackSpec {
  kind: 'lstm' | 'gru';
  units: number;
  numLayers: number;
  numDirections: number;
  /** Dropout between stacked layers (PyTorch `dropout`), applied when `training`. */
  interLayerDropout: number;
  training: boolean;
  /**
   * Whether the input needs its gradient (default true). False when it comes from outside the
   * gradient computation (a model's input batch): the first layer's dx, one T·B×4H·F GEMM, is skipped
   * and zeros stand in for it. See `needsGradient`.
   */
  inputGradient?: boolean;
}

/**
 * Whether a gradient can flow into `t` in the gradient computation being recorded now: true for a
 * variable or a tensor some recorded op produced; false for data made before recording started (a
 * model's input batch). Reads tfjs' active tape; where that is not what it expects, says true.
 */
export function needsGradient(t: TF.Tensor): boolean {
  const state = (tf.engine() as unknown as { state?: { activeTape?: unknown } }).state;
  const tape = state?.activeTape;
  if (!Array.isArray(tape)) return true;
  if (t instanceof tf.Variable) return true;
  return tape.some((node: { outputs?: TF.Tensor[] }) => !Array.isArray(node.outputs) || node.outputs.some((o) => o.id === t.id));
}

/** Keras-layout weights of one direction (LSTM bias [4H]; GRU bias [2, 3H]). */
export interface DirectionWeights {
  kernel: TF.Tensor;
  recurrentKernel: TF.Tensor;
  bias: TF.Tensor;
}

interface SavedLayer {
  input: Arr;
  w: Arr;
  u: Arr;
  h0: Arr;
  c0: Arr;
  h: Arr;
  state: Arr | null;
  /** The inter-layer dropout mask applied to this layer's output (null: none). */
  mask: Arr | null;
}

/**
 * A whole recurrent stack (every layer and direction) on the CPU kernel, as one differentiable op:
 * x [T, B, F] time-major → the last layer's outputs [T, B, D·H] (directions side by side, each in the
 * sequence's own time order). `h0`/`c0`: [L·D, B, H] initial states (PyTorch order) or null for zeros.
 * Between layers nothing goes back to TF: each layer's output is the next one's input as it is (after
 * the inter-layer dropout mask, when training).
 */
export function recurrentStackCpu(spec: StackSpec, x: TF.Tensor, weights: DirectionWeights[][], h0: TF.Tensor | null, c0: TF.Tensor | null): TF.Tensor3D {
  const { kind, units: H, numLayers: L, numDirections: D } = spec;
  const [T, B, F] = dims(x, 3, `${kind} stack input`);
  const lstm = kind === 'lstm';
  const S = lstm ? 6 * H : 4 * H;
  const flat = weights.flatMap((dirs) => dirs.flatMap((w) => [w.kernel, w.recurrentKernel, w.bias]));
  const inputs = [x, ...flat, ...(h0 ? [h0] : []), ...(lstm && c0 ? [c0] : [])];
  // The op's inputs are listed so tfjs routes their gradients; the body reads them from this closure.
  const op = tf.customGrad((() => {
    const k = kernel();
    const h0All = h0 ? f32(h0) : null;
    const c0All = lstm && c0 ? f32(c0) : null;
    const BH = D * B * H;
    stats.forward++;
    const recording = ((tf.engine() as unknown as { state: { gradientDepth?: number } }).state.gradientDepth ?? 1) > 0;
    const saved: SavedLayer[] = [];
    let input = f32(x);
    for (let l = 0; l < L; l++) {
      const ws = weights[l];
      const d: Dims = [D, T, B, l === 0 ? F : D * H, H];
      const w = stacked(ws.map((v) => v.kernel));
      const u = stacked(ws.map((v) => v.recurrentKernel));
      const b = stacked(ws.map((v) => v.bias));
      const lh0 = h0All ? h0All.subarray(l * BH, (l + 1) * BH) : zeros(BH);
      const lc0 = c0All ? c0All.subarray(l * BH, (l + 1) * BH) : zeros(BH);
      // The last layer's output becomes the op's value (tfjs owns it); inner ones stay here.
      const h = l === L - 1 ? new Float32Array(T * B * D * H) : borrow(T * B * D * H);
      const state = borrow(D * T * B * S);
      if (lstm) k.lstmForward(d, input, w, u, b, lh0, lc0, h, state);
      else k.gruForward(d, input, w, u, b, lh0, h, state);
      const layer: SavedLayer = { input, w, u, h0: lh0, c0: lc0, h, state, mask: null };
      saved.push(layer);
      input = h;
      if (l < L - 1 && spec.training && spec.interLayerDropout > 0) {
        input = borrow(h.length);
        layer.mask = borrow(h.length);
        k.dropout(h, input, layer.mask, spec.interLayerDropout, dropoutSeed !== null ? dropoutSeed + l : Math.floor(Math.random() * 2 ** 52));
      }
      if (!recording && l > 0) {
        // No backward pass will come: the previous layer's buffers are done with.
        const prev = saved[l - 1];
        giveBack(prev.state, prev.mask, prev.h, prev.mask ? layer.input : null);
        prev.state = null;
      }
    }
    if (!recording) {
      giveBack(saved[L - 1].state);
      saved[L - 1].state = null;
    }
    const out = saved[L - 1].h;
    return {
      value: tf.tensor3d(out, [T, B, D * H]),
      gradFunc: (dyT: TF.Tensor) => {
        if (saved.some((s) => !s.state)) throw new Error('lib/layers/cpuKernel.ts: this forward pass was run without a gradient tape, or was already differentiated');
        stats.backward++;
        if (spec.inputGradient === false) stats.inputGradientsSkipped++;
        let dy = f32(dyT);
        const grads: TF.Tensor[][] = [];
        const dh0All = zeros(L * BH);
        const dc0All = zeros(L * BH);
        let dx = dy;
        for (let l = L - 1; l >= 0; l--) {
          const s = saved[l];
          const Fl = l === 0 ? F : D * H;
          const d: Dims = [D, T, B, Fl, H];
          const ws = weights[l];
          const skipDx = l === 0 && spec.inputGradient === false;
          dx = skipDx ? new Float32Array(0) : l === 0 ? new Float32Array(T * B * Fl) : borrow(T * B * Fl); // dx of layer 0 goes to tfjs
          const dw = zeros(s.w.length);
          const du = zeros(s.u.length);
          const db = zeros(D * (lstm ? 4 : 6) * H);
          const dh0 = dh0All.subarray(l * BH, (l + 1) * BH);
          if (lstm) k.lstmBackward(d, s.input, s.w, s.u, s.h0, s.c0, s.h, s.state as Arr, dy, dx, dw, du, db, dh0, dc0All.subarray(l * BH, (l + 1) * BH));
          else k.gruBackward(d, s.input, s.w, s.u, s.h0, s.h, s.state as Arr, dy, dx, dw, du, db, dh0);
          // This layer's saved buffers and its upstream gradient are done with (not the op's input or value).
          giveBack(s.state, l < L - 1 ? s.h : null, l > 0 && saved[l - 1].mask ? s.input : null, s.mask, l < L - 1 ? dy : null);
          s.state = null;
          const [dK, dU, dB] = [unstacked(dw, ws.map((v) => v.kernel)), unstacked(du, ws.map((v) => v.recurrentKernel)), unstacked(db, ws.map((v) => v.bias))];
          grads[l] = ws.flatMap((_, i) => [dK[i], dU[i], dB[i]]);
          if (l > 0) {
            const mask = saved[l - 1].mask;
            if (mask) k.multiply(dx, mask, dx);
            dy = dx;
          }
        }
        return [
          dx.length ? tf.tensor3d(dx, [T, B, F]) : tf.zeros([T, B, F]),
          ...grads.flat(),
          ...(h0 ? [tf.tensor(dh0All, h0.shape)] : []),
          ...(lstm && c0 ? [tf.tensor(dc0All, c0.shape)] : []),
        ];
      },
    };
  }) as never) as unknown as (...ts: TF.Tensor[]) => TF.Tensor3D;
  return op(...inputs);
}
