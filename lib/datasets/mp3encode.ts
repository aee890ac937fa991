/**
 * MP3 encoding for the generated FMA-shaped set, with @breezystack/lamejs (a maintained, pure-JS
 * port of LAME; no native build). Its package only ships an ES module and a browser IIFE bundle,
 * and tslab compiles notebooks to CommonJS, where `require` of an ES module fails
 * (ERR_REQUIRE_ESM). So the IIFE bundle is evaluated here and its `lamejs` global taken out:
 * this works the same under ts-node, tslab and plain node.
 */
import * as fs from 'fs';

interface Mp3Encoder {
  encodeBuffer(left: Int16Array, right?: Int16Array): Uint8Array;
  flush(): Uint8Array;
}
interface Lame {
  Mp3Encoder: new (channels: number, sampleRate: number, kbps: number) => Mp3Encoder;
}

let lame: Lame | null = null;

function loadLame(): Lame {
  if (lame) return lame;
  // The package's "require" export condition points at the IIFE bundle.
  const file = require.resolve('@breezystack/lamejs');
  const code = fs.readFileSync(file, 'utf8');
  if (!/^var lamejs\s*=/.test(code)) throw new Error(`${file}: expected the lamejs IIFE bundle ("var lamejs = ..."); the package layout changed`);
  lame = new Function(`${code}\nreturn lamejs;`)() as Lame;
  return lame;
}

/** LAME's frame size for MPEG-1 layer III; any multiple works, this avoids internal copies. */
const BLOCK = 1152;

/**
 * Encodes mono floats `y` (`[samples]`, in [-1, 1]) as a CBR MP3 at `sr` Hz. LAME accepts the
 * MPEG-1/2/2.5 rates (8000..48000); `kbps` must be a valid bitrate for that MPEG version.
 */
export function encodeMp3(y: Float32Array, sr: number, kbps = 64): Uint8Array {
  const { Mp3Encoder } = loadLame();
  const pcm = new Int16Array(y.length);
  for (let i = 0; i < y.length; i++) {
    const v = Math.round(y[i] * 32767);
    pcm[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  const enc = new Mp3Encoder(1, sr, kbps);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < pcm.length; i += BLOCK) {
    const out = enc.encodeBuffer(pcm.subarray(i, i + BLOCK));
    if (out.length) parts.push(out.slice());
  }
  parts.push(enc.flush().slice());
  const total = parts.reduce((a, p) => a + p.length, 0);
  const bytes = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    bytes.set(p, o);
    o += p.length;
  }
  return bytes;
}
