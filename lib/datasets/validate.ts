import * as path from 'path';
import { AudioError } from '../audio/index';
import type { Problem, Track } from './types';

/** Turns anything thrown while reading a track into a Problem (an AudioError keeps its reason). */
export function problemOf(track: Pick<Track, 'path'>, e: unknown): Problem {
  if (e instanceof AudioError) return { file: track.path, reason: e.reason, message: e.message };
  return { file: track.path, reason: 'decode', message: `${path.basename(track.path)}: ${(e as Error)?.message ?? String(e)}` };
}
