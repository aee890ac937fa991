/**
 * Hear the clip you plot: an HTML `<audio>` element with the clip inline as a WAV `data:` URI
 * (works offline, in JupyterLab, in an exported page and in the executed copy the repository keeps).
 * The clip is cut to `maxSeconds` and resampled to `playbackRate` Hz (16-bit mono) so a notebook
 * output stays small: 5 s at 11025 Hz is ~110 kB of WAV, ~150 kB of base64.
 */
import { resample, wavBytes } from '../audio/index';
import { displayBundle } from '../plots/show';

export interface AudioPlayerOptions {
  /** Longest clip to embed, seconds (default 5). */
  maxSeconds?: number;
  /** Sample rate of the embedded WAV (default 11025 Hz; `null` keeps `sr`). */
  playbackRate?: number | null;
  /** A caption shown above the player. */
  caption?: string;
}

/** The `<audio>` element as HTML: `y` (mono floats in [-1, 1]) at `sr` Hz. */
export function audioHtml(y: Float32Array, sr: number, opts: AudioPlayerOptions = {}): string {
  const n = Math.min(y.length, Math.round((opts.maxSeconds ?? 5) * sr));
  if (n <= 0) throw new Error('audioPlayer: the clip is empty');
  let clip = y.subarray(0, n);
  const rate = opts.playbackRate === null ? sr : (opts.playbackRate ?? 11025);
  if (rate !== sr) clip = resample(clip, sr, rate);
  const b64 = Buffer.from(wavBytes(clip, rate)).toString('base64');
  const seconds = (n / sr).toFixed(1);
  const caption = opts.caption ? `<div>${opts.caption.replace(/[<>&]/g, (c) => `&#${c.charCodeAt(0)};`)} (${seconds} s)</div>` : '';
  return `${caption}<audio controls preload="none" src="data:audio/wav;base64,${b64}"></audio>`;
}

/** Displays a player for `y` in the notebook (outside a kernel: one line saying what it would play). */
export function audioPlayer(y: Float32Array, sr: number, opts: AudioPlayerOptions = {}): void {
  const seconds = Math.min(y.length / sr, opts.maxSeconds ?? 5).toFixed(1);
  displayBundle({ 'text/html': audioHtml(y, sr, opts), 'text/plain': `<audio: ${seconds} s${opts.caption ? ` of ${opts.caption}` : ''}>` });
}
