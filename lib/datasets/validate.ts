/** Reading every track once and turning failures into reported Problems (mirdata's validate). */
import * as path from 'path';
import { AudioError } from '../audio/index';
import type { Problem, Track, Validation } from './types';

/** Turns anything thrown while reading a track into a Problem (an AudioError keeps its reason). */
export function problemOf(track: Pick<Track, 'path'>, e: unknown): Problem {
  if (e instanceof AudioError) return { file: track.path, reason: e.reason, message: e.message };
  return { file: track.path, reason: 'decode', message: `${path.basename(track.path)}: ${(e as Error)?.message ?? String(e)}` };
}

/**
 * Decodes every track once at its native rate (mirdata's validate): the readable ones, and a
 * Problem for each missing / empty / truncated / corrupt / non-audio file. Never throws for a bad file.
 */
export async function validateTracks<T extends Track>(tracks: T[], opts: { onProgress?: (done: number, total: number) => void } = {}): Promise<Validation & { ok: T[] }> {
  const ok: T[] = [];
  const problems: Problem[] = [];
  const stats: Validation['stats'] = [];
  let done = 0;
  for (const t of tracks) {
    try {
      const a = await t.audio({ sr: null, mono: true });
      if (a.y.length === 0) throw new AudioError(t.path, 'empty', 'no audio samples');
      ok.push(t);
      stats.push({ id: t.id, sr: a.sr, channels: a.channels, durationS: a.durationS });
    } catch (e) {
      problems.push(problemOf(t, e));
    }
    opts.onProgress?.(++done, tracks.length);
  }
  return { ok, problems, stats };
}
