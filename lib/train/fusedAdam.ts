/**
 * Adam in one native call per variable (native/rnn.cc `adamStep`), for tfjs-node on the CPU: the
 * same update as `tf.train.adam`, PyTorch's arithmetic, without tfjs' ~10 eager TF ops per variable
 * and step (a visible share of a batch on the recurrent models: `npm run bench:rnn`); this one copies each variable out, updates it
 * and its moments in place on every core, and assigns it back.
 *
 *   w ← w − lr·m̂ / (√v̂ + ε),  m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ),  m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²
 *
 * `makeOptimizer` (optimizers.ts) picks it where the CPU kernel runs (cpuKernel.ts), `tf.train.adam`
 * elsewhere. The moments live in JS memory, one pair of Float32Arrays per variable; `getWeights` /
 * `setWeights` save and restore them with the step count, as tfjs' Adam does.
 *
 * On the native TensorFlow backends the step is TensorFlow's own `ResourceApplyAdam` instead (what
 * Keras runs): the moments live in TensorFlow resource variables, the weight is handed over without a
 * copy (AssignVariableOp aliases it; the op copies it once on write, as tfjs still holds it) and read back
 * the same way; no weight or gradient crosses into JavaScript. Its ε is TensorFlow's ε̂ = ε·√(1 − β₂ᵗ),
 * which makes w ← w − lr·√(1−β₂ᵗ)/(1−β₁ᵗ)·m/(√v + ε̂) the same update as above.
 *
 * Where the addon's TF ops are registered (native CPU backend: lib/layers/nativeKernels.ts), the step is
 * one `GenreLabAdam` call (native/tfops.cc) for all variables: ApplyAdam's arithmetic into new tensors
 * (weights may share their buffer with clones, so nothing is written in place); the moments are raw TF
 * handles owned by the optimizer. Instead of ~3 TF calls and a few tensors per variable, one call a batch.
 */
import { tf, type TF } from '../backend';
import { kernel } from '../layers/cpuKernel';
import { RawOps, nativeOpsAvailable } from '../layers/tfRaw';
import { nativeTfOpsStatus } from '../layers/nativeKernels';

/** One variable's moments; slot i serves the i-th gradient of every update, as in tfjs' Adam. */
interface Slots {
  name: string;
  m: Float32Array;
  v: Float32Array;
}

/** TensorFlow's anonymous resource name: the variable lives as long as its handle (ResourceHandle::ANONYMOUS_NAME). */
const ANONYMOUS = 'cd2c89b7-88b7-44c8-ad83-06c2a9158347';

/** One variable's state on the native backend: resource handles of the weight and its two moments. */
interface TfSlots {
  name: string;
  size: number;
  /** The moments' shape: the variable's, or flat after setWeights until the first step reshapes them. */
  shape: number[];
  w: number;
  m: number;
  v: number;
}

/** One variable's moments on the addon path: TF handle ids, replaced (not written) on every step. */
interface AddonSlots {
  name: string;
  size: number;
  m: number;
  v: number;
}

type Named = { name: string; tensor: TF.Tensor };

export class FusedAdam extends (tf.Optimizer as unknown as { new (): TF.Optimizer }) {
  static className = 'FusedAdam';
  /** tfjs' Optimizer answers `instanceof` by duck typing (any optimizer would pass): use the prototype chain. */
  static [Symbol.hasInstance](x: unknown): boolean {
    return typeof x === 'object' && x !== null && FusedAdam.prototype.isPrototypeOf(x);
  }
  private step = 0;
  /**
   * By position, not by variable name, like tfjs' Adam: restored state (setWeights) then applies to
   * a reloaded model whose variables got new names.
   */
  private slots: Slots[] = [];
  /** The same state on the native TensorFlow backends (ResourceApplyAdam). */
  private tfSlots: TfSlots[] = [];
  /** The same state on the addon path (GenreLabAdam). */
  private addonSlots: AddonSlots[] = [];
  private raw: RawOps | null = null;

  constructor(
    public learningRate: number,
    public beta1 = 0.9,
    public beta2 = 0.999,
    public epsilon = 1e-7,
  ) {
    super();
    if (!(learningRate > 0)) throw new Error(`FusedAdam: learningRate must be > 0, got ${learningRate}`);
    if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) throw new Error(`FusedAdam: beta1 and beta2 must be in [0, 1), got ${beta1}, ${beta2}`);
  }

  /** Whether the step runs as TensorFlow's ResourceApplyAdam (native backends) rather than native/rnn.cc's adamStep. */
  static usesTensorFlow(): boolean {
    return nativeOpsAvailable();
  }

  /** Which implementation runs the step: 'addon' (one GenreLabAdam call), 'tensorflow' (ResourceApplyAdam per variable) or 'kernel' (adamStep in JS memory). */
  static path(): 'addon' | 'tensorflow' | 'kernel' {
    if (!nativeOpsAvailable()) return 'kernel';
    return nativeTfOpsStatus().active ? 'addon' : 'tensorflow';
  }

  override applyGradients(variableGradients: TF.NamedTensorMap | Named[]): void {
    const list: Named[] = Array.isArray(variableGradients) ? variableGradients : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
    const path = FusedAdam.path();
    if (path === 'addon') return this.applyAddon(list);
    if (path === 'tensorflow') return this.applyTensorFlow(list);
    const k = kernel();
    const variables = tf.engine().registeredVariables;
    this.step++;
    list.forEach(({ name, tensor: grad }, i) => {
      if (grad == null) return;
      const variable = variables[name];
      if (!variable) throw new Error(`FusedAdam: no variable named '${name}'`);
      if (variable.dtype !== 'float32') throw new Error(`FusedAdam: variable '${name}' is ${variable.dtype}; only float32 is supported`);
      const s = (this.slots[i] ??= { name, m: new Float32Array(variable.size), v: new Float32Array(variable.size) });
      if (s.m.length !== variable.size) throw new Error(`FusedAdam: gradient ${i} ('${name}', ${variable.size} values) does not match the state kept for '${s.name}' (${s.m.length})`);
      // dataSync may hand back a tensor's own JS-side values: copy before updating in place.
      const w = (variable.dataSync() as Float32Array).slice();
      k.adamStep(w, grad.dataSync() as Float32Array, s.m, s.v, this.learningRate, this.beta1, this.beta2, this.epsilon, this.step);
      tf.tidy(() => variable.assign(tf.tensor(w, variable.shape, 'float32')));
    });
  }

  private rawOps(): RawOps {
    return (this.raw ??= new RawOps());
  }

  /** A float32 resource variable of `shape`, holding `init` (a handle id, shared until written). */
  private resource(shape: number[], init: number): number {
    const r = this.rawOps();
    const dtype = { name: 'dtype', type: r.b.TF_ATTR_TYPE, value: r.b.TF_FLOAT };
    const h = r.run1('VarHandleOp', [r.str('container', ''), r.str('shared_name', ANONYMOUS), dtype, { name: 'shape', type: (r.b as unknown as { TF_ATTR_SHAPE: number }).TF_ATTR_SHAPE, value: shape }], []);
    this.assignResource(h, init);
    return h;
  }

  private assignResource(h: number, value: number): void {
    const r = this.rawOps();
    r.b.executeOp('AssignVariableOp', [{ name: 'dtype', type: r.b.TF_ATTR_TYPE, value: r.b.TF_FLOAT }, r.bool('validate_shape', false)], [h, value], 0);
  }

  /** The current value of a resource variable as a new tfjs tensor (shares the buffer until either is written). */
  private readResource(h: number, shape: number[]): TF.Tensor {
    const r = this.rawOps();
    const [out] = r.run('ReadVariableOp', [{ name: 'dtype', type: r.b.TF_ATTR_TYPE, value: r.b.TF_FLOAT }], [h], 1);
    return r.toTensor({ id: out.id, shape });
  }

  private tfSlot(i: number, name: string, variable: TF.Variable): TfSlots {
    let s = this.tfSlots[i];
    if (!s) {
      const zeros = tf.zeros(variable.shape);
      const [z] = this.rawOps().ids([zeros, variable]);
      s = this.tfSlots[i] = { name, size: variable.size, shape: variable.shape, w: this.resource(variable.shape, z), m: this.resource(variable.shape, z), v: this.resource(variable.shape, z) };
      zeros.dispose();
    }
    if (s.size !== variable.size) throw new Error(`FusedAdam: gradient ${i} ('${name}', ${variable.size} values) does not match the state kept for '${s.name}' (${s.size})`);
    if (s.shape.join() !== variable.shape.join()) {
      for (const h of [s.m, s.v])
        tf.tidy(() => {
          const moment = tf.reshape(this.readResource(h, s!.shape), variable.shape);
          this.assignResource(h, this.rawOps().ids([moment])[0]);
        });
      s.shape = variable.shape;
    }
    return s;
  }

  private applyAddon(list: Named[]): void {
    const variables = tf.engine().registeredVariables;
    const pairs: { index: number; variable: TF.Variable; grad: TF.Tensor }[] = [];
    list.forEach(({ name, tensor: grad }, i) => {
      if (grad == null) return;
      const variable = variables[name];
      if (!variable) throw new Error(`FusedAdam: no variable named '${name}'`);
      pairs.push({ index: i, variable, grad });
    });
    const gradIds = this.rawOps().ids(pairs.map((p) => p.grad));
    this.applyHandles(
      pairs.map((p) => p.variable),
      gradIds,
      pairs.map((p) => p.index),
    );
  }

  /**
   * One `GenreLabAdam` step (the addon path, `FusedAdam.path() === 'addon'`) from gradients given as raw
   * TF handle ids (not taken over: the caller frees them), for lib/train/rawStep.ts. `slotIndex[k]` is
   * the state slot of `variables[k]` (default k: the k-th gradient of every update, as in `applyGradients`).
   */
  applyHandles(variables: TF.Variable[], gradIds: number[], slotIndex: number[] = variables.map((_, k) => k)): void {
    if (FusedAdam.path() !== 'addon') throw new Error(`FusedAdam.applyHandles: needs the addon's TF ops (the step runs on the '${FusedAdam.path()}' path)`);
    const r = this.rawOps();
    const t = this.step + 1;
    const slots: AddonSlots[] = variables.map((variable, k) => {
      const i = slotIndex[k];
      if (variable.dtype !== 'float32') throw new Error(`FusedAdam: variable '${variable.name}' is ${variable.dtype}; only float32 is supported`);
      let s = this.addonSlots[i];
      if (!s) {
        const zeros = () => r.b.createTensor([variable.size], r.b.TF_FLOAT, new Float32Array(variable.size));
        s = this.addonSlots[i] = { name: variable.name, size: variable.size, m: zeros(), v: zeros() };
      }
      if (s.size !== variable.size) throw new Error(`FusedAdam: gradient ${i} ('${variable.name}', ${variable.size} values) does not match the state kept for '${s.name}' (${s.size})`);
      return s;
    });
    const n = variables.length;
    if (!n) {
      this.step = t;
      return;
    }
    const hyper = r.b.createTensor([6], r.b.TF_FLOAT, Float32Array.of(Math.pow(this.beta1, t), Math.pow(this.beta2, t), this.learningRate, this.beta1, this.beta2, this.epsilon * Math.sqrt(1 - Math.pow(this.beta2, t))));
    let out: { id: number; shape: number[] }[];
    try {
      out = r.run('GenreLabAdam', [r.int('N', n)], [...r.ids(variables), ...gradIds, ...slots.map((s) => s.m), ...slots.map((s) => s.v), hyper], 3 * n);
    } finally {
      r.free(hyper);
    }
    slots.forEach((s, k) => {
      r.free(s.m, s.v);
      s.m = out[n + k].id;
      s.v = out[2 * n + k].id;
    });
    variables.forEach((variable, k) => {
      const w = r.toTensor(out[k]);
      variable.assign(w);
      w.dispose();
    });
    this.step = t;
  }

  private applyTensorFlow(list: Named[]): void {
    const r = this.rawOps();
    const variables = tf.engine().registeredVariables;
    const t = this.step + 1;
    const scalar = (x: number) => r.b.createTensor([], r.b.TF_FLOAT, Float32Array.of(x));
    const scalars = [Math.pow(this.beta1, t), Math.pow(this.beta2, t), this.learningRate, this.beta1, this.beta2, this.epsilon * Math.sqrt(1 - Math.pow(this.beta2, t))].map(scalar);
    try {
      list.forEach(({ name, tensor: grad }, i) => {
        if (grad == null) return;
        const variable = variables[name];
        if (!variable) throw new Error(`FusedAdam: no variable named '${name}'`);
        if (variable.dtype !== 'float32') throw new Error(`FusedAdam: variable '${name}' is ${variable.dtype}; only float32 is supported`);
        const s = this.tfSlot(i, name, variable);
        const [wi, gi] = r.ids([variable, grad]);
        this.assignResource(s.w, wi);
        r.b.executeOp('ResourceApplyAdam', [r.tFloat, r.bool('use_locking', false), r.bool('use_nesterov', false)], [s.w, s.m, s.v, ...scalars, gi], 0);
        tf.tidy(() => variable.assign(this.readResource(s.w, variable.shape)));
      });
      this.step = t;
    } finally {
      r.free(...scalars);
    }
  }

  override async getWeights(): Promise<Named[]> {
    const out: Named[] = [{ name: 'iter', tensor: tf.scalar(this.step, 'int32') }];
    if (FusedAdam.path() === 'addon') {
      const r = this.rawOps();
      const read = (h: number, size: number) => tf.tidy(() => tf.reshape(r.toTensor(r.run('Identity', [r.tFloat], [h])[0]), [size]));
      for (const s of this.addonSlots) out.push({ name: `${s.name}/m`, tensor: read(s.m, s.size) }, { name: `${s.name}/v`, tensor: read(s.v, s.size) });
      return out;
    }
    if (FusedAdam.usesTensorFlow()) {
      for (const s of this.tfSlots) out.push({ name: `${s.name}/m`, tensor: tf.tidy(() => tf.reshape(this.readResource(s.m, s.shape), [s.size])) }, { name: `${s.name}/v`, tensor: tf.tidy(() => tf.reshape(this.readResource(s.v, s.shape), [s.size])) });
      return out;
    }
    for (const s of this.slots) out.push({ name: `${s.name}/m`, tensor: tf.tensor(s.m.slice()) }, { name: `${s.name}/v`, tensor: tf.tensor(s.v.slice()) });
    return out;
  }

  override async setWeights(weights: Named[]): Promise<void> {
    const slots: Slots[] = [];
    let step = this.step;
    for (const { name, tensor } of weights) {
      if (name === 'iter') {
        step = tensor.dataSync()[0];
        continue;
      }
      const [, base, which] = /^(.*)\/([mv])$/.exec(name) ?? [];
      if (!base) throw new Error(`FusedAdam.setWeights: unexpected weight '${name}'`);
      if (which === 'm') slots.push({ name: base, m: Float32Array.from(tensor.dataSync()), v: new Float32Array(tensor.size) });
      else if (slots.length && slots[slots.length - 1].name === base) slots[slots.length - 1].v = Float32Array.from(tensor.dataSync());
      else throw new Error(`FusedAdam.setWeights: '${name}' does not follow '${base}/m'`);
    }
    if (FusedAdam.path() === 'addon') {
      this.disposeResources();
      const r = this.rawOps();
      this.addonSlots = slots.map((s) => ({ name: s.name, size: s.m.length, m: r.b.createTensor([s.m.length], r.b.TF_FLOAT, s.m), v: r.b.createTensor([s.m.length], r.b.TF_FLOAT, s.v) }));
    } else if (FusedAdam.usesTensorFlow()) {
      this.disposeResources();
      this.tfSlots = slots.map((s) => {
        const [m, v] = [tf.tensor(s.m), tf.tensor(s.v)];
        const [mi, vi] = this.rawOps().ids([m, v]);
        const slot = { name: s.name, size: s.m.length, shape: [s.m.length], w: this.resource([s.m.length], mi), m: this.resource([s.m.length], mi), v: this.resource([s.m.length], vi) };
        tf.dispose([m, v]);
        return slot;
      });
    } else this.slots = slots;
    this.step = step;
  }

  private disposeResources(): void {
    if (this.raw) for (const s of this.tfSlots) this.raw.free(s.w, s.m, s.v);
    if (this.raw) for (const s of this.addonSlots) this.raw.free(s.m, s.v);
    this.tfSlots = [];
    this.addonSlots = [];
  }

  override dispose(): void {
    this.slots = [];
    this.disposeResources();
    super.dispose();
  }

  override getConfig(): TF.serialization.ConfigDict {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }

  static fromConfig<T extends TF.serialization.Serializable>(cls: TF.serialization.SerializableConstructor<T>, config: TF.serialization.ConfigDict): T {
    return new cls(config.learningRate, config.beta1, config.beta2, config.epsilon);
  }
}

tf.serialization.registerClass(FusedAdam as never);
