/**
 * Seeded randomness. tfjs has no global seed: its initializers, dropout masks and random ops draw
 * their seeds from `Math.random()` when none is given (tfjs-core `ops/rand_util.js`), so running
 * model building and training inside `withSeed` makes a run repeat exactly on the same backend.
 */

import { mulberry32 } from '../random';

/** mulberry32 (lib/random.ts, the project's one generator): uniform [0, 1). */
export { mulberry32 };

/** Fisher–Yates shuffle of a copy. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const a = items.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/**
 * Runs `fn` with `Math.random` replaced by a PRNG seeded with `seed`, restoring it afterwards
 * (also when `fn` throws or its promise rejects). Everything in the process that calls
 * `Math.random` meanwhile draws from the seeded stream, which is the point: tfjs does.
 */
export function withSeed<T>(seed: number, fn: () => T): T {
  const original = Math.random;
  Math.random = mulberry32(seed);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    Math.random = original;
    throw e;
  }
  if (result instanceof Promise) return result.finally(() => (Math.random = original)) as T;
  Math.random = original;
  return result;
}
