/**
 * Frees the gradient tape's tensors as the backward pass goes, instead of at its end.
 *
 * tfjs-core 4.22's `engine.gradients` walks the tape backward and keeps every gradient it computes
 * (each node's output gradients, `dys`) and every tensor a node saved for its backward pass until
 * the whole backward pass has finished: the peak holds all forward activations the tape saved plus
 * a gradient for nearly every intermediate tensor of the step. Once a node's input gradients have
 * been computed, neither its output gradients nor its saved tensors are read again (every consumer
 * of an output comes later on the tape, so it was processed before; a saved tensor is a clone only
 * that node holds). So here, when the backward pass moves on to the next node, the previous node's
 * output gradients and saved tensors are disposed. The peak becomes the saved activations not yet
 * reached plus the few gradients in flight.
 *
 * Not touched: higher-order gradients (the engine records the backward pass on an outer tape when
 * `gradientDepth` > 0: nothing is freed then), the `dy` a caller passes in, and any tensor a gradient
 * function hands on as an input gradient (it may be the same object as its `dy` or a saved tensor);
 * a tensor handed on twice is never freed here (the engine's own cleanup at the end still is).
 * Same gradients, same values: only when tensors are disposed changes. Every backend.
 * `GENRE_LAB_TAPE_RELEASE=0` leaves tfjs' engine as it is (for before/after measurements).
 */
import { tf, type TF } from '../backend';

type Tensor = TF.Tensor;
type InputGradients = Record<string, () => Tensor>;
interface TapeNode {
  saved?: Tensor[];
  gradient?: (dys: (Tensor | null)[]) => InputGradients;
}
interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  addTapeNode(...args: unknown[]): void;
  gradients(f: () => Tensor, xs: Tensor[], dy?: Tensor, allowNoGradients?: boolean): { value: Tensor; grads: Tensor[] };
}

/** One `engine.gradients` call in progress. */
interface Pass {
  /** Never disposed here: the caller's dy, tensors handed on more than once. */
  keep: Set<Tensor>;
  /** Every tensor a gradient function handed on in this pass. */
  handedOn: Set<Tensor>;
  /** The node processed last: released when the next one starts. */
  last: { node: TapeNode; dys: (Tensor | null)[]; handedOn: Set<Tensor> } | null;
}

const passes: Pass[] = [];
let installed = false;
let enabled = true;
const stats = { released: 0 };

/** Tensors disposed early so far (for tests). */
export function tapeReleaseStats(): Readonly<typeof stats> {
  return { ...stats };
}

function release(p: Pass): void {
  const last = p.last;
  if (!last) return;
  p.last = null;
  const free = (t: Tensor | null) => {
    if (!t || t.isDisposed || p.keep.has(t) || last.handedOn.has(t)) return;
    t.dispose();
    stats.released++;
  };
  last.dys.forEach(free);
  (last.node.saved ?? []).forEach(free);
}

/** Turns the early release off (tfjs' own timing: everything freed at the end) or on again once installed; for tests and measurements. */
export function setTapeRelease(on: boolean): void {
  enabled = on;
}

/** Installs the early release on tfjs' engine (once; every backend). Returns whether it is active. */
export function installTapeRelease(): boolean {
  if (installed) return true;
  if (process.env.GENRE_LAB_TAPE_RELEASE === '0') return false;
  const engine = tf.engine() as unknown as EngineInternals;
  const gradients = engine.gradients;
  const addTapeNode = engine.addTapeNode;
  if (typeof gradients !== 'function' || typeof addTapeNode !== 'function' || !('gradientDepth' in engine.state)) return false;
  engine.gradients = function (this: EngineInternals, f, xs, dy, allowNoGradients) {
    passes.push({ keep: new Set(dy ? [dy] : []), handedOn: new Set(), last: null });
    try {
      return gradients.call(this, f, xs, dy, allowNoGradients);
    } finally {
      passes.pop();
    }
  };
  engine.addTapeNode = function (this: EngineInternals, ...args: unknown[]) {
    addTapeNode.apply(this, args);
    const tape = this.state.activeTape;
    const node = tape?.[tape.length - 1];
    const gradient = node?.gradient;
    if (!node || !gradient) return;
    node.gradient = (dys) => {
      const p = passes[passes.length - 1];
      if (!p || !enabled || this.state.gradientDepth > 0) return gradient(dys);
      release(p);
      const grads = gradient(dys);
      const handedOn = new Set<Tensor>();
      const wrapped: InputGradients = {};
      for (const k of Object.keys(grads))
        wrapped[k] = () => {
          const t = grads[k]();
          if (p.handedOn.has(t)) p.keep.add(t);
          p.handedOn.add(t);
          handedOn.add(t);
          return t;
        };
      p.last = { node, dys, handedOn };
      return wrapped;
    };
  };
  installed = true;
  return true;
}
