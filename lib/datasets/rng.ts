/**
 * Seeded pseudo-random numbers for everything in lib/datasets that must be reproducible: the
 * generated audio and every split. Math.random() is never used here.
 *
 * The generator is lib/random's mulberry32. Seeds are derived from strings with FNV-1a so each track / split gets an independent stream:
 * rendering track 7 never depends on whether track 6 was rendered.
 */
import { mulberry32 } from '../random';

/** FNV-1a 32-bit hash of a string (offset basis 2166136261, prime 16777619). */
export function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

/** A seeded generator: `next()` is uniform in [0, 1). */
export class Rng {
  /** lib/random's mulberry32, seeded with the hash of the parts. */
  private readonly draw: () => number;

  /** `seed` is a number or any string/number parts, hashed together: `new Rng(42, 'blues', 3)`. */
  constructor(...seed: Array<number | string>) {
    this.draw = mulberry32(hashString(seed.map(String).join('\u0001')));
  }

  /** Uniform in [0, 1) (mulberry32). */
  next(): number {
    return this.draw();
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [lo, hi] (both inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (!items.length) throw new Error('Rng.pick: empty list');
    return items[Math.floor(this.next() * items.length)];
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Fisher-Yates shuffle of a copy. */
  shuffle<T>(items: readonly T[]): T[] {
    const a = items.slice();
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  }
}
