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
 * `n` segments of a track's samples `y`. Views, not copies.
 * - Without `samplesPerTrack`: `n` equal segments of floor(len / n) samples each, the remainder dropped.
 * - With it, seed 003's `save_mfcc`: every segment `int(samplesPerTrack / n)` samples long
 *   (66150 for 30 s at 22050 Hz and 10 segments) from the track's start, whatever the track's real
 *   length; a segment the track cuts short is kept only if it still gives the full number of frames
 *   at `hop` (the lecture keeps an MFCC only `if len(mfcc) == ceil(samples_per_segment / hop)`;
 *   librosa's centred frames: 1 + floor(samples / hop)), otherwise dropped.
 */
export function segments(y: Float32Array, n: number, fixed?: { samplesPerTrack: number; hop: number }): Float32Array[] {
  if (!Number.isInteger(n) || n < 1) throw new Error(`segments: n must be a positive integer, got ${n}`);
  if (!fixed) {
    const len = Math.floor(y.length / n);
    return Array.from({ length: n }, (_, s) => y.subarray(s * len, (s + 1) * len));
  }
  const len = Math.floor(fixed.samplesPerTrack / n);
  const frames = Math.ceil(len / fixed.hop);
  const out: Float32Array[] = [];
  for (let s = 0; s < n; s++) {
    const seg = y.subarray(Math.min(y.length, s * len), Math.min(y.length, (s + 1) * len));
    if (1 + Math.floor(seg.length / fixed.hop) === frames) out.push(seg);
  }
  return out;
}
