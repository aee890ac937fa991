/**
 * lib/audio: file → samples, like `librosa.load` (librosa.core.audio).
 *
 *   const { y, sr } = await loadAudio('jazz.00000.wav');          // mono, 22050 Hz, [samples]
 *   const { y } = await loadAudio('000002.mp3', { sr: 16000 });   // FMA at 16 kHz (seed 002)
 *
 * Formats are recognised by content, not extension: WAV (RIFF/RIFX/RF64, 8/16/24/32-bit PCM,
 * 32/64-bit float, any channel count) and MP3. Everything else is an AudioError naming the file.
 */
import * as fs from 'fs';
import { AudioError } from './errors';
import { decodeWav, looksLikeWav, type Decoded } from './wav';
import { decodeMp3, looksLikeMp3 } from './mp3';
import { resample } from './resample';

export { AudioError, type AudioErrorReason } from './errors';
export { decodeWav, writeWav, wavBytes, type Decoded } from './wav';
export { decodeMp3 } from './mp3';
export { resample, resampledLength, RESAMPLE_ZERO_CROSSINGS } from './resample';
export { makeChunks, segments } from './chunks';

export interface LoadOptions {
  /** Target sample rate; default 22050 (librosa's); `null` keeps the file's own rate. */
  sr?: number | null;
  /** Average the channels into one (default true, like librosa). */
  mono?: boolean;
  /** Start reading this many seconds in (int(offset · srNative) frames, as librosa/soundfile). */
  offset?: number;
  /** Read at most this many seconds (int(duration · srNative) frames). */
  duration?: number;
}

export interface Loaded {
  /** `[samples]` when mono; `[channels, samples]` row-major (channel after channel) when mono is false. */
  y: Float32Array;
  sr: number;
  /** Channels in the file (before any mixing). */
  channels: number;
  /** Length of the returned signal in seconds. */
  durationS: number;
}

/** Signature-sniffed names of formats we recognise but do not decode, for a helpful error. */
function otherFormat(b: Uint8Array): string | null {
  const s = String.fromCharCode(...b.subarray(0, 4));
  if (s === 'fLaC') return 'FLAC';
  if (s === 'OggS') return 'Ogg';
  if (s === 'FORM') return 'AIFF';
  if (b.length >= 8 && String.fromCharCode(...b.subarray(4, 8)) === 'ftyp') return 'MP4/M4A';
  return null;
}

function readBytes(file: string): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new AudioError(file, 'missing', 'file not found');
    if (code === 'EISDIR') throw new AudioError(file, 'not-audio', 'is a directory, not an audio file');
    throw new AudioError(file, 'decode', `cannot read file: ${(e as Error).message}`);
  }
}

function checkOptions(file: string, opts: LoadOptions): void {
  const { sr, offset, duration } = opts;
  if (sr !== undefined && sr !== null && !(Number.isInteger(sr) && sr > 0)) throw new Error(`loadAudio ${file}: sr must be a positive integer or null, got ${sr}`);
  if (offset !== undefined && !(offset >= 0)) throw new Error(`loadAudio ${file}: offset must be ≥ 0 seconds, got ${offset}`);
  if (duration !== undefined && !(duration >= 0)) throw new Error(`loadAudio ${file}: duration must be ≥ 0 seconds, got ${duration}`);
}

function classify(bytes: Uint8Array, file: string): 'wav' | 'mp3' {
  if (bytes.length === 0) throw new AudioError(file, 'empty', 'empty file (0 bytes)');
  if (looksLikeWav(bytes)) return 'wav';
  if (looksLikeMp3(bytes)) return 'mp3';
  const other = otherFormat(bytes);
  if (other) throw new AudioError(file, 'unsupported', `unsupported audio format ${other} (WAV and MP3 are supported)`);
  if (bytes.length < 12 && String.fromCharCode(...bytes.subarray(0, 4)) === 'RIFF') throw new AudioError(file, 'truncated', `truncated WAV (${bytes.length} bytes)`);
  throw new AudioError(file, 'not-audio', 'not an audio file (neither a WAV header nor an MP3 frame)');
}

/** Offset/duration crop, channel mix and resampling: the part of librosa.load after decoding. */
function finish(dec: Decoded, file: string, opts: LoadOptions): Loaded {
  const srNative = dec.sr;
  const frames = dec.channelData[0].length;
  const start = opts.offset ? Math.floor(opts.offset * srNative) : 0;
  if (start > frames) throw new AudioError(file, 'truncated', `offset ${opts.offset} s is past the end (${(frames / srNative).toFixed(3)} s)`);
  const stop = opts.duration !== undefined ? Math.min(frames, start + Math.floor(opts.duration * srNative)) : frames;
  const chans = dec.channelData.map((c) => c.subarray(start, stop));
  const mono = opts.mono ?? true;
  const srOut = opts.sr === undefined ? 22050 : opts.sr ?? srNative;
  let y: Float32Array;
  if (mono || chans.length === 1) {
    let m: Float32Array;
    if (chans.length === 1) m = chans[0];
    else {
      // np.mean(y, axis=0) in float32, as librosa.to_mono.
      m = new Float32Array(stop - start);
      const k = chans.length;
      for (let i = 0; i < m.length; i++) {
        let s = 0;
        for (let c = 0; c < k; c++) s += chans[c][i];
        m[i] = s / k;
      }
    }
    // (A single channel with mono=false is [1, samples]: the same memory layout.)
    y = srOut === srNative ? Float32Array.from(m) : resample(m, srNative, srOut);
  } else {
    const parts = chans.map((c) => (srOut === srNative ? c : resample(c, srNative, srOut)));
    const len = parts[0].length;
    y = new Float32Array(len * parts.length);
    parts.forEach((p, c) => y.set(p, c * len));
  }
  const perChannel = mono ? y.length : y.length / chans.length;
  return { y, sr: srOut, channels: dec.channelData.length, durationS: perChannel / srOut };
}

/**
 * Loads an audio file like `librosa.load(file, sr=22050, mono=True, offset=0.0, duration=None)`:
 * decode (float32 in [-1, 1)), crop, average channels, resample (Kaiser-windowed sinc, see
 * resample.ts). Throws AudioError (missing / empty / truncated / not-audio / unsupported / decode).
 */
export async function loadAudio(file: string, opts: LoadOptions = {}): Promise<Loaded> {
  checkOptions(file, opts);
  const bytes = await fs.promises.readFile(file).catch(() => readBytes(file));
  const kind = classify(bytes, file);
  const dec = kind === 'wav' ? decodeWav(bytes, file) : await decodeMp3(bytes, file);
  return finish(dec, file, opts);
}

/** Synchronous `loadAudio` for WAV files (MP3 decoding is asynchronous: use loadAudio). */
export function loadAudioSync(file: string, opts: LoadOptions = {}): Loaded {
  checkOptions(file, opts);
  const bytes = readBytes(file);
  const kind = classify(bytes, file);
  if (kind !== 'wav') throw new AudioError(file, 'unsupported', 'loadAudioSync reads WAV only; use loadAudio for MP3');
  return finish(decodeWav(bytes, file), file, opts);
}
