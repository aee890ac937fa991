/** Cutting a signal into pieces, with the two conventions the seeds use. */

/**
 * pydub's `make_chunks(audio, chunkMs)` (seed 000 cuts GTZAN into 3000-ms chunks): ceil(lenMs /
 * chunkMs) consecutive chunks, the last one shorter. pydub works in milliseconds: the length is
 * round(1000 · n / sr) ms and a slice [a, b) ms covers samples int(a · (sr / 1000)) to
 * int(b · (sr / 1000)), both ends clipped to the length (AudioSegment.__getitem__ / frame_count),
 * so a trailing fraction of a millisecond is dropped exactly as pydub drops it.
 * Returns views (no copies), each `[samples]`.
 */
export function makeChunks(y: Float32Array, sr: number, chunkMs: number): Float32Array[] {
  if (!(chunkMs > 0)) throw new Error(`makeChunks: chunkMs must be > 0, got ${chunkMs}`);
  const lenMs = Math.round((1000 * y.length) / sr);
  const count = Math.ceil(lenMs / chunkMs);
  const frameAt = (ms: number) => Math.min(y.length, Math.floor(Math.min(ms, lenMs) * (sr / 1000)));
  const out: Float32Array[] = [];
  for (let i = 0; i < count; i++) out.push(y.subarray(frameAt(i * chunkMs), frameAt((i + 1) * chunkMs)));
  return out;
}

/**
 * Seed 003's `save_mfcc` split: `n` equal segments of floor(len / n) samples each, the remainder
 * dropped (`num_samples_per_segment = int(SAMPLES_PER_TRACK / num_segments)`). Views, not copies.
 */
export function segments(y: Float32Array, n: number): Float32Array[] {
  if (!Number.isInteger(n) || n < 1) throw new Error(`segments: n must be a positive integer, got ${n}`);
  const len = Math.floor(y.length / n);
  return Array.from({ length: n }, (_, s) => y.subarray(s * len, (s + 1) * len));
}
