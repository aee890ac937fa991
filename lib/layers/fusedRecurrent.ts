/**
 * `FusedLSTM` / `FusedGRU`: tfjs Layers (so `model.fit`, `save`/`loadLayersModel`, `countParams`,
 * `summary` work) that run a whole multi-layer, uni- or bidirectional recurrent stack per call:
 *  - on tfjs-node's CPU backend through the CPU kernel (cpuKernel.ts, native/rnn.cc): the whole
 *    stack forward and backward in one native call each, on every core;
 *  - on native TF otherwise (tfjs-node-gpu, or the CPU kernel not built) through TF-op kernels
 *    (lstmKernel.ts: `BlockLSTMV2`; gruKernel.ts: batched input projections + a raw-op recurrence),
 *    each with a hand-written backward;
 *  - elsewhere (wasm, cpu) through the same math in plain tfjs ops with the same weights.
 *
 * Semantics: input [batch, time, features] (Keras `batch_first`); PyTorch stacking (`numLayers`, layer
 * k>0 reads the concatenation of both directions, `interLayerDropout` between layers like
 * nn.LSTM's `dropout`); Keras `dropout` on the stack's input (one mask per sequence, shared by all
 * steps, as Keras RNNs do); Keras `Bidirectional` output (`mergeMode` on the last layer; with
 * `returnSequences: false` the backward direction contributes its state after reading the whole
 * reversed sequence, i.e. its output at original t = 0, as in Keras — PyTorch's `y[:, -1]` would
 * instead take the backward direction after one step).
 * Initial state: call with `[x, h0]` (GRU) or `[x, h0, c0]` (LSTM), each [numLayers·numDirections,
 * batch, units] (PyTorch's `h_0`/`c_0`; direction index fastest) or [batch, units] for one layer and
 * one direction. Masking is not supported (pad-free batches, as every model here uses).
 */
import { tf, type TF } from '../backend';
import { nativeOpsAvailable } from './tfRaw';
import { orthogonalMatrix } from './orthogonal';
import { lstmFused, lstmGeneric } from './lstmKernel';
import { gruFused, gruFusedDirections, gruGeneric } from './gruKernel';
import { cpuKernelActive, needsGradient, recurrentStackCpu } from './cpuKernel';

export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave';
/** `fused`: native kernels (throws off native TF); `generic`: plain tfjs ops; `auto`: fused where available. */
export type RnnImplementation = 'auto' | 'fused' | 'generic';

export interface FusedRecurrentArgs {
  units: number;
  /** Stacked recurrent layers inside this one layer (PyTorch `num_layers`). Default 1. */
  numLayers?: number;
  bidirectional?: boolean;
  /** How the two directions' outputs combine (last layer only; inner layers always concat). Default concat. */
  mergeMode?: MergeMode;
  /** Return [batch, time, out] instead of the last step [batch, out]. Default false. */
  returnSequences?: boolean;
  /** Dropout rate on the stack's input, one mask per sequence (Keras `dropout`). Training only. */
  dropout?: number;
  /** Dropout rate on each layer's output except the last (PyTorch `dropout`). Training only. */
  interLayerDropout?: number;
  implementation?: RnnImplementation;
  inputShape?: number[];
  batchInputShape?: number[];
  name?: string;
  trainable?: boolean;
}

type Weights = { kernel: TF.LayerVariable; recurrentKernel: TF.LayerVariable; bias: TF.LayerVariable };

function checkRate(name: string, rate: number | undefined, layer: string): number {
  const r = rate ?? 0;
  if (!(r >= 0 && r < 1)) throw new Error(`${layer}: ${name} must be in [0, 1), got ${rate}`);
  return r;
}

abstract class FusedRecurrent extends tf.layers.Layer {
  readonly units: number;
  readonly numLayers: number;
  readonly bidirectional: boolean;
  readonly mergeMode: MergeMode;
  readonly returnSequences: boolean;
  readonly dropout: number;
  readonly interLayerDropout: number;
  readonly implementation: RnnImplementation;
  /** The name passed in (undefined when tfjs generated one). */
  readonly givenName?: string;
  /** Weights per layer, then per direction (forward, backward). */
  protected cellWeights: Weights[][] = [];
  /** 4 (LSTM) or 3 (GRU) gate blocks per weight matrix. */
  protected abstract readonly gates: number;
  /** LSTMs carry a cell state besides h. */
  protected abstract readonly hasCellState: boolean;

  constructor(args: FusedRecurrentArgs) {
    super({ name: args.name, inputShape: args.inputShape, batchInputShape: args.batchInputShape, trainable: args.trainable } as never);
    const where = `lib/layers/fusedRecurrent.ts (${args.name ?? 'recurrent layer'})`;
    if (!Number.isInteger(args.units) || args.units <= 0) throw new Error(`${where}: units must be a positive integer, got ${args.units}`);
    this.units = args.units;
    this.givenName = args.name;
    this.numLayers = args.numLayers ?? 1;
    if (!Number.isInteger(this.numLayers) || this.numLayers < 1) throw new Error(`${where}: numLayers must be an integer ≥ 1, got ${args.numLayers}`);
    this.bidirectional = args.bidirectional ?? false;
    this.mergeMode = args.mergeMode ?? 'concat';
    if (!['concat', 'sum', 'mul', 'ave'].includes(this.mergeMode)) throw new Error(`${where}: unknown mergeMode '${this.mergeMode}'`);
    this.returnSequences = args.returnSequences ?? false;
    this.dropout = checkRate('dropout', args.dropout, where);
    this.interLayerDropout = checkRate('interLayerDropout', args.interLayerDropout, where);
    this.implementation = args.implementation ?? 'auto';
    if (this.implementation === 'fused' && !nativeOpsAvailable()) throw new Error(`${where}: implementation 'fused' needs native TensorFlow (tfjs-node)`);
  }

  get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** Width of the layer's output features. */
  get outputUnits(): number {
    return this.bidirectional && this.mergeMode === 'concat' ? 2 * this.units : this.units;
  }

  /** True when this call runs the native kernels. */
  get usesFusedKernels(): boolean {
    return this.implementation === 'fused' || (this.implementation === 'auto' && nativeOpsAvailable());
  }

  protected abstract biasShape(): number[];
  protected abstract biasInit(): TF.Tensor;
  /** One layer, one direction: x [T, B, F] time-major → [T, B, H]. */
  protected abstract runCell(x: TF.Tensor, h0: TF.Tensor, c0: TF.Tensor | null, w: Weights, fused: boolean): TF.Tensor;

  /** One layer, all directions (inputs already reversed for the backward one): xs[d] [T, B, F] → [T, B, H] each. */
  protected runLayer(xs: TF.Tensor[], h0s: TF.Tensor[], c0s: TF.Tensor[] | null, ws: Weights[], fused: boolean): TF.Tensor[] {
    return xs.map((x, d) => this.runCell(x, h0s[d], c0s ? c0s[d] : null, ws[d], fused));
  }

  override build(inputShape: TF.Shape | TF.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as TF.Shape;
    const features = shape[shape.length - 1];
    if (shape.length !== 3 || features == null) throw new Error(`${this.name}: expects input [batch, time, features] with known features, got [${shape.join(', ')}]`);
    const H = this.units;
    this.cellWeights = [];
    for (let l = 0; l < this.numLayers; l++) {
      const inF = l === 0 ? features : H * this.numDirections;
      const dirs: Weights[] = [];
      for (let d = 0; d < this.numDirections; d++) {
        const p = `l${l}${d ? '_reverse' : ''}/`; // PyTorch's weight_ih_l0_reverse naming
        // Keras defaults: glorot-uniform input kernel, orthogonal recurrent kernel.
        const kernel = this.addWeight(`${p}kernel`, [inF, this.gates * H], 'float32', tf.initializers.glorotUniform({}));
        const recurrentKernel = this.addWeight(`${p}recurrent_kernel`, [H, this.gates * H], 'float32', tf.initializers.zeros());
        // Keras' orthogonal init, computed here: tfjs' own warns "Slowness may result" for every recurrent kernel.
        const u0 = tf.tensor2d(orthogonalMatrix(H, this.gates * H), [H, this.gates * H]);
        recurrentKernel.write(u0);
        u0.dispose();
        const bias = this.addWeight(`${p}bias`, this.biasShape(), 'float32', tf.initializers.zeros());
        const b0 = this.biasInit();
        bias.write(b0);
        b0.dispose();
        dirs.push({ kernel, recurrentKernel, bias });
      }
      this.cellWeights.push(dirs);
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: TF.Shape | TF.Shape[]): TF.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as TF.Shape;
    return this.returnSequences ? [shape[0], shape[1], this.outputUnits] : [shape[0], this.outputUnits];
  }

  /** A user's initial state, checked: [L·D, B, H], or [B, H] for one layer and one direction. */
  private checkState(given: TF.Tensor, batch: number, what: string): TF.Tensor {
    const n = this.numLayers * this.numDirections;
    if (given.rank === 2 && n === 1 && given.shape[0] === batch && given.shape[1] === this.units) return given;
    if (given.rank !== 3 || given.shape[0] !== n || given.shape[1] !== batch || given.shape[2] !== this.units)
      throw new Error(`${this.name}: initial ${what} must be [${n}, ${batch}, ${this.units}]${n === 1 ? ` or [${batch}, ${this.units}]` : ''}, got [${given.shape.join(', ')}]`);
    return given;
  }

  /** Initial state [B, H] for layer l, direction d, from a user tensor or zeros. */
  private initialState(given: TF.Tensor | undefined, l: number, d: number, batch: number, what: string): TF.Tensor {
    if (!given) return tf.zeros([batch, this.units]);
    const checked = this.checkState(given, batch, what);
    if (checked.rank === 2) return checked;
    return tf.squeeze(tf.slice(checked, [l * this.numDirections + d, 0, 0], [1, batch, this.units]), [0]);
  }

  /** The stack layer by layer (TF-op kernels or plain tfjs ops): x [T, B, F] → [T, B, H] per direction, in original time. */
  private runStackLayers(x: TF.Tensor, h0: TF.Tensor | undefined, c0: TF.Tensor | undefined, training: boolean, fused: boolean): TF.Tensor[] {
    const batch = x.shape[1] as number;
    let outs: TF.Tensor[] = [];
    for (let l = 0; l < this.numLayers; l++) {
      const dirs = [...Array(this.numDirections).keys()];
      const xs = dirs.map((d) => (d === 0 ? x : tf.reverse(x, 0)));
      const h0s = dirs.map((d) => this.initialState(h0, l, d, batch, 'h0'));
      const c0s = this.hasCellState ? dirs.map((d) => this.initialState(c0, l, d, batch, 'c0')) : null;
      const ys = this.runLayer(xs, h0s, c0s, this.cellWeights[l], fused);
      outs = ys.map((y, d) => (d === 0 ? y : tf.reverse(y, 0)));
      if (l < this.numLayers - 1) {
        x = outs.length === 1 ? outs[0] : tf.concat(outs, 2);
        if (training && this.interLayerDropout > 0) x = tf.dropout(x, this.interLayerDropout);
      }
    }
    return outs;
  }

  /** The whole stack on the native CPU kernel (cpuKernel.ts): x [T, B, F] → [T, B, H] per direction, in original time. */
  private runStackCpu(x: TF.Tensor, h0: TF.Tensor | undefined, c0: TF.Tensor | undefined, training: boolean, inputGradient: boolean): TF.Tensor[] {
    const batch = x.shape[1] as number;
    const y = recurrentStackCpu(
      {
        kind: this.hasCellState ? 'lstm' : 'gru',
        units: this.units,
        numLayers: this.numLayers,
        numDirections: this.numDirections,
        interLayerDropout: this.interLayerDropout,
        training,
        inputGradient,
      },
      x,
      this.cellWeights.map((dirs) => dirs.map((w) => ({ kernel: w.kernel.read(), recurrentKernel: w.recurrentKernel.read(), bias: w.bias.read() }))),
      h0 ? this.checkState(h0, batch, 'h0') : null,
      c0 ? this.checkState(c0, batch, 'c0') : null,
    );
    return this.numDirections === 1 ? [y] : tf.split(y, this.numDirections, 2);
  }

  override call(inputs: TF.Tensor | TF.Tensor[], kwargs: Record<string, unknown>): TF.Tensor {
    return tf.tidy(() => {
      const list = Array.isArray(inputs) ? inputs : [inputs];
      const x0 = list[0];
      if (x0.rank !== 3) throw new Error(`${this.name}: expects input [batch, time, features], got [${x0.shape.join(', ')}]`);
      const maxInputs = this.hasCellState ? 3 : 2;
      if (list.length > maxInputs) throw new Error(`${this.name}: takes x${this.hasCellState ? ', h0, c0' : ', h0'}; got ${list.length} inputs`);
      const training = kwargs?.training === true;
      const fused = this.usesFusedKernels;
      const [batch, T] = x0.shape as number[];
      let x: TF.Tensor = tf.transpose(x0, [1, 0, 2]); // [T, B, F]: one transpose for the whole stack
      if (training && this.dropout > 0) x = tf.dropout(x, this.dropout, [1, batch, x0.shape[2] as number]);
      const outs = fused && cpuKernelActive() ? this.runStackCpu(x, list[1], list[2], training, needsGradient(x0)) : this.runStackLayers(x, list[1], list[2], training, fused);
      // Last step: forward direction at t = T-1; backward direction after reading everything (t = 0).
      const picked = this.returnSequences
        ? outs
        : outs.map((y, d) => tf.squeeze(tf.slice(y, [d === 0 ? T - 1 : 0, 0, 0], [1, batch, this.units]), [0]));
      const axis = this.returnSequences ? 2 : 1;
      let merged: TF.Tensor;
      if (picked.length === 1) merged = picked[0];
      else if (this.mergeMode === 'concat') merged = tf.concat(picked, axis);
      else if (this.mergeMode === 'sum') merged = tf.add(picked[0], picked[1]);
      else if (this.mergeMode === 'mul') merged = tf.mul(picked[0], picked[1]);
      else merged = tf.mul(tf.add(picked[0], picked[1]), 0.5);
      return this.returnSequences ? tf.transpose(merged, [1, 0, 2]) : merged;
    });
  }

  override getConfig(): TF.serialization.ConfigDict {
    // the layer's own arguments; batchInputShape and trainable come from the base class' config
    const { batchInputShape: _shape, trainable: _trainable, ...own } = this.args();
    return { ...super.getConfig(), ...own };
  }

  /** The constructor arguments this layer was built from (for copies, e.g. `bidirectional()`). */
  args(): FusedRecurrentArgs {
    return {
      units: this.units,
      numLayers: this.numLayers,
      bidirectional: this.bidirectional,
      mergeMode: this.mergeMode,
      returnSequences: this.returnSequences,
      dropout: this.dropout,
      interLayerDropout: this.interLayerDropout,
      implementation: this.implementation,
      batchInputShape: (this.batchInputShape as number[] | null) ?? undefined,
      trainable: this.trainable,
    };
  }
}

/**
 * LSTM stack. Weights per layer/direction in Keras layout (kernel [F, 4H], recurrent_kernel [H, 4H],
 * bias [4H], gates i, f, c, o; see lstmKernel.ts for the PyTorch/TF conversions). The forget-gate
 * bias starts at 1 (Keras `unit_forget_bias`).
 */
export class FusedLSTM extends FusedRecurrent {
  static className = 'FusedLSTM';
  protected readonly gates = 4;
  protected readonly hasCellState = true;
  constructor(args: FusedRecurrentArgs) {
    super(args);
  }
  protected biasShape(): number[] {
    return [4 * this.units];
  }
  protected biasInit(): TF.Tensor {
    const H = this.units;
    return tf.concat([tf.zeros([H]), tf.ones([H]), tf.zeros([2 * H])]);
  }
  protected runCell(x: TF.Tensor, h0: TF.Tensor, c0: TF.Tensor | null, w: Weights, fused: boolean): TF.Tensor {
    const f = fused ? lstmFused : lstmGeneric;
    return f(x, h0, c0 as TF.Tensor, w.kernel.read(), w.recurrentKernel.read(), w.bias.read());
  }
}

/**
 * GRU stack, reset-after form (PyTorch `nn.GRU`, Keras `GRU(reset_after=True)`). Weights per
 * layer/direction: kernel [F, 3H], recurrent_kernel [H, 3H], bias [2, 3H] (input row, recurrent row),
 * gates z, r, h; see gruKernel.ts for the PyTorch conversion.
 */
export class FusedGRU extends FusedRecurrent {
  static className = 'FusedGRU';
  protected readonly gates = 3;
  protected readonly hasCellState = false;
  constructor(args: FusedRecurrentArgs) {
    super(args);
  }
  protected biasShape(): number[] {
    return [2, 3 * this.units];
  }
  protected biasInit(): TF.Tensor {
    return tf.zeros([2, 3 * this.units]);
  }
  protected runCell(x: TF.Tensor, h0: TF.Tensor, _c0: TF.Tensor | null, w: Weights, fused: boolean): TF.Tensor {
    const f = fused ? gruFused : gruGeneric;
    return f(x, h0, w.kernel.read(), w.recurrentKernel.read(), w.bias.read());
  }
  /** Fused on TF ops: both directions share every op of the recurrence (batched matmuls over [2, B, ·]). */
  protected override runLayer(xs: TF.Tensor[], h0s: TF.Tensor[], c0s: TF.Tensor[] | null, ws: Weights[], fused: boolean): TF.Tensor[] {
    if (!fused) return super.runLayer(xs, h0s, c0s, ws, fused);
    return gruFusedDirections(xs, h0s, ws.map((w) => ({ kernel: w.kernel.read(), recurrentKernel: w.recurrentKernel.read(), bias: w.bias.read() })));
  }
}

tf.serialization.registerClass(FusedLSTM as never);
tf.serialization.registerClass(FusedGRU as never);
