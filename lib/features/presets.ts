/**
 * Named conventions, as data (a preset is a config object, not a code path: torchaudio's
 * transforms vs functional split). A notebook says which one it uses:
 *
 *   const m = melspectrogram(y, { sr, ...PRESETS.torchaudio.mel });
 *
 * - librosa (≥ 0.10 defaults): n_fft 2048, hop 512, periodic Hann, center with 'constant'
 *   padding, Slaney mel scale + Slaney norm, 128 mels, power 2, power_to_db(ref 1, amin 1e-10,
 *   top_db 80), 20 MFCCs by DCT-II ortho.
 * - librosa07 (what the seeds ran: librosa 0.5–0.7): the same but center pads by 'reflect'.
 * - torchaudio (MelSpectrogram / MFCC defaults, seeds 000 and 004): n_fft 400, hop 200 (win/2),
 *   periodic Hann, reflect padding, HTK scale, no norm, f_max = sr // 2; MFCC n_mfcc 40 with
 *   AmplitudeToDB('power', top_db 80) (amin 1e-10, ref 1), or ln(mel + 1e-6) when logMels.
 */
import { melspectrogram, type MelSpectrogramOptions } from './mel';
import { mfcc, dct } from './mfcc';
import { powerToDb, type DbOptions } from './db';
import { magnitudeFrames, powerFrames, type StftOptions } from './stft';
import { applyFilterbank, melFilterbank } from './mel';
import { centroidFromFrames, contrastFromFrames } from './spectral';
import { chromaFromPowerFrames } from './chroma';
import { vstack, type Matrix } from './matrix';

export interface Preset {
  /** STFT settings shared by every feature of the preset. */
  stft: Required<Pick<StftOptions, 'nFft' | 'hopLength' | 'center' | 'padMode'>> & { window: 'hann' };
  /** Mel settings (fmax undefined means sr / 2; `fmaxFloorHalf` means floor(sr / 2), torchaudio's sr // 2). */
  mel: { nMels: number; htk: boolean; norm: 'slaney' | null; fmin: number; power: number; fmaxFloorHalf?: boolean };
  db: Required<Pick<DbOptions, 'amin' | 'topDb'>> & { ref: number };
  mfcc: { nMfcc: number; dctNorm: 'ortho'; logMels?: false | { offset: number } };
}

export const PRESETS = {
  librosa: {
    stft: { nFft: 2048, hopLength: 512, center: true, padMode: 'constant', window: 'hann' },
    mel: { nMels: 128, htk: false, norm: 'slaney', fmin: 0, power: 2 },
    db: { ref: 1.0, amin: 1e-10, topDb: 80 },
    mfcc: { nMfcc: 20, dctNorm: 'ortho' },
  },
  librosa07: {
    stft: { nFft: 2048, hopLength: 512, center: true, padMode: 'reflect', window: 'hann' },
    mel: { nMels: 128, htk: false, norm: 'slaney', fmin: 0, power: 2 },
    db: { ref: 1.0, amin: 1e-10, topDb: 80 },
    mfcc: { nMfcc: 20, dctNorm: 'ortho' },
  },
  torchaudio: {
    stft: { nFft: 400, hopLength: 200, center: true, padMode: 'reflect', window: 'hann' },
    mel: { nMels: 128, htk: true, norm: null, fmin: 0, power: 2, fmaxFloorHalf: true },
    db: { ref: 1.0, amin: 1e-10, topDb: 80 },
    mfcc: { nMfcc: 40, dctNorm: 'ortho', logMels: false },
  },
} satisfies Record<string, Preset>;

export type PresetName = keyof typeof PRESETS;

/** The melspectrogram options a preset implies for sample rate `sr` (overrides win). */
export function melOptions(preset: PresetName, sr: number, over: Partial<MelSpectrogramOptions> = {}): MelSpectrogramOptions {
  const p: Preset = PRESETS[preset];
  const { fmaxFloorHalf, ...mel } = p.mel;
  return { sr, ...p.stft, ...mel, ...(fmaxFloorHalf ? { fmax: Math.floor(sr / 2) } : {}), ...over };
}

/** Mel power spectrogram `[nMels, frames]` under a preset. */
export function presetMelspectrogram(y: Float32Array, sr: number, preset: PresetName = 'librosa', over: Partial<MelSpectrogramOptions> = {}): Matrix {
  return melspectrogram(y, melOptions(preset, sr, over));
}

/**
 * torchaudio.transforms.MelSpectrogram(sample_rate=sr, n_mels=nMels)(y): `[nMels, frames]`
 * (seed 000 uses n_mels=40).
 */
export function torchMelSpectrogram(y: Float32Array, sr: number, nMels = 128): Matrix {
  return melspectrogram(y, melOptions('torchaudio', sr, { nMels }));
}

/**
 * torchaudio.transforms.MFCC(sample_rate=sr, n_mfcc, melkwargs={n_mels}, log_mels)(y):
 * `[nMfcc, frames]`. log_mels false → AmplitudeToDB('power', top_db=80), true → ln(mel + 1e-6).
 */
export function torchMfcc(y: Float32Array, sr: number, opts: { nMfcc?: number; nMels?: number; logMels?: boolean; mel?: Matrix } = {}): Matrix {
  const nMfcc = opts.nMfcc ?? 40;
  // `mel`: an already computed torchMelSpectrogram(y, sr, nMels), to not run the STFT twice
  const mel = opts.mel ?? torchMelSpectrogram(y, sr, opts.nMels ?? 128);
  let logMel: Matrix;
  if (opts.logMels) {
    const d = new Float32Array(mel.data.length);
    for (let i = 0; i < d.length; i++) d[i] = Math.log(mel.data[i] + 1e-6);
    logMel = { data: d, rows: mel.rows, cols: mel.cols };
  } else {
    logMel = powerToDb(mel, { ref: 1.0, amin: 1e-10, topDb: 80 });
  }
  return dct(logMel, nMfcc, 'ortho');
}

/**
 * Seed 000's input: torchaudio MelSpectrogram(sr, n_mels) stacked over MFCC(sr, n_mfcc,
 * melkwargs={n_mels}) (`torch.cat` on the feature axis): `[nMels + nMfcc, frames]`, 40 + 40 by
 * default. The mel spectrogram is computed once and feeds both.
 */
export function audioLstmFeatures(y: Float32Array, sr: number, opts: { nMels?: number; nMfcc?: number } = {}): Matrix {
  const nMels = opts.nMels ?? 40;
  const mel = torchMelSpectrogram(y, sr, nMels);
  return vstack([mel, torchMfcc(y, sr, { nMfcc: opts.nMfcc ?? 40, nMels, mel })]);
}

/** Names of the 33 rows of ruohoruotsiFeatures33, in order. */
export const FEATURES33_ROWS: readonly string[] = [
  ...Array.from({ length: 13 }, (_, i) => `mfcc${i}`),
  'spectral_centroid',
  ...['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'].map((n) => `chroma_${n}`),
  ...Array.from({ length: 7 }, (_, i) => `contrast${i}`),
];

/**
 * Seed 001's 33 features per frame (GenreFeatureData: hop 512, n_fft 2048, librosa defaults
 * otherwise), `[33, frames]`, rows in the seed's order: MFCC 13 (0–12), spectral centroid (13),
 * chroma_stft 12 (14–25), spectral contrast 7 (26–32) — the seed writes
 * `data[i, :, 0:13] = mfcc.T`, `13:14` centroid, `14:26` chroma, `26:33` contrast and keeps the
 * first 128 frames (use sliceCols). One STFT feeds all four, as the magnitudes librosa would
 * compute four times are identical. padMode: 'constant' = librosa ≥ 0.9; the seed ran 'reflect'.
 */
export function ruohoruotsiFeatures33(y: Float32Array, sr: number, opts: { padMode?: 'constant' | 'reflect'; hopLength?: number } = {}): Matrix {
  const nFft = 2048;
  const stftOpts: StftOptions = { nFft, hopLength: opts.hopLength ?? 512, padMode: opts.padMode ?? 'constant' };
  const mag = magnitudeFrames(y, stftOpts);
  const pow = powerFrames(mag, 2);
  const mel = applyFilterbank(melFilterbank({ sr, nFft, nMels: 128 }), pow);
  const m = mfcc(null, { melDb: powerToDb(mel), nMfcc: 13 });
  const centroid = centroidFromFrames(mag, sr, nFft);
  const chroma = chromaFromPowerFrames(pow, sr, nFft);
  const contrast = contrastFromFrames(mag, sr, nFft);
  return vstack([m, centroid, chroma, contrast]);
}

/** Seed 003's MFCC: librosa.feature.mfcc(segment, sr, n_fft=2048, hop_length=512, n_mfcc=13), `[13, frames]`. */
export function lectureMfcc(segment: Float32Array, sr: number, padMode: 'constant' | 'reflect' = 'constant'): Matrix {
  return mfcc(segment, { sr, nFft: 2048, hopLength: 512, nMfcc: 13, padMode });
}

/**
 * Seed 002's transformer input: (power_to_db(melspectrogram(y, sr=16000, n_mels=128), ref=np.max) + 40) / 40,
 * `[128, frames]`.
 */
export function scaledMelDb(y: Float32Array, sr = 16000, nMels = 128, padMode: 'constant' | 'reflect' = 'constant'): Matrix {
  const db = powerToDb(melspectrogram(y, { sr, nMels, padMode }), { ref: 'max' });
  for (let i = 0; i < db.data.length; i++) db.data[i] = (db.data[i] + 40) / 40;
  return db;
}
