/**
 * The project's one pseudo-random generator, mulberry32 (Tommy Ettinger's 32-bit generator; period
 * 2^32, passes gjrand/PractRand at this size): small, fast, and enough for shuffling a few thousand
 * items, dropout seeds and audio noise. lib/train (seeded runs), lib/datasets (generated audio and
 * splits, seeded by hashed strings) and lib/models/scratch (the lectures' from-scratch network) all
 * draw from it. Math.random() is never the source of a number that must repeat.
 */

/** mulberry32 seeded with `seed` (taken as an unsigned 32-bit integer): uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
