/**
 * The feature vocabulary: how a track turns into examples, as data. Cut the audio as the source
 * does (`CutSpec`), compute a named feature set with its parameters (`FeatureSpec`), fix the
 * number of frames and lay the numbers out the way the model reads them (`Layout`). Specs travel
 * into meta.json (predict recomputes exactly the same inputs), key the feature cache, and go to
 * the worker pool (lib/features/batch), which computes a track's examples from the spec alone.
 */
import { makeChunks, segments } from '../audio';
import type { Matrix } from './matrix';
import { sliceCols } from './matrix';
import { mfcc } from './mfcc';
import { powerToDb } from './db';
import { melOptions, presetMelspectrogram, PRESETS, audioLstmFeatures, ruohoruotsiFeatures33, scaledMelDb, torchMfcc, type Preset, type PresetName } from './presets';
import { dct } from './mfcc';
import { melspectrogram } from './mel';
import { chromaStft } from './chroma';
import { rms, spectralCentroid, spectralContrast, spectralRolloff, zeroCrossingRate } from './spectral';
import { magnitudeSpectrogram } from './stft';

/** How a track's samples become example signals. */
export type CutSpec =
  /**
   * Seed 003 / seed 001 CNN: `n` equal segments, the remainder dropped; with `samplesPerTrack`,
   * seed 003's fixed segments of samplesPerTrack / n samples, short ones dropped (audio `segments`).
   */
  | { kind: 'segments'; n: number; samplesPerTrack?: number; hop?: number }
  /** Seed 000: pydub 3000-ms chunks (first `max`), each zero-padded or cut to `samples`. */
  | { kind: 'chunks'; ms: number; max: number; samples: number }
  /** The first `seconds` of the track (seed 004's code: 1 s); `null` = the whole track. */
  | { kind: 'head'; seconds: number | null };

/**
 * STFT conventions a spec may name: a preset (lib/features/presets: librosa, librosa07, torchaudio)
 * and FFT size / hop overriding it. Without a preset a kind keeps its own defaults (what the
 * experiments and the named features use); with one, the preset's settings apply throughout
 * (what `genre-lab features --preset` asks for).
 */
export interface StftChoice {
  preset?: PresetName;
  nFft?: number;
  hopLength?: number;
}

/** A feature set and its parameters: the one vocabulary of the experiments, the cache, predict, the worker pool and `genre-lab features`. */
export type FeatureSpec =
  /** librosa MFCC, n_fft 2048, hop 512 (seed 003 n_mfcc 13; seed 001's CNN); with a preset, its mel and dB settings (torchaudio: its MFCC). */
  | ({ kind: 'mfcc'; nMfcc: number; sampleRate: number; nMels?: number } & StftChoice)
  /** Seed 000: torchaudio MelSpectrogram(n_mels=40) stacked over MFCC(melkwargs n_mels=40) → 80 rows. */
  | { kind: 'torch-mel-mfcc'; nMels: number; nMfcc: number; sampleRate: number }
  /** Seed 001: MFCC 13 + centroid + chroma 12 + contrast 7 = 33 rows (hop 512; a preset's pad mode and hop when named). */
  | ({ kind: 'features33'; sampleRate: number } & StftChoice)
  /** Seed 002: (power_to_db(mel, ref=max) + 40) / 40, 128 mels at 16 kHz. */
  | { kind: 'mel-db-scaled'; nMels: number; sampleRate: number }
  /** Log-mel (power_to_db, ref 1) with librosa defaults (seed 004 README: mel spectrograms). */
  | { kind: 'log-mel'; nMels: number; sampleRate: number }
  /** Seed 004's code: torchaudio MFCC(n_mfcc=20, log_mels=True). */
  | { kind: 'torch-mfcc-logmel'; nMfcc: number; sampleRate: number }
  /** Mel power spectrogram (librosa.feature.melspectrogram), in dB (power_to_db, ref 1) with `db`. */
  | ({ kind: 'mel'; nMels: number; sampleRate: number; db?: boolean } & StftChoice)
  /** One librosa descriptor per frame: chroma_stft (12), spectral_contrast (7), centroid, rolloff, zero_crossing_rate, rms (1); |STFT| (1 + n_fft / 2). */
  | ({ kind: 'chroma' | 'contrast' | 'centroid' | 'rolloff' | 'zcr' | 'rms' | 'stft'; sampleRate: number } & StftChoice);

export type FeatureKind = FeatureSpec['kind'];

/** How a track becomes examples: the cut, the feature set with its parameters, the layout and the frames. */
export interface ExampleSpec {
  cut: CutSpec;
  features: FeatureSpec;
  layout: Layout;
  /** Frames per example (cut or zero-padded), or null to keep every frame. */
  frames: number | null;
}

/**
 * Every example of one track's samples `y` (at `spec.features.sampleRate`): `[examples, ...shape]`,
 * row-major. What the feature cache stores per track, computed in-process or on a worker.
 */
export function trackExamples(y: Float32Array, spec: ExampleSpec, trackId = ''): { data: Float32Array; shape: number[] } {
  const sr = spec.features.sampleRate;
  const cut = cutTrack(y, sr, spec.cut);
  if (!cut.length) throw new Error(`${trackId ? `${trackId}: ` : ''}too short for one example (${(y.length / sr).toFixed(2)} s)`);
  const pieces = cut.map((p) => layoutExample(extractFeatures(p, spec.features), spec.layout, spec.frames));
  const per = pieces[0].data.length;
  const data = new Float32Array(pieces.length * per);
  pieces.forEach((p, i) => data.set(p.data, i * per));
  return { data, shape: [pieces.length, ...pieces[0].shape] };
}

/** How many seconds of a track the examples need (undefined: the whole track). */
export function secondsNeeded(cut: CutSpec): number | undefined {
  return cut.kind === 'head' && cut.seconds !== null ? cut.seconds : undefined;
}

/** The STFT settings of a spec that names a preset or FFT size / hop (empty: the function's own defaults). */
function stftOf(spec: StftChoice): { nFft?: number; hopLength?: number; center?: boolean; padMode?: Preset['stft']['padMode']; window?: 'hann' } {
  const base = spec.preset ? PRESETS[spec.preset].stft : {};
  return { ...base, ...(spec.nFft !== undefined ? { nFft: spec.nFft } : {}), ...(spec.hopLength !== undefined ? { hopLength: spec.hopLength } : {}) };
}

/** [features, frames] for one example signal. */
export function extractFeatures(y: Float32Array, spec: FeatureSpec): Matrix {
  const sr = spec.sampleRate;
  switch (spec.kind) {
    case 'mfcc': {
      // lectureMfcc's settings with any number of coefficients
      if (!spec.preset) return mfcc(y, { sr, nFft: spec.nFft ?? 2048, hopLength: spec.hopLength ?? 512, nMfcc: spec.nMfcc, ...(spec.nMels !== undefined ? { nMels: spec.nMels } : {}) });
      const p: Preset = PRESETS[spec.preset];
      const mel = { ...melOptions(spec.preset, sr), ...stftOf(spec), nMels: spec.nMels ?? p.mel.nMels };
      return spec.preset === 'torchaudio' ? dct(powerToDb(melspectrogram(y, mel), p.db), spec.nMfcc) : mfcc(y, { ...mel, nMfcc: spec.nMfcc, db: p.db });
    }
    case 'torch-mel-mfcc':
      return audioLstmFeatures(y, sr, { nMels: spec.nMels, nMfcc: spec.nMfcc });
    case 'features33': {
      if (!spec.preset && spec.hopLength === undefined) return ruohoruotsiFeatures33(y, sr);
      const st = stftOf(spec);
      return ruohoruotsiFeatures33(y, sr, { padMode: st.padMode === 'reflect' ? 'reflect' : 'constant', hopLength: st.hopLength });
    }
    case 'mel-db-scaled':
      return scaledMelDb(y, sr, spec.nMels);
    case 'log-mel':
      return powerToDb(presetMelspectrogram(y, sr, 'librosa', { nMels: spec.nMels }));
    case 'torch-mfcc-logmel':
      return torchMfcc(y, sr, { nMfcc: spec.nMfcc, logMels: true });
    case 'mel': {
      const p: Preset | undefined = spec.preset ? PRESETS[spec.preset] : undefined;
      const m = melspectrogram(y, spec.preset ? { ...melOptions(spec.preset, sr), ...stftOf(spec), nMels: spec.nMels } : { sr, ...stftOf(spec), nMels: spec.nMels });
      return spec.db ? (p ? powerToDb(m, p.db) : powerToDb(m)) : m;
    }
    case 'chroma':
      return chromaStft(y, { sr, ...stftOf(spec) });
    case 'contrast':
      return spectralContrast(y, { sr, ...stftOf(spec) });
    case 'centroid':
      return spectralCentroid(y, { sr, ...stftOf(spec) });
    case 'rolloff':
      return spectralRolloff(y, { sr, ...stftOf(spec) });
    case 'zcr':
    case 'rms': {
      const st = stftOf(spec);
      const frames = { ...(st.nFft !== undefined ? { frameLength: st.nFft } : {}), ...(st.hopLength !== undefined ? { hopLength: st.hopLength } : {}) };
      return spec.kind === 'zcr' ? zeroCrossingRate(y, frames) : rms(y, frames);
    }
    case 'stft':
      return magnitudeSpectrogram(y, stftOf(spec));
  }
}

/** Rows of the matrix a spec produces. */
export function featureRows(spec: FeatureSpec): number {
  switch (spec.kind) {
    case 'mfcc':
    case 'torch-mfcc-logmel':
      return spec.nMfcc;
    case 'torch-mel-mfcc':
      return spec.nMels + spec.nMfcc;
    case 'features33':
      return 33;
    case 'mel-db-scaled':
    case 'log-mel':
    case 'mel':
      return spec.nMels;
    case 'chroma':
      return 12;
    case 'contrast':
      return 7;
    case 'centroid':
    case 'rolloff':
    case 'zcr':
    case 'rms':
      return 1;
    case 'stft':
      return 1 + Math.floor((stftOf(spec).nFft ?? 2048) / 2);
  }
}

/** The example signals of one track's samples `y`. */
export function cutTrack(y: Float32Array, sr: number, cut: CutSpec): Float32Array[] {
  switch (cut.kind) {
    case 'segments':
      return segments(y, cut.n, cut.samplesPerTrack ? { samplesPerTrack: cut.samplesPerTrack, hop: cut.hop ?? 512 } : undefined);
    case 'chunks':
      return makeChunks(y, sr, cut.ms)
        .slice(0, cut.max)
        .map((c) => {
          // seed 000 `Dataset.__getitem__`: zero-pad or cut every chunk to 66000 samples
          const out = new Float32Array(cut.samples);
          out.set(c.subarray(0, cut.samples));
          return out;
        });
    case 'head':
      return [cut.seconds === null ? y : y.subarray(0, Math.min(y.length, Math.round(cut.seconds * sr)))];
  }
}

/**
 * How the model reads an example:
 * - `time-major`: [frames, features] (recurrent models and the lecture MLP);
 * - `image`: [features, frames, 1] (seed 001 / 004 CNNs, PyTorch's [1, features, frames]);
 * - `image-time-major`: [frames, features, 1] (the lecture CNN: 130 × 13 × 1).
 */
export type Layout = 'time-major' | 'image' | 'image-time-major';

/**
 * Lays a [features, frames] matrix out for the model, with exactly `frames` frames (cut, or
 * zero-padded at the end) unless `frames` is null.
 */
export function layoutExample(m: Matrix, layout: Layout, frames: number | null): { data: Float32Array; shape: number[] } {
  const T = frames ?? m.cols;
  const src = m.cols > T ? sliceCols(m, 0, T) : m;
  const F = m.rows;
  const data = new Float32Array(T * F);
  if (layout === 'image') {
    for (let f = 0; f < F; f++) data.set(src.data.subarray(f * src.cols, f * src.cols + Math.min(src.cols, T)), f * T);
    return { data, shape: [F, T, 1] };
  }
  for (let f = 0; f < F; f++) for (let t = 0; t < Math.min(src.cols, T); t++) data[t * F + f] = src.data[f * src.cols + t];
  return { data, shape: layout === 'time-major' ? [T, F] : [T, F, 1] };
}
