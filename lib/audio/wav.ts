/**
 * WAV decode/encode. The RIFF container is parsed by `wavefile`; the samples are converted here
 * straight from the data chunk's bytes (much faster than wavefile's own getSamples, which builds a
 * JavaScript array first), with libsndfile's scaling so the floats equal `soundfile.read(dtype='float32')`, which
 * is what `librosa.load` returns before resampling: intN / 2^(N-1), uint8 (x - 128) / 128.
 */
import * as fs from 'fs';
import { WaveFile } from 'wavefile';
import { AudioError } from './errors';

/** Decoded PCM: one Float32Array per channel, each `[frames]`. */
export interface Decoded {
  channelData: Float32Array[];
  sr: number;
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
const FORMAT_NAMES: Record<number, string> = { 2: 'MS ADPCM', 6: 'A-law', 7: 'mu-law', 0x11: 'IMA ADPCM', 0x55: 'MPEG layer 3' };

/** True when the bytes start like a RIFF/RIFX/RF64 WAVE file. */
export function looksLikeWav(bytes: Uint8Array): boolean {
  if (bytes.length < 12) return false;
  const id = String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]);
  const wave = String.fromCharCode(bytes[8], bytes[9], bytes[10], bytes[11]);
  return (id === 'RIFF' || id === 'RIFX' || id === 'RF64') && wave === 'WAVE';
}

/** Decodes a WAV file's bytes; `file` is only used to name it in errors. */
export function decodeWav(bytes: Uint8Array, file: string): Decoded {
  if (bytes.length === 0) throw new AudioError(file, 'empty', 'empty file (0 bytes)');
  if (!looksLikeWav(bytes)) throw new AudioError(file, 'not-audio', 'not a WAV file (no RIFF/WAVE header)');
  const wav = new WaveFile();
  try {
    wav.fromBuffer(bytes, true);
  } catch (e) {
    const msg = (e as Error).message;
    if (bytes.length < 44) throw new AudioError(file, 'truncated', `truncated WAV (${bytes.length} bytes, header needs at least 44)`);
    throw new AudioError(file, 'decode', `cannot parse WAV: ${msg}`);
  }
  const fmt = wav.fmt as { chunkId: string; audioFormat: number; numChannels: number; sampleRate: number; bitsPerSample: number; subformat?: number[] };
  const data = wav.data as { chunkId: string; chunkSize: number; samples: Uint8Array };
  if (fmt.chunkId !== 'fmt ') throw new AudioError(file, 'truncated', 'truncated WAV (no fmt chunk)');
  if (data.chunkId !== 'data') throw new AudioError(file, 'truncated', 'truncated WAV (no data chunk)');
  let format = fmt.audioFormat;
  if (format === WAVE_FORMAT_EXTENSIBLE) format = fmt.subformat?.[0] ?? 0;
  const bits = fmt.bitsPerSample;
  const channels = fmt.numChannels;
  if (format !== WAVE_FORMAT_PCM && format !== WAVE_FORMAT_IEEE_FLOAT) {
    const name = FORMAT_NAMES[format] ?? `format code 0x${format.toString(16)}`;
    throw new AudioError(file, 'unsupported', `unsupported WAV encoding ${name} (PCM and IEEE float are supported)`);
  }
  const okBits = format === WAVE_FORMAT_PCM ? [8, 16, 24, 32] : [32, 64];
  if (!okBits.includes(bits)) {
    throw new AudioError(file, 'unsupported', `unsupported WAV sample format: ${bits}-bit ${format === WAVE_FORMAT_PCM ? 'PCM' : 'float'}`);
  }
  if (!(channels >= 1)) throw new AudioError(file, 'decode', `WAV header says ${channels} channels`);
  if (!(fmt.sampleRate > 0)) throw new AudioError(file, 'decode', `WAV header says sample rate ${fmt.sampleRate}`);
  const raw = data.samples;
  if (raw.length < data.chunkSize) {
    throw new AudioError(file, 'truncated', `truncated WAV (data chunk says ${data.chunkSize} bytes, file has ${raw.length})`);
  }
  if (data.chunkSize === 0) throw new AudioError(file, 'empty', 'WAV has no samples (data chunk is 0 bytes)');
  const bytesPerFrame = (bits / 8) * channels;
  // An odd-sized data chunk is followed by a RIFF pad byte, which is not a sample.
  const frames = Math.floor(Math.min(raw.length, data.chunkSize) / bytesPerFrame);
  if (frames === 0) throw new AudioError(file, 'truncated', `truncated WAV (data chunk has ${raw.length} bytes, one frame needs ${bytesPerFrame})`);
  const bigEndian = String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]) === 'RIFX';
  return { channelData: pcmToFloat(raw, frames, channels, bits, format === WAVE_FORMAT_IEEE_FLOAT, bigEndian), sr: fmt.sampleRate };
}

/** De-interleaves and scales `[frames * channels]` PCM bytes to `channels` Float32Arrays `[frames]`. */
function pcmToFloat(raw: Uint8Array, frames: number, channels: number, bits: number, isFloat: boolean, bigEndian: boolean): Float32Array[] {
  const out = Array.from({ length: channels }, () => new Float32Array(frames));
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const le = !bigEndian;
  const step = bits / 8;
  let p = 0;
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++, p += step) {
      let v: number;
      if (isFloat) v = bits === 32 ? dv.getFloat32(p, le) : dv.getFloat64(p, le);
      else if (bits === 16) v = dv.getInt16(p, le) / 32768;
      else if (bits === 8) v = (raw[p] - 128) / 128;
      else if (bits === 24) {
        const b0 = raw[p], b1 = raw[p + 1], b2 = raw[p + 2];
        const u = le ? b0 | (b1 << 8) | (b2 << 16) : b2 | (b1 << 8) | (b0 << 16);
        v = ((u << 8) >> 8) / 8388608;
      } else v = dv.getInt32(p, le) / 2147483648;
      out[c][i] = v;
    }
  }
  return out;
}

/**
 * Writes `y` (`[samples]`, mono, floats in [-1, 1]) as a PCM WAV. 16/24/32-bit integer PCM scale by
 * 2^(N-1) - 1 and clip, like libsndfile's float-to-int write (so soundfile/librosa read the
 * same numbers back to within one LSB); bitDepth '32f' writes IEEE float.
 */
export function writeWav(file: string, y: Float32Array, sr: number, bitDepth: 16 | 24 | 32 | '32f' = 16): void {
  fs.writeFileSync(file, wavBytes(y, sr, bitDepth, `writeWav ${file}`));
}

/** The bytes `writeWav` writes (e.g. for a data: URI). */
export function wavBytes(y: Float32Array, sr: number, bitDepth: 16 | 24 | 32 | '32f' = 16, what = 'wavBytes'): Uint8Array {
  if (!Number.isInteger(sr) || sr <= 0) throw new Error(`${what}: sample rate must be a positive integer, got ${sr}`);
  const wav = new WaveFile();
  if (bitDepth === '32f') {
    wav.fromScratch(1, sr, '32f', Float64Array.from(y));
  } else {
    const scale = 2 ** (bitDepth - 1) - 1;
    const ints = bitDepth === 16 ? new Int16Array(y.length) : new Int32Array(y.length);
    for (let i = 0; i < y.length; i++) {
      const v = Math.round(y[i] * scale);
      ints[i] = v > scale ? scale : v < -scale - 1 ? -scale - 1 : v;
    }
    wav.fromScratch(1, sr, String(bitDepth), ints);
  }
  return wav.toBuffer();
}
