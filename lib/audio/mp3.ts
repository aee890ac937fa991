/**
 * MP3 decode with `mpg123-decoder` (libmpg123 compiled to WebAssembly). libmpg123 is also what
 * libsndfile ≥ 1.1 (soundfile, hence librosa ≥ 0.10) decodes MP3 with, so the samples agree with
 * `soundfile.read(dtype='float32')` to float rounding and the frame count is the same (gapless).
 *
 * The package is ESM-only ("type": "module"), which tslab's CommonJS output cannot `require`
 * (ERR_REQUIRE_ESM). It also ships a UMD build, dist/mpg123-decoder.min.js; we compile that one
 * as a CommonJS module ourselves (Module#_compile ignores the package's "type"), so decoding works
 * the same in tslab, ts-node and plain node without dynamic `import()`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { AudioError } from './errors';
import type { Decoded } from './wav';

interface MPEGDecodedAudio {
  channelData: Float32Array[];
  samplesDecoded: number;
  sampleRate: number;
  errors?: { message: string }[];
}
interface MPEGDecoder {
  ready: Promise<void>;
  decode(data: Uint8Array): MPEGDecodedAudio;
  reset(): Promise<void>;
  free(): void;
}
type MPEGDecoderCtor = new (opts?: { enableGapless?: boolean }) => MPEGDecoder;

let ctor: MPEGDecoderCtor | undefined;

function loadDecoderClass(): MPEGDecoderCtor {
  if (ctor) return ctor;
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const Module = require('module') as { new (id: string, parent?: NodeModule): NodeModule & { _compile(src: string, file: string): void; paths: string[] }; _nodeModulePaths(dir: string): string[] };
  // The package's "exports" hides dist/ from require.resolve, so look along node_modules ourselves.
  const rel = path.join('mpg123-decoder', 'dist', 'mpg123-decoder.min.js');
  const file = Module._nodeModulePaths(__dirname).map((d) => path.join(d, rel)).find((f) => fs.existsSync(f));
  if (!file) throw new Error(`MP3 decoding needs the npm package mpg123-decoder (${rel} not found from ${__dirname}); run npm install`);
  const m = new Module(file, module);
  m.filename = file;
  m.paths = Module._nodeModulePaths(path.dirname(file));
  m._compile(fs.readFileSync(file, 'utf8'), file);
  ctor = (m.exports as { MPEGDecoder: MPEGDecoderCtor }).MPEGDecoder;
  return ctor;
}

/** True when the bytes start with an ID3v2 tag or an MPEG audio frame sync (11 set bits). */
export function looksLikeMp3(bytes: Uint8Array): boolean {
  if (bytes.length >= 3 && bytes[0] === 0x49 && bytes[1] === 0x44 && bytes[2] === 0x33) return true; // "ID3"
  return bytes.length >= 2 && bytes[0] === 0xff && (bytes[1] & 0xe0) === 0xe0;
}

/** Decodes MP3 bytes to float channels; `file` names it in errors. */
export async function decodeMp3(bytes: Uint8Array, file: string): Promise<Decoded> {
  if (bytes.length === 0) throw new AudioError(file, 'empty', 'empty file (0 bytes)');
  if (!looksLikeMp3(bytes)) throw new AudioError(file, 'not-audio', 'not an MP3 file (no ID3 tag or MPEG frame sync)');
  const Decoder = loadDecoderClass();
  const dec = new Decoder();
  await dec.ready;
  let r: MPEGDecodedAudio;
  try {
    r = dec.decode(bytes);
  } catch (e) {
    throw new AudioError(file, 'decode', `MP3 decode failed: ${(e as Error).message}`);
  } finally {
    dec.free();
  }
  if (!r.samplesDecoded || !r.channelData.length) {
    const why = r.errors?.length ? `: ${r.errors[0].message}` : '';
    throw new AudioError(file, looksLikeId3Only(bytes) ? 'empty' : 'decode', `MP3 decoded to 0 samples${why}`);
  }
  // libmpg123 as built into mpg123-decoder always outputs two channels; a mono file comes back as
  // two identical ones. Report the file's own channel count (from its first frame header).
  const channels = Math.min(r.channelData.length, mp3Channels(bytes) ?? r.channelData.length);
  return { channelData: r.channelData.slice(0, channels).map((c) => c.subarray(0, r.samplesDecoded)), sr: r.sampleRate };
}

/**
 * Channel count from the first MPEG audio frame header after any ID3v2 tag: channel-mode bits
 * (byte 3, bits 7-6) 0b11 = single channel, else 2. Null when no valid header is found.
 */
export function mp3Channels(bytes: Uint8Array): number | null {
  const tag = id3Size(bytes);
  let i = tag === null ? 0 : 10 + tag + (bytes[5] & 0x10 ? 10 : 0); // header, body, ID3v2.4 footer
  for (const end = Math.min(bytes.length - 4, i + 65536); i < end; i++) {
    // frame sync, a valid version (not 01), layer (not 00), bitrate index (not 1111) and sample-rate index (not 11)
    if (bytes[i] !== 0xff || (bytes[i + 1] & 0xe0) !== 0xe0) continue;
    if ((bytes[i + 1] & 0x18) === 0x08 || (bytes[i + 1] & 0x06) === 0 || (bytes[i + 2] & 0xf0) === 0xf0 || (bytes[i + 2] & 0x0c) === 0x0c) continue;
    return (bytes[i + 3] & 0xc0) === 0xc0 ? 1 : 2;
  }
  return null;
}

/** Size of the ID3v2 tag's body (synchsafe integer in header bytes 6-9), or null when the bytes start with no tag. */
function id3Size(bytes: Uint8Array): number | null {
  if (bytes.length < 10 || bytes[0] !== 0x49 || bytes[1] !== 0x44 || bytes[2] !== 0x33) return null;
  return ((bytes[6] & 0x7f) << 21) | ((bytes[7] & 0x7f) << 14) | ((bytes[8] & 0x7f) << 7) | (bytes[9] & 0x7f);
}

/** An ID3 tag with nothing (or almost nothing) after it. */
function looksLikeId3Only(bytes: Uint8Array): boolean {
  const size = id3Size(bytes);
  return size !== null && bytes.length <= 10 + size + 4;
}
