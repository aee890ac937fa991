/**
 * Named feature sets: a name for a `FeatureSpec` (lib/features/spec) without its sample rate, run
 * as `(y, sr) => Matrix` through the one dispatch, `extractFeatures`. What `extractBatch`, the
 * worker pool and the bench run by name (a function cannot be sent to a worker thread, a name can).
 */
import type { Matrix } from './matrix';
import { extractFeatures, type FeatureSpec } from './spec';

export type Extractor = (y: Float32Array, sr: number) => Matrix;

/** A spec without its sample rate: the rate comes with the signal. */
type RatelessSpec = FeatureSpec extends infer S ? (S extends FeatureSpec ? Omit<S, 'sampleRate'> : never) : never;

export const NAMED_FEATURES = {
  /** librosa.feature.mfcc(y, sr, n_mfcc=13, n_fft=2048, hop_length=512): `[13, frames]` (seed 003). */
  mfcc13: { kind: 'mfcc', nMfcc: 13 },
  /** librosa.feature.mfcc defaults: `[20, frames]`. */
  mfcc20: { kind: 'mfcc', nMfcc: 20 },
  /** power_to_db(melspectrogram(y, sr, n_mels=128)): `[128, frames]`. */
  melDb128: { kind: 'mel', nMels: 128, db: true },
  /** Seed 002: (power_to_db(mel, ref=np.max) + 40) / 40: `[128, frames]`. */
  scaledMelDb128: { kind: 'mel-db-scaled', nMels: 128 },
  /** The former name of scaledMelDb128, kept for `bench:features --features`. */
  seed002MelDb: { kind: 'mel-db-scaled', nMels: 128 },
  /** Seed 001's 33 rows (MFCC 13, centroid, chroma 12, contrast 7): `[33, frames]`. */
  features33: { kind: 'features33' },
  /** torchaudio MelSpectrogram(sr, n_mels=40) and MFCC(sr, melkwargs={n_mels: 40}) stacked as seed 000 does: `[80, frames]`. */
  audioLstm80: { kind: 'torch-mel-mfcc', nMels: 40, nMfcc: 40 },
  /** The former name of audioLstm80, kept for `bench:features --features`. */
  seed000Torch: { kind: 'torch-mel-mfcc', nMels: 40, nMfcc: 40 },
  chroma: { kind: 'chroma' },
  contrast: { kind: 'contrast' },
  centroid: { kind: 'centroid' },
  rolloff: { kind: 'rolloff' },
  zcr: { kind: 'zcr' },
  rms: { kind: 'rms' },
} as const satisfies Record<string, RatelessSpec>;

export type ExtractorName = keyof typeof NAMED_FEATURES;

/** The spec a name stands for, at sample rate `sr`. */
export function namedFeature(name: string, sr: number): FeatureSpec {
  const s = (NAMED_FEATURES as Record<string, RatelessSpec>)[name];
  if (!s) throw new Error(`unknown feature extractor '${name}' (known: ${Object.keys(NAMED_FEATURES).join(', ')})`);
  return { ...s, sampleRate: sr } as FeatureSpec;
}

export function getExtractor(name: string): Extractor {
  namedFeature(name, 22050); // fails now for an unknown name
  return (y, sr) => extractFeatures(y, namedFeature(name, sr));
}

/** Every named feature set as an extractor. */
export const EXTRACTORS: Record<ExtractorName, Extractor> = Object.fromEntries(Object.keys(NAMED_FEATURES).map((n) => [n, getExtractor(n)])) as Record<ExtractorName, Extractor>;
