/**
 * Adam in one native call per variable (native/rnn.cc `adamStep`), for tfjs-node on the CPU: the
 * same update as `tf.train.adam`, PyTorch's arithmetic, without tfjs' ~10 eager TF ops per variable
 * and step. Measured on the bench:rnn models, the optimizer step took ~24 ms of a 420 ms batch with
 * `tf.train.adam` on 3×LSTM(256) (1.4 M parameters); this one copies each variable out, updates it
 * and its moments in place on every core, and assigns it back.
 *
 *   w ← w − lr·m̂ / (√v̂ + ε),  m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ),  m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²
 *
 * `makeOptimizer` (optimizers.ts) picks it where the CPU kernel runs (cpuKernel.ts), `tf.train.adam`
 * elsewhere. The moments live in JS memory, one pair of Float32Arrays per variable; `getWeights` /
 * `setWeights` save and restore them with the step count, as tfjs' Adam does.
 */
import { tf, type TF } from '../backend';
import { kernel } from '../layers/cpuKernel';

/** One variable's moments; slot i serves the i-th gradient of every update, as in tfjs' Adam. */
interface Slots {
  name: string;
  m: Float32Array;
  v: Float32Array;
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

  override applyGradients(variableGradients: TF.NamedTensorMap | Named[]): void {
    const list: Named[] = Array.isArray(variableGradients) ? variableGradients : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
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

  override async getWeights(): Promise<Named[]> {
    const out: Named[] = [{ name: 'iter', tensor: tf.scalar(this.step, 'int32') }];
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
    this.slots = slots;
    this.step = step;
  }

  override dispose(): void {
    this.slots = [];
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
