/**
 * Dataset-scale feature extraction on all cores: a pool of worker threads, each running the
 * whole file → samples → features pipeline for one clip at a time (no shared state). It is the
 * feature cache's engine (lib/experiments/examples.ts): a track's examples are computed from their
 * `ExampleSpec` alone (`{ examples: spec }`), so training extracts on every core. Timings: `npm run
 * bench:features`.
 *
 *   const mats = await extractBatch(files, 'mfcc13', { sr: 22050 });            // Matrix[] [13, frames]
 *   const pool = new FeaturePool({ concurrency: 2 }); await pool.run(...); await pool.close();
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { AudioError, type AudioErrorReason } from '../audio/errors';
import type { Matrix } from './matrix';
import type { ExtractorName } from './extractors';
import type { ExampleSpec } from './spec';

/**
 * What a worker computes: a named extractor (see EXTRACTORS), an exported `(y, sr) => Matrix` of a
 * module file (absolute path), or a track's examples under an `ExampleSpec` (the file is decoded at
 * the spec's sample rate; the result has the shape `[examples, ...example shape]`).
 */
export type FeatureRef = ExtractorName | { module: string; name: string } | { examples: ExampleSpec };

export interface BatchJob {
  id: number;
  feature: FeatureRef;
  file?: string;
  y?: Float32Array;
  sr?: number | null;
}

export type BatchReply =
  | { id: number; ok: true; data: Float32Array; rows: number; cols: number; shape?: number[] }
  | { id: number; ok: false; error: string; reason?: string; file?: string };

export interface BatchOptions {
  /** Worker threads (default: the number of CPU cores). */
  concurrency?: number;
  /** Sample rate to load files at (default 22050; null keeps each file's rate); for arrays, their rate. */
  sr?: number | null;
  /** Called after each clip with (done, total). */
  onProgress?: (done: number, total: number) => void;
}

/**
 * The worker entry: compiled batchWorker.js when it exists; else the .ts sources (tests, bench, the
 * CLI, and tslab, whose in-memory compilation gives this module a .js __filename although only the
 * .ts file is on disk) transpiled ONCE to JavaScript under node_modules/.cache/genre-lab-worker/
 * (keyed by the sources' sizes and times), so a worker starts without loading the TypeScript
 * compiler (seconds per worker). ts-node in the worker is the fallback when TypeScript is absent.
 */
function workerSource(): string {
  const js = path.join(__dirname, 'batchWorker.js');
  if (fs.existsSync(js)) return `require(${JSON.stringify(js)});`;
  const ts = path.join(__dirname, 'batchWorker.ts');
  let transpiled: string | null = null;
  try {
    transpiled = transpiledWorker(ts);
  } catch {
    // e.g. a read-only node_modules: ts-node in each worker, as before
  }
  if (transpiled) return `require(${JSON.stringify(transpiled)});`;
  const project = path.resolve(__dirname, '..', '..', 'tsconfig.json');
  return `require('ts-node').register({ transpileOnly: true, project: ${JSON.stringify(project)} }); require(${JSON.stringify(ts)});`;
}

/** The .ts files `entry` imports or requires, transitively (relative specifiers only). */
function localModules(entry: string): string[] {
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length) {
    const f = queue.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    for (const m of fs.readFileSync(f, 'utf8').matchAll(/(?:from|require\(|import\()\s*'(\.{1,2}\/[^']+)'/g)) {
      const base = path.resolve(path.dirname(f), m[1]);
      const hit = [`${base}.ts`, path.join(base, 'index.ts')].find((c) => fs.existsSync(c));
      if (hit) queue.push(hit);
    }
  }
  return [...seen];
}

let transpiledEntry: string | null | undefined;

/** batchWorker.ts and what it imports, as CommonJS under node_modules/.cache (null without TypeScript). */
function transpiledWorker(entry: string): string | null {
  if (transpiledEntry !== undefined) return transpiledEntry;
  transpiledEntry = null;
  let tsc: typeof import('typescript');
  try {
    tsc = require('typescript') as typeof import('typescript');
  } catch {
    return null;
  }
  const lib = path.resolve(__dirname, '..');
  const root = path.dirname(lib);
  const files = localModules(entry).filter((f) => f.startsWith(lib + path.sep)).sort();
  const key = crypto.createHash('sha256').update(files.map((f) => { const st = fs.statSync(f); return `${f}:${st.size}:${st.mtimeMs}`; }).join('\n')).digest('hex').slice(0, 16);
  // under the repository's node_modules, so the compiled files find its packages
  const dir = path.join(root, 'node_modules', '.cache', 'genre-lab-worker', key);
  const out = (f: string) => path.join(dir, path.relative(lib, f)).replace(/\.ts$/, '.js');
  if (!fs.existsSync(path.join(dir, 'complete'))) {
    const cfg = tsc.readConfigFile(path.join(root, 'tsconfig.json'), tsc.sys.readFile);
    const options = tsc.parseJsonConfigFileContent(cfg.config ?? {}, tsc.sys, root).options;
    for (const f of files) {
      const js = tsc.transpileModule(fs.readFileSync(f, 'utf8'), { compilerOptions: { ...options, noEmit: false, module: tsc.ModuleKind.CommonJS }, fileName: f }).outputText;
      fs.mkdirSync(path.dirname(out(f)), { recursive: true });
      fs.writeFileSync(`${out(f)}.tmp-${process.pid}`, js);
      fs.renameSync(`${out(f)}.tmp-${process.pid}`, out(f));
    }
    fs.writeFileSync(path.join(dir, 'complete'), files.map((f) => path.relative(lib, f)).join('\n') + '\n');
  }
  return (transpiledEntry = out(entry));
}

/** A reusable pool of feature workers. */
export class FeaturePool {
  readonly concurrency: number;
  private readonly workers: Worker[] = [];
  private nextId = 0;

  constructor(opts: { concurrency?: number } = {}) {
    this.concurrency = Math.max(1, opts.concurrency ?? os.cpus().length);
    const src = workerSource();
    for (let i = 0; i < this.concurrency; i++) {
      const w = new Worker(src, { eval: true });
      this.workers.push(w);
    }
  }

  /**
   * Runs `feature` over every input (a file path, or samples `[n]` at `opts.sr`) and resolves to the
   * matrices in input order. A bad file rejects with its AudioError (file and reason kept).
   */
  async run(inputs: (string | Float32Array)[], feature: FeatureRef, opts: Omit<BatchOptions, 'concurrency'> = {}): Promise<Matrix[]> {
    const out: Matrix[] = new Array(inputs.length);
    let failure: Error | undefined;
    await this.each(inputs, feature, { ...opts, onResult: (i, r) => {
      if (r instanceof Error) {
        failure ??= r;
        return false;
      }
      out[i] = { data: r.data, rows: r.shape[0], cols: r.shape[1] };
    } });
    if (failure) throw failure;
    return out;
  }

  /**
   * Runs `feature` over every input and hands each result (row-major data and its shape) or its
   * error to `onResult` as it arrives, in completion order; a bad input does not stop the others
   * unless `onResult` returns false (then no further input is started). Resolves when all are done.
   */
  async each(
    inputs: (string | Float32Array)[],
    feature: FeatureRef,
    opts: Omit<BatchOptions, 'concurrency'> & { onResult: (index: number, result: { data: Float32Array; shape: number[] } | Error) => void | boolean },
  ): Promise<void> {
    let next = 0, done = 0, stopped = false;
    const sr = opts.sr === undefined ? 22050 : opts.sr;
    const runOn = (w: Worker): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        const inflight = new Map<number, number>(); // job id → input index, jobs sent to this worker
        const send = () => {
          const index = next++;
          const input = inputs[index];
          const id = this.nextId++;
          inflight.set(id, index);
          const job: BatchJob = typeof input === 'string' ? { id, feature, file: input, sr } : { id, feature, y: input, sr: sr ?? 22050 };
          w.postMessage(job);
        };
        // A second job waits queued at the worker while more jobs than workers remain unassigned, so
        // a worker never idles while the main thread receives its result and clones its next clip;
        // the last ones go one at a time to whichever worker is free.
        const fill = () => {
          if (stopped) return;
          if (inflight.size === 0 && next < inputs.length) send();
          if (inflight.size === 1 && inputs.length - next > this.workers.length) send();
        };
        const finish = (e?: Error) => {
          w.off('message', onMsg);
          w.off('error', onErr);
          if (e) reject(e);
          else resolve();
        };
        const onMsg = (r: BatchReply) => {
          const index = inflight.get(r.id);
          if (index === undefined) return; // another run's reply
          inflight.delete(r.id);
          let keepOn: void | boolean;
          if (!r.ok) {
            const input = inputs[index];
            keepOn = opts.onResult(index, r.reason && r.file ? new AudioError(r.file, r.reason as AudioErrorReason, r.error.replace(/^[^:]*: /, '')) : new Error(`${typeof input === 'string' ? input : `clip ${index}`}: ${r.error}`));
          } else {
            keepOn = opts.onResult(index, { data: r.data, shape: r.shape ?? [r.rows, r.cols] });
          }
          if (keepOn === false) stopped = true;
          opts.onProgress?.(++done, inputs.length);
          fill();
          if (inflight.size === 0) finish();
        };
        const onErr = (e: Error) => finish(e);
        w.on('message', onMsg);
        w.on('error', onErr);
        fill();
        if (inflight.size === 0) finish();
      });
    await Promise.all(this.workers.map(runOn));
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * Extracts `feature` from every file (or sample array) on `concurrency` worker threads
 * (default: all cores). Resolves to one Matrix per input, in order.
 */
export async function extractBatch(inputs: (string | Float32Array)[], feature: FeatureRef, opts: BatchOptions = {}): Promise<Matrix[]> {
  const pool = new FeaturePool({ concurrency: Math.min(opts.concurrency ?? os.cpus().length, Math.max(1, inputs.length)) });
  try {
    return await pool.run(inputs, feature, opts);
  } finally {
    await pool.close();
  }
}
