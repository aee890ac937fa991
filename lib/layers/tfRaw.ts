/**
 * Direct calls into TensorFlow's eager C API through tfjs-node's binding, for the fused recurrent
 * kernels. Two reasons not to go through `tf.*`:
 *  1. ops tfjs does not wrap (`BlockLSTMV2`, `BlockLSTMGradV2`, `Unpack` with T outputs…);
 *  2. the per-timestep loop of the GRU: tfjs' engine adds ~4 µs of bookkeeping to each op
 *     (measured here: `tf.add` on [32,128] 9 µs, the same `AddV2` through `binding.executeOp` 5.6 µs),
 *     and intermediates handled as raw handle ids never enter the engine's tensor registry.
 *
 * Handles (`number`) are TFE tensor handle ids owned by the caller: free them with `free()`, or turn
 * them into tfjs tensors with `toTensor()` (which hands ownership to tfjs). Only available on the
 * native backends (`backendInfo.kind` native-cpu / native-gpu); check `nativeOpsAvailable()`.
 */
import { tf, backendInfo, type TF } from '../backend';

/** TFE op attribute, as tfjs-node's binding takes it. */
export interface OpAttr {
  name: string;
  type: number;
  value: boolean | number | object | string | number[];
}

interface TensorMetadata {
  id: number;
  shape: number[];
  dtype: number;
}

interface Binding {
  createTensor(shape: number[], dtype: number, buffer: Float32Array | Int32Array): number;
  deleteTensor(id: number): void;
  executeOp(opName: string, attrs: OpAttr[], inputIds: number[], numOutputs: number): TensorMetadata[];
  tensorDataSync(id: number): Float32Array | Int32Array | Uint8Array;
  TF_FLOAT: number;
  TF_INT32: number;
  TF_INT64: number;
  TF_ATTR_INT: number;
  TF_ATTR_FLOAT: number;
  TF_ATTR_BOOL: number;
  TF_ATTR_TYPE: number;
  TF_ATTR_STRING: number;
}

interface NodeBackend {
  binding: Binding;
  getInputTensorIds(tensors: TF.Tensor[]): number[];
  createOutputTensor(meta: TensorMetadata): TF.Tensor;
}

/** A raw output: its handle id and shape. */
export interface Handle {
  id: number;
  shape: number[];
}

/** True when the selected backend is native TensorFlow and its binding can run arbitrary ops. */
export function nativeOpsAvailable(): boolean {
  if (backendInfo.kind !== 'native-cpu' && backendInfo.kind !== 'native-gpu') return false;
  const be = tf.backend() as unknown as Partial<NodeBackend>;
  return typeof be.binding?.executeOp === 'function' && typeof be.getInputTensorIds === 'function';
}

function nodeBackend(): NodeBackend {
  if (!nativeOpsAvailable()) throw new Error(`lib/layers/tfRaw.ts: native TensorFlow ops need the tfjs-node backend (have ${backendInfo.kind})`);
  return tf.backend() as unknown as NodeBackend;
}

/** Thin typed wrapper over `binding.executeOp` with attr builders for the dtypes we use (float32). */
export class RawOps {
  readonly be: NodeBackend;
  /** `T: float32`, the type attr nearly every op needs. */
  readonly tFloat: OpAttr;
  private readonly int32Cache = new Map<string, number>();

  constructor() {
    this.be = nodeBackend();
    this.tFloat = { name: 'T', type: this.b.TF_ATTR_TYPE, value: this.b.TF_FLOAT };
  }

  /** The backend's binding, read on every use (a profiler or test may swap it: bench/models_profile.ts). */
  get b(): Binding {
    return this.be.binding;
  }

  int(name: string, value: number): OpAttr {
    return { name, type: this.b.TF_ATTR_INT, value };
  }
  float(name: string, value: number): OpAttr {
    return { name, type: this.b.TF_ATTR_FLOAT, value };
  }
  bool(name: string, value: boolean): OpAttr {
    return { name, type: this.b.TF_ATTR_BOOL, value };
  }
  str(name: string, value: string): OpAttr {
    return { name, type: this.b.TF_ATTR_STRING, value };
  }
  type(name: string, dtype: 'float32' | 'int32'): OpAttr {
    return { name, type: this.b.TF_ATTR_TYPE, value: dtype === 'float32' ? this.b.TF_FLOAT : this.b.TF_INT32 };
  }

  /** Handle ids of tfjs tensors (materialises tensors whose values still live in JS). Not owned. */
  ids(tensors: TF.Tensor[]): number[] {
    return this.be.getInputTensorIds(tensors);
  }

  /** An int32 constant (shape [] for a scalar), cached for this RawOps' lifetime; freed by `dispose()`. */
  int32(values: number[], shape: number[] = [values.length]): number {
    const key = `${shape.join('x')}:${values.join(',')}`;
    let id = this.int32Cache.get(key);
    if (id === undefined) {
      id = this.b.createTensor(shape, this.b.TF_INT32, Int32Array.from(values));
      this.int32Cache.set(key, id);
    }
    return id;
  }

  /** An int64 scalar (e.g. BlockLSTM's seq_len_max); caller frees it. */
  int64Scalar(value: number): number {
    // int64 travels as [low, high] int32 words, as tfjs-node's Int64Scalar does (little-endian).
    return this.b.createTensor([], this.b.TF_INT64, Int32Array.from([value, value < 0 ? -1 : 0]));
  }

  /** Runs `op` and returns its outputs as owned handles. */
  run(op: string, attrs: OpAttr[], inputs: number[], numOutputs = 1): Handle[] {
    return this.b.executeOp(op, attrs, inputs, numOutputs).map((m) => ({ id: m.id, shape: m.shape }));
  }

  /** Single-output convenience: returns the handle id. */
  run1(op: string, attrs: OpAttr[], inputs: number[]): number {
    return this.b.executeOp(op, attrs, inputs, 1)[0].id;
  }

  /** Hands a handle to tfjs as a float32 tensor (tfjs owns and disposes it from now on). */
  toTensor(h: Handle): TF.Tensor {
    return this.be.createOutputTensor({ id: h.id, shape: h.shape, dtype: this.b.TF_FLOAT });
  }

  free(...ids: number[]): void {
    for (const id of ids) this.b.deleteTensor(id);
  }

  // --- the ops the kernels use (float32) ---
  matMul(a: number, b: number, transposeA = false, transposeB = false): number {
    return this.run1('MatMul', [this.bool('transpose_a', transposeA), this.bool('transpose_b', transposeB), this.tFloat], [a, b]);
  }
  /** Batched matmul over leading dims ([D, M, K]·[D, K, N]); adjX/adjY transpose the last two dims. */
  batchMatMul(a: number, b: number, adjX = false, adjY = false): number {
    return this.run1('BatchMatMulV2', [this.bool('adj_x', adjX), this.bool('adj_y', adjY), this.tFloat], [a, b]);
  }
  add(a: number, b: number): number {
    return this.run1('AddV2', [this.tFloat], [a, b]);
  }
  sub(a: number, b: number): number {
    return this.run1('Sub', [this.tFloat], [a, b]);
  }
  mul(a: number, b: number): number {
    return this.run1('Mul', [this.tFloat], [a, b]);
  }
  sigmoid(a: number): number {
    return this.run1('Sigmoid', [this.tFloat], [a]);
  }
  tanh(a: number): number {
    return this.run1('Tanh', [this.tFloat], [a]);
  }
  /** Splits `a` into `n` equal parts along `axis`. */
  split(a: number, axis: number, n: number): number[] {
    return this.run('Split', [this.int('num_split', n), this.tFloat], [this.int32([axis], []), a], n).map((h) => h.id);
  }
  /** Splits `a` along `axis` into parts of the given sizes. */
  splitV(a: number, sizes: number[], axis: number): number[] {
    return this.run('SplitV', [this.int('num_split', sizes.length), this.tFloat, this.type('Tlen', 'int32')], [a, this.int32(sizes), this.int32([axis], [])], sizes.length).map(
      (h) => h.id,
    );
  }
  /** `tf.unstack(a, axis)`: `n` handles (n = a.shape[axis]). */
  unpack(a: number, n: number, axis = 0): number[] {
    return this.run('Unpack', [this.int('num', n), this.int('axis', axis), this.tFloat], [a], n).map((h) => h.id);
  }
  /** `tf.stack(parts, axis)`. */
  pack(parts: number[], axis = 0): Handle {
    return this.run('Pack', [this.int('N', parts.length), this.int('axis', axis), this.tFloat], parts)[0];
  }
  concat(parts: number[], axis: number): Handle {
    return this.run('ConcatV2', [this.int('N', parts.length), this.tFloat, this.type('Tidx', 'int32')], [...parts, this.int32([axis], [])])[0];
  }
  transpose(a: number, perm: number[]): number {
    return this.run1('Transpose', [this.tFloat, this.type('Tperm', 'int32')], [a, this.int32(perm)]);
  }
  tile(a: number, multiples: number[]): number {
    return this.run1('Tile', [this.tFloat, this.type('Tmultiples', 'int32')], [a, this.int32(multiples)]);
  }
  reshape(a: number, shape: number[]): number {
    return this.run1('Reshape', [this.tFloat, this.type('Tshape', 'int32')], [a, this.int32(shape)]);
  }
  /** Sum over `axes` (keepDims false). */
  sum(a: number, axes: number[]): number {
    return this.run1('Sum', [this.bool('keep_dims', false), this.tFloat, this.type('Tidx', 'int32')], [a, this.int32(axes)]);
  }
  /** `x + bias` over the last axis. */
  biasAdd(x: number, bias: number): number {
    return this.run1('BiasAdd', [this.tFloat, this.str('data_format', 'NHWC')], [x, bias]);
  }
  /** Σ dy over all axes but the last (the bias's gradient). */
  biasAddGrad(dy: number): number {
    return this.run1('BiasAddGrad', [this.tFloat, this.str('data_format', 'NHWC')], [dy]);
  }

  /** Frees the cached int32 constants. */
  dispose(): void {
    for (const id of this.int32Cache.values()) this.b.deleteTensor(id);
    this.int32Cache.clear();
  }
}

let shared: RawOps | null = null;
/** The one `RawOps` the layer kernels share (made on first use, on the native backend). */
export function rawOps(): RawOps {
  return (shared ??= new RawOps());
}
