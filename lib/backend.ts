/**
 * The one place that loads TensorFlow.js and picks its backend. Every other module does
 * `import { tf } from './backend'` (never `require('@tensorflow/tfjs-node')` itself), so a
 * notebook, the CLI and the tests all run on the same backend and say which one.
 *
 * Order: native GPU (`@tensorflow/tfjs-node-gpu`, only when an NVIDIA GPU answers and its
 * binding is built) → native CPU (`@tensorflow/tfjs-node`) → wasm → pure-JS cpu.
 * `GENRE_LAB_BACKEND=gpu|native|wasm|cpu` forces one (an unavailable forced choice throws).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { logLine } from './log';

/**
 * TensorFlow's C++ start-up lines are off unless GENRE_LAB_VERBOSE=1. TF_CPP_MIN_LOG_LEVEL=2 (set
 * before the binding loads; a value the user set is kept) drops TF's INFO and WARNING logs. It does
 * not reach what TF logs while its library is still loading, through absl before TF reads the
 * variable: absl's "WARNING: All log messages before absl::InitializeLog()…" and "oneDNN custom
 * operations are on…". `quietLoad` catches those.
 */
const VERBOSE = process.env.GENRE_LAB_VERBOSE === '1';
if (process.env.TF_CPP_MIN_LOG_LEVEL === undefined) process.env.TF_CPP_MIN_LOG_LEVEL = VERBOSE ? '0' : '2';

/** The lines TF writes while loading that `quietLoad` drops; anything else it wrote is passed on. */
const TF_STARTUP_NOISE = [/^WARNING: All log messages before absl::InitializeLog\(\)/, /^I\d{4} [\d:. ]+\d+ port\.cc:\d+\] oneDNN custom operations are on/];

/**
 * Runs `load` (a `require` of a native TF package) with file descriptor 2 pointed at a temporary
 * file, since TF writes from C++, past `process.stderr`; then puts stderr back and passes on what TF
 * wrote except TF_STARTUP_NOISE. Node has no dup2: closing fd 2 and opening a file takes the lowest
 * free descriptor, 2, and /proc/self/fd reopens the original stderr (a terminal, pipe or file) the
 * same way afterwards. Where that is not possible it just loads, and TF's lines show: not Linux, or
 * stderr a socket (what node's child_process gives a child for 'pipe'; a shell pipe, a terminal, a
 * file and Jupyter's kernel pipes all work).
 */
function quietLoad<T>(load: () => T): T {
  if (VERBOSE || process.platform !== 'linux') return load();
  let saved: number;
  try {
    fs.fstatSync(0); // 0 and 1 open, so the lowest free descriptor after closing 2 is 2
    fs.fstatSync(1);
    saved = fs.openSync('/proc/self/fd/2', 'a');
  } catch {
    return load();
  }
  const file = path.join(os.tmpdir(), `genre-lab-tf-start-${process.pid}.log`);
  fs.closeSync(2);
  let fd = -1;
  try {
    // Inside the try: should the file not open (tmpdir not writable), stderr is still put back below.
    fd = fs.openSync(file, 'w');
    if (fd !== 2) throw new Error(`lib/backend.ts: the TF start-up log got descriptor ${fd}, not 2`);
    return load();
  } finally {
    if (fd >= 0) fs.closeSync(fd);
    fs.openSync(`/proc/self/fd/${saved}`, 'a'); // lowest free descriptor: 2 again
    fs.closeSync(saved);
    const written = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    const rest = written.split('\n').filter((l) => l && !TF_STARTUP_NOISE.some((re) => re.test(l)));
    fs.rmSync(file, { force: true });
    if (rest.length) process.stderr.write(rest.join('\n') + '\n');
  }
}

export type BackendKind = 'native-gpu' | 'native-cpu' | 'wasm' | 'cpu';

export interface BackendInfo {
  /** What we run on. */
  kind: BackendKind;
  /** tfjs backend name (`tensorflow` for both native packages). */
  backend: string;
  /** The npm package that provides it. */
  package: string;
  /** libtensorflow version for native backends. */
  tensorflow?: string;
  /** Why this one was chosen (and why the ones before it were not). */
  reason: string;
}

type Tf = typeof import('@tensorflow/tfjs-node');
/**
 * Types only (erased at run time): `import { tf, type TF } from './backend'`, then
 * `TF.Tensor`, `TF.layers.Layer`, `TF.LayersModel` in signatures.
 */
export type * as TF from '@tensorflow/tfjs-node';

function packageRoot(name: string): string | undefined {
  try {
    return path.dirname(require.resolve(`${name}/package.json`));
  } catch {
    return undefined;
  }
}

/** True when the package's native binding has been built (by scripts/setup.js). */
function bindingBuilt(name: string): boolean {
  const root = packageRoot(name);
  if (!root) return false;
  const lib = path.join(root, 'lib');
  return fs.existsSync(lib) && fs.readdirSync(lib).some((d) => fs.existsSync(path.join(lib, d, 'tfjs_binding.node')));
}

function nvidiaGpuPresent(): boolean {
  try {
    const r = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8', timeout: 5000 });
    return r.status === 0 && /GPU \d+:/.test(r.stdout);
  } catch {
    return false;
  }
}

function load(): { tf: Tf; info: BackendInfo } {
  const forced = process.env.GENRE_LAB_BACKEND;
  const skipped: string[] = [];
  const want = (k: string) => !forced || forced === k;

  if (want('gpu')) {
    const gpu = nvidiaGpuPresent();
    if (gpu && bindingBuilt('@tensorflow/tfjs-node-gpu')) {
      const tf: Tf = quietLoad(() => require('@tensorflow/tfjs-node-gpu'));
      return { tf, info: native(tf, 'native-gpu', '@tensorflow/tfjs-node-gpu', 'NVIDIA GPU present and tfjs-node-gpu built') };
    }
    skipped.push(gpu ? 'GPU present but tfjs-node-gpu binding not built (run npm start on this machine)' : 'no NVIDIA GPU');
  }
  if (want('native')) {
    if (bindingBuilt('@tensorflow/tfjs-node')) {
      try {
        const tf: Tf = quietLoad(() => require('@tensorflow/tfjs-node'));
        return { tf, info: native(tf, 'native-cpu', '@tensorflow/tfjs-node', skipped.concat('native CPU binding loads').join('; ')) };
      } catch (e) {
        skipped.push(`tfjs-node failed to load: ${(e as Error).message.split('\n')[0]}`);
      }
    } else skipped.push('tfjs-node binding not built (run `node scripts/setup.js`)');
  }
  // Fallbacks: @tensorflow/tfjs has the same API surface minus the node-only io/decoders.
  const tf: Tf = require('@tensorflow/tfjs');
  if (want('wasm') && packageRoot('@tensorflow/tfjs-backend-wasm')) {
    require('@tensorflow/tfjs-backend-wasm');
    return { tf, info: { kind: 'wasm', backend: 'wasm', package: '@tensorflow/tfjs-backend-wasm', reason: skipped.join('; ') } };
  }
  if (forced && forced !== 'cpu') throw new Error(`GENRE_LAB_BACKEND=${forced} is not available here: ${skipped.join('; ')}`);
  return { tf, info: { kind: 'cpu', backend: 'cpu', package: '@tensorflow/tfjs', reason: skipped.concat('pure-JS fallback').join('; ') } };
}

function native(tf: Tf, kind: BackendKind, pkg: string, reason: string): BackendInfo {
  const binding = (tf.backend() as unknown as { binding?: { TF_Version?: string } }).binding;
  return { kind, backend: tf.getBackend(), package: pkg, tensorflow: binding?.TF_Version, reason };
}

const loaded = load();

/** The TensorFlow.js namespace, on the selected backend. */
export const tf: Tf = loaded.tf;
export const backendInfo: BackendInfo = loaded.info;

/** Settles async backends (wasm needs `tf.ready()`); safe to await on any backend. */
export async function ready(): Promise<BackendInfo> {
  await tf.setBackend(backendInfo.backend);
  await tf.ready();
  return backendInfo;
}

/** One line naming the backend, e.g. for notebook headers and metrics.json. */
export function describeBackend(info: BackendInfo = backendInfo): string {
  const ver = info.tensorflow ? `, TensorFlow ${info.tensorflow}` : '';
  return `tfjs backend: ${info.backend} [${info.kind}] via ${info.package}${ver} — ${info.reason}`;
}

// A log line (stderr; stdout in a notebook, lib/log.ts), never mixed into a command's output.
if (process.env.GENRE_LAB_QUIET_BACKEND !== '1') {
  const loud = backendInfo.kind === 'wasm' || backendInfo.kind === 'cpu';
  logLine(`[genre-lab] ${describeBackend()}${loud ? ' (SLOW: native TensorFlow is not set up)' : ''}`);
}
