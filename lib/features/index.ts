/**
 * lib/features: librosa.feature / librosa.filters in TypeScript on typed arrays.
 * Matrices are `[rows, frames]` row-major float32 (see matrix.ts), like librosa's arrays.
 *
 *   const M = mfcc(y, { sr: 22050, nMfcc: 13, hopLength: 512 });   // [13, frames]
 *   const S = powerToDb(melspectrogram(y, { sr }));                 // [128, frames]
 *   const F = ruohoruotsiFeatures33(y, sr);                             // [33, frames]
 *
 * About meyda (a dependency used by the lecture notebooks for per-frame descriptors): its
 * numbers are NOT librosa's. Meyda's MFCC uses its own mel scale 1125·ln(1 + f/700), unnormalised
 * triangles over N/2 bins of a non-centred, symmetric-Hann frame, bands as ln(Σ + 1) instead of
 * 10·log10 power, and an unnormalised DCT; its spectralCentroid is in bins, not Hz. See meydaFrames.ts.
 */
export * from './matrix';
export * from './stft';
export * from './mel';
export * from './db';
export * from './mfcc';
export * from './chroma';
export * from './spectral';
export * from './presets';
export { realFFT, rfft, RealFFT } from './fft';
export * from './npy';
export * from './extractors';
export { extractBatch, FeaturePool, type FeatureRef, type BatchOptions } from './batch';
export { meydaFrames, type MeydaOptions, type MeydaFrames } from './meydaFrames';
export * from './handcrafted';
export * from './spec';
