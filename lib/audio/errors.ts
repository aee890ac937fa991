/**
 * The one error type of lib/audio: every failure to read an audio file names the file and says
 * what is wrong with it, so a dataset scan can report "jazz.00054.wav: truncated WAV (...)" and
 * skip that file instead of dying on a stack trace from inside a decoder.
 */
import * as path from 'path';

export type AudioErrorReason = 'missing' | 'empty' | 'truncated' | 'not-audio' | 'unsupported' | 'decode';

export class AudioError extends Error {
  /** The path as the caller gave it. */
  readonly file: string;
  readonly reason: AudioErrorReason;

  constructor(file: string, reason: AudioErrorReason, detail: string) {
    super(`${path.basename(file)}: ${detail}`);
    this.name = 'AudioError';
    this.file = file;
    this.reason = reason;
  }
}
