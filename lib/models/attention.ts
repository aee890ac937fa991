/**
 * The Transformer encoder's own layers. tfjs-layers 4.22 exports no MultiHeadAttention and no
 * positional encoding, so these follow the TensorFlow tutorial that seed 002's code copies
 * (tensorflow/docs site/en/tutorials/text/transformer.ipynb: `MultiHeadAttention`,
 * `positional_encoding`, `Encoder.call`).
 *
 * Both are registered with `tf.serialization` so a saved model (`model.save('file://…')`) reloads
 * with `tf.loadLayersModel` once this module has been imported.
 */
import { tf, type TF } from '../backend';
import { attentionCpuActive, multiHeadAttentionCpu, scaledDotProductAttention } from '../layers/attentionKernel';

type Shape = (number | null)[];

function firstTensor(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}

function firstShape(inputShape: Shape | Shape[]): Shape {
  return Array.isArray(inputShape[0]) ? (inputShape[0] as Shape) : (inputShape as Shape);
}

/**
 * Sinusoidal position table [maxLength, dModel]: angle = pos / 10000^(2·⌊i/2⌋/dModel), sin on
 * even i, cos on odd i (Vaswani et al. 2017, §3.5; the tutorial's `positional_encoding`).
 */
export function positionalEncoding(maxLength: number, dModel: number): Float32Array {
  const pe = new Float32Array(maxLength * dModel);
  for (let pos = 0; pos < maxLength; pos++)
    for (let i = 0; i < dModel; i++) {
      const angle = pos / Math.pow(10000, (2 * Math.floor(i / 2)) / dModel);
      pe[pos * dModel + i] = i % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  return pe;
}

export interface PositionalEncodingConfig {
  /** Longest sequence accepted (seed 002: `maximum_position_encoding=2048`). */
  maxLength?: number;
  /** Multiply the input by √dModel first, as the tutorial's `Encoder.call` does (default true). */
  scale?: boolean;
  name?: string;
}

/** [batch, time, dModel] → x·√dModel + PE[:time]. No weights. */
export class SinusoidalPositionalEncoding extends tf.layers.Layer {
  static className = 'SinusoidalPositionalEncoding';
  readonly maxLength: number;
  readonly scale: boolean;
  private table: TF.Tensor2D | null = null;

  constructor(cfg: PositionalEncodingConfig = {}) {
    super({ name: cfg.name });
    this.maxLength = cfg.maxLength ?? 2048;
    this.scale = cfg.scale ?? true;
  }

  build(inputShape: Shape | Shape[]): void {
    const d = firstShape(inputShape).at(-1);
    if (!d) throw new Error(`SinusoidalPositionalEncoding: the last input axis must be known, got ${JSON.stringify(inputShape)}`);
    this.table = tf.keep(tf.tensor2d(positionalEncoding(this.maxLength, d), [this.maxLength, d]));
    this.built = true;
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return firstShape(inputShape);
  }

  call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
    return tf.tidy(() => {
      const x = firstTensor(inputs);
      const [, time, d] = x.shape;
      if (time > this.maxLength) throw new Error(`SinusoidalPositionalEncoding: sequence of ${time} steps is longer than maxLength ${this.maxLength}`);
      const pe = tf.slice(this.table!, [0, 0], [time, d]);
      const scaled = this.scale ? tf.mul(x, Math.sqrt(d)) : x;
      return tf.add(scaled, pe);
    });
  }

  getConfig(): TF.serialization.ConfigDict {
    return { ...super.getConfig(), maxLength: this.maxLength, scale: this.scale };
  }
}

export interface MultiHeadSelfAttentionConfig {
  numHeads: number;
  name?: string;
}

/**
 * Multi-head self-attention over [batch, time, dModel] → [batch, time, dModel]: four dModel×dModel
 * projections with bias (query, key, value, output; the tutorial's wq, wk, wv, dense), heads of
 * depth dModel/numHeads, softmax(QKᵀ/√depth)·V. Parameters: 4·(dModel² + dModel).
 */
export class MultiHeadSelfAttention extends tf.layers.Layer {
  static className = 'MultiHeadSelfAttention';
  readonly numHeads: number;
  private w: Record<'q' | 'k' | 'v' | 'o', { kernel: TF.LayerVariable; bias: TF.LayerVariable }> | null = null;

  constructor(cfg: MultiHeadSelfAttentionConfig) {
    super({ name: cfg.name });
    if (!(cfg.numHeads >= 1)) throw new Error(`MultiHeadSelfAttention: numHeads must be ≥ 1, got ${cfg.numHeads}`);
    this.numHeads = cfg.numHeads;
  }

  build(inputShape: Shape | Shape[]): void {
    const d = firstShape(inputShape).at(-1);
    if (!d) throw new Error(`MultiHeadSelfAttention: the last input axis must be known, got ${JSON.stringify(inputShape)}`);
    if (d % this.numHeads !== 0) throw new Error(`MultiHeadSelfAttention: dModel ${d} is not divisible by numHeads ${this.numHeads}`);
    const make = (p: string) => ({
      // Keras Dense defaults: glorot-uniform kernel, zero bias.
      kernel: this.addWeight(`${p}_kernel`, [d, d], 'float32', tf.initializers.glorotUniform({})),
      bias: this.addWeight(`${p}_bias`, [d], 'float32', tf.initializers.zeros()),
    });
    this.w = { q: make('query'), k: make('key'), v: make('value'), o: make('output') };
    this.built = true;
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return firstShape(inputShape);
  }

  call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
    return tf.tidy(() => {
      const x = firstTensor(inputs) as TF.Tensor3D;
      const [b, t, d] = x.shape;
      const w = this.w!;
      const flat = tf.reshape(x, [b * t, d]) as TF.Tensor2D;
      const shape = { batch: b, time: t, heads: this.numHeads };
      if (attentionCpuActive()) {
        // the whole block as one op on the CPU kernel (lib/layers/attentionKernel.ts)
        const dense = (p: { kernel: TF.LayerVariable; bias: TF.LayerVariable }) => ({ kernel: p.kernel.read(), bias: p.bias.read() });
        return tf.reshape(multiHeadAttentionCpu(flat, { q: dense(w.q), k: dense(w.k), v: dense(w.v), o: dense(w.o) }, shape), [b, t, d]);
      }
      const project = (p: { kernel: TF.LayerVariable; bias: TF.LayerVariable }) =>
        tf.add(tf.matMul(flat, p.kernel.read() as TF.Tensor2D), p.bias.read());
      // softmax(Q·Kᵀ/√depth)·V per head, heads merged back to [b·t, d]
      const merged = scaledDotProductAttention(project(w.q), project(w.k), project(w.v), shape);
      const out = tf.add(tf.matMul(merged, w.o.kernel.read() as TF.Tensor2D), w.o.bias.read());
      return tf.reshape(out, [b, t, d]);
    });
  }

  getConfig(): TF.serialization.ConfigDict {
    return { ...super.getConfig(), numHeads: this.numHeads };
  }
}

tf.serialization.registerClass(SinusoidalPositionalEncoding);
tf.serialization.registerClass(MultiHeadSelfAttention);
