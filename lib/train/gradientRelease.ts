/**
 * Frees each op's saved activations and output gradients as soon as the backward pass is done with
 * them, instead of at its very end. tfjs' `engine.gradients` keeps every saved tensor of the forward
 * pass and every intermediate gradient until the whole backward pass returns: by the first layer of a
 * CNN, all layers' activations and all layers' gradients are alive at once (seed 004's whole-track
 * CNN: gigabytes). TensorFlow's graph and PyTorch free both as the backward pass walks past them.
 *
 * How: every tape node's gradient function is wrapped (`engine.addTapeNode`); tfjs calls it once, then
 * the returned closures once each, for the node's inputs on the path to the result, in order. After the
 * last of them, the node's saved tensors (clones kept for this node alone) and the gradients of its
 * outputs (final by then: the tape is walked in reverse order) are disposed — except the root's
 * gradient (the caller's `dy`), a tensor a closure handed back as its own result, and everything in a
 * nested (higher-order) gradient, which keeps tfjs' behaviour. Same arithmetic; only lifetimes change.
 * Backend-independent (it is tfjs' own engine). test/gradient-release.test.ts checks equal gradients,
 * no leaks, the caller's dy, higher-order gradients and the lower peak.
 */
import { tf, type TF } from '../backend';

type Closures = Record<string, () => TF.Tensor>;
interface TapeNode {
  inputs: Record<string, TF.Tensor>;
  saved?: TF.Tensor[];
  gradient?: (this: TapeNode, dys: TF.Tensor[]) => Closures;
}
interface Engine {
  addTapeNode(...args: unknown[]): void;
  gradients(...args: unknown[]): unknown;
  state: { activeTape: TapeNode[] | null };
}

let installed: { addTapeNode: Engine['addTapeNode']; gradients: Engine['gradients'] } | null = null;
/** Nesting of `engine.gradients` calls; a release happens only at depth 1. */
let depth = 0;
/** True until the first node of the current (outermost) gradient pass has been processed: the root. */
let atRoot = false;

/** Turns the early release on (default in `fit`) or off (tfjs' own lifetimes). Returns whether it is on. */
export function setEarlyGradientRelease(on: boolean): boolean {
  const engine = tf.engine() as unknown as Engine;
  if (!on) {
    if (installed) Object.assign(engine, installed);
    installed = null;
    return false;
  }
  if (installed) return true;
  const own = { addTapeNode: engine.addTapeNode, gradients: engine.gradients };
  installed = own;
  engine.gradients = function (this: Engine, ...args: unknown[]) {
    depth++;
    const wasAtRoot = atRoot;
    atRoot = true;
    try {
      return own.gradients.apply(this, args);
    } finally {
      depth--;
      atRoot = wasAtRoot;
    }
  };
  engine.addTapeNode = function (this: Engine, ...args: unknown[]) {
    own.addTapeNode.apply(this, args);
    const tape = this.state.activeTape;
    const node = tape?.[tape.length - 1];
    const gradient = node?.gradient;
    if (!node || !gradient) return;
    node.gradient = function (this: TapeNode, dys: TF.Tensor[]) {
      const closures = gradient.call(this, dys);
      const root = atRoot;
      atRoot = false;
      if (depth !== 1) return closures;
      // `this` is the pruned copy of the node tfjs walks: its inputs are the ones it will ask for.
      const wanted = Object.keys(this.inputs).filter((k) => k in closures);
      if (wanted.length === 0) return closures;
      const last = wanted[wanted.length - 1];
      const results: TF.Tensor[] = [];
      const wrapped: Closures = { ...closures };
      for (const k of wanted)
        wrapped[k] = () => {
          const dx = closures[k]();
          results.push(dx);
          if (k === last) {
            const keep = new Set(results);
            for (const t of node.saved ?? []) if (!keep.has(t)) t.dispose();
            if (!root) for (const t of dys) if (t && !keep.has(t)) t.dispose();
          }
          return dx;
        };
      return wrapped;
    };
  };
  return true;
}
