/**
 * Named feature extractors `(y, sr) => Matrix`: what `extractBatch`, the CLI and the bench run by
 * name (a function cannot be sent to a worker thread, a name can).
 */
import { chromaStft } from './chroma';
import { powerToDb } from './db';
import type { Matrix } from './matrix';
import { melspectrogram } from './mel';
import { mfcc } from './mfcc';
import { seed000Features, seed001Features33, seed002MelDb } from './presets';
import { rms, spectralCentroid, spectralContrast, spectralRolloff, zeroCrossingRate } from './spectral';

export type Extractor = (y: Float32Array, sr: number) => Matrix;

export const EXTRACTORS = {
  /** librosa.feature.mfcc(y, sr, n_mfcc=13, n_fft=2048, hop_length=512): `[13, frames]` (seed 003). */
  mfcc13: (y, sr) => mfcc(y, { sr, nMfcc: 13, nFft: 2048, hopLength: 512 }),
  /** librosa.feature.mfcc defaults: `[20, frames]`. */
  mfcc20: (y, sr) => mfcc(y, { sr }),
  /** power_to_db(melspectrogram(y, sr, n_mels=128)): `[128, frames]`. */
  melDb128: (y, sr) => powerToDb(melspectrogram(y, { sr, nMels: 128 })),
  /** Seed 002: (power_to_db(mel, ref=np.max) + 40) / 40: `[128, frames]`. */
  seed002MelDb: (y, sr) => seed002MelDb(y, sr),
  /** Seed 001's 33 rows (MFCC 13, centroid, chroma 12, contrast 7): `[33, frames]`. */
  features33: (y, sr) => seed001Features33(y, sr),
  /** torchaudio MelSpectrogram(sr, n_mels=40) and MFCC(sr, melkwargs={n_mels: 40}) stacked as seed 000 does: `[80, frames]`. */
  seed000Torch: (y, sr) => seed000Features(y, sr),
  chroma: (y, sr) => chromaStft(y, { sr }),
  contrast: (y, sr) => spectralContrast(y, { sr }),
  centroid: (y, sr) => spectralCentroid(y, { sr }),
  rolloff: (y, sr) => spectralRolloff(y, { sr }),
  zcr: (y) => zeroCrossingRate(y),
  rms: (y) => rms(y),
} satisfies Record<string, Extractor>;

export type ExtractorName = keyof typeof EXTRACTORS;

export function getExtractor(name: string): Extractor {
  const f = (EXTRACTORS as Record<string, Extractor>)[name];
  if (!f) throw new Error(`unknown feature extractor '${name}' (known: ${Object.keys(EXTRACTORS).join(', ')})`);
  return f;
}
