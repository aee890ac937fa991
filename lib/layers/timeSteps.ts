import { tf, type TF } from '../backend';

/**
 * `tf.unstack(x, 0)` for a time-major [T, B, D] tensor, returning T tensors [B, D]. tfjs' Unpack
 * gradient breaks when T = 1 (its tape hands the single dy over unwrapped, and `stack` rejects it),
 * so a one-step sequence is reshaped instead.
 */
export function unstackTime(x: TF.Tensor): TF.Tensor2D[] {
  if (x.shape[0] === 1) return [tf.reshape(x, x.shape.slice(1) as [number, number]) as TF.Tensor2D];
  return tf.unstack(x, 0) as TF.Tensor2D[];
}

/** `t.shape` as a plain number[] after checking the rank (tfjs types the generic shape as a union). */
export function dims(t: TF.Tensor, rank: number, what: string): number[] {
  if (t.rank !== rank) throw new Error(`lib/layers: ${what} must have rank ${rank}, got shape [${t.shape.join(', ')}]`);
  return t.shape as number[];
}
