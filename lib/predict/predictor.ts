/**
 * A loaded model that predicts genres for audio files: decode (lib/audio), cut into the windows
 * training examples covered, compute the model's own features (lib/experiments/features.ts, the
 * code training used, from meta.json's settings), predict every window, average (seed 002's
 * test-time augmentation, lib/metrics/tta.ts), rank.
 */
import * as path from 'path';
import { tf, type TF } from '../backend';
import { AudioError, loadAudio, resampledLength, type AudioErrorReason } from '../audio/index';
import { extractFeatures, layoutExample } from '../experiments/features';
import { averagePredictions } from '../metrics/tta';
import { loadModel } from '../train/checkpoint';
import { toProbabilities } from '../train/losses';
// The fused LSTM/GRU layers every recurrent model is built from must be registered before
// tf.loadLayersModel meets them (lib/train/checkpoint.ts registers only the Transformer's).
import '../layers/fusedRecurrent';
import { ModelSettingsError, readPredictSpec, type PredictSpec } from './spec';
import { peak, planWindows, readWindow, trainingWindow, type WindowShape } from './windows';

/**
 * A window whose peak is below −80 dBFS is silence: librosa calls frames more than 80 dB under
 * the peak silent (`top_db=80` of librosa.effects.split / trim); 16-bit dither sits near −90 dBFS.
 */
export const SILENCE_PEAK = 1e-4;

/** Default cap on the audio analysed per file: a 10-minute file is judged from 120 s spread over it. */
export const DEFAULT_MAX_SECONDS = 120;

/** Windows sent to the model at once (bounds memory for the 128 × 1293 whole-track CNN inputs). */
const BATCH = 16;

/**
 * Shorter than this is a click, not a clip: refused rather than padded. 50 ms is about half of
 * librosa's default analysis frame (n_fft 2048 at 22050 Hz = 93 ms); a 0.1-s clip is still
 * predicted, padded, with a warning saying how much of its window is padding.
 */
export const MIN_SECONDS = 0.05;

export type PredictFailReason = AudioErrorReason | 'silent' | 'too-short' | 'features';

/** A file that cannot be predicted: names the file and says why. */
export class PredictError extends Error {
  readonly file: string;
  readonly reason: PredictFailReason;
  constructor(file: string, reason: PredictFailReason, detail: string) {
    super(`${path.basename(file)}: ${detail}`);
    this.name = 'PredictError';
    this.file = file;
    this.reason = reason;
  }
}

export interface GenreScore {
  genre: string;
  /** Softmax probability (single-label) or the genre's own sigmoid probability (multi-label). */
  probability: number;
}

export interface Prediction {
  /** The path as given. */
  file: string;
  ok: true;
  /** The `top` most probable genres, most probable first. */
  top: GenreScore[];
  /** Every genre's probability, in the model's class order. */
  probabilities: Record<string, number>;
  /** True for sigmoid (FMA multi-label) models: probabilities are independent and need not sum to 1. */
  multiLabel: boolean;
  /** The file's own length, rate and channel count. */
  durationS: number;
  sampleRate: number;
  channels: number;
  /** Windows whose predictions were averaged (crops, for variable-length models). */
  windows: number;
  /** Seconds of audio those windows cover, overlaps counted once per window. */
  analysedS: number;
  /** Sensible-answer notes: padding, capped windows, silent windows skipped. */
  warnings: string[];
}

export interface PredictionFailure {
  file: string;
  ok: false;
  reason: PredictFailReason;
  /** One line naming the file and the problem. */
  error: string;
}

export type PredictResult = Prediction | PredictionFailure;

export interface PredictOptions {
  /** Genres to list per file (default 5; 0 or Infinity for all). */
  top?: number;
  /** Cap on seconds of audio analysed per file (default 120), spread evenly over a long file. */
  maxSeconds?: number;
}

/** One file's model inputs: every analysed window's example, in model layout. */
export interface ModelInputs {
  /** `start`: the window's start in seconds; `data` row-major in `shape` (batch axis excluded). */
  examples: { start: number; data: Float32Array; shape: number[] }[];
  durationS: number;
  /** The file's own rate and channel count. */
  sampleRate: number;
  channels: number;
  analysedS: number;
  warnings: string[];
}

/** What the model expects, for display. */
export interface ModelInfo {
  dir: string;
  experiment: string;
  output: PredictSpec['output'];
  multiLabel: boolean;
  classNames: string[];
  inputShape: (number | null)[];
  featureKind: string;
  sampleRate: number;
  /** One training example's audio window and the step between windows, in seconds (variable-length models: the clip). */
  windowS: number;
  strideS: number;
  /** Variable-length models: frames per crop (the longest training crop); null for fixed windows. */
  cropFrames: number | null;
  assumed: string[];
}

const fmtS = (s: number) => `${s < 10 ? s.toFixed(2) : s.toFixed(1)} s`;

export class Predictor {
  readonly dir: string;
  readonly spec: PredictSpec;
  readonly model: TF.LayersModel;
  readonly window: WindowShape;

  private constructor(dir: string, spec: PredictSpec, model: TF.LayersModel) {
    this.dir = dir;
    this.spec = spec;
    this.model = model;
    this.window = trainingWindow(spec.cut, spec.features.sampleRate, spec.clipSeconds);
  }

  /** Reads and checks meta.json (refusing unknown settings) before loading the network. */
  static async load(dir: string): Promise<Predictor> {
    const spec = readPredictSpec(dir);
    let model: TF.LayersModel;
    try {
      ({ model } = await loadModel(dir));
    } catch (e) {
      throw new ModelSettingsError(dir, `cannot load the network: ${(e as Error).message.split('\n')[0]}`);
    }
    const got = model.inputs[0].shape.slice(1);
    if (JSON.stringify(got) !== JSON.stringify(spec.inputShape))
      throw new ModelSettingsError(dir, `the network reads inputs of shape ${JSON.stringify(got)} but meta.json says ${JSON.stringify(spec.inputShape)}`);
    const units = model.outputs[0].shape[model.outputs[0].shape.length - 1];
    if (units !== spec.classNames.length)
      throw new ModelSettingsError(dir, `the network has ${units} outputs but meta.json names ${spec.classNames.length} classes`);
    return new Predictor(dir, spec, model);
  }

  get info(): ModelInfo {
    const s = this.spec, sr = s.features.sampleRate;
    return {
      dir: this.dir, experiment: s.experiment, output: s.output, multiLabel: s.multiLabel, classNames: s.classNames,
      inputShape: s.inputShape, featureKind: s.features.kind, sampleRate: sr,
      windowS: this.window.length / sr, strideS: this.window.stride / sr, cropFrames: s.frames === null ? s.crop!.max : null, assumed: s.assumed,
    };
  }

  /**
   * The model's inputs for one file, computed as training computed them: decode, pick the
   * training-sized windows (planWindows), resample each to the model's rate (readWindow), skip
   * silent ones, features (extractFeatures) and layout (layoutExample). Bad input throws PredictError.
   */
  async inputs(file: string, opts: Pick<PredictOptions, 'maxSeconds'> = {}): Promise<ModelInputs> {
    const s = this.spec;
    const sr = s.features.sampleRate;
    const maxSeconds = opts.maxSeconds ?? DEFAULT_MAX_SECONDS;
    if (!(maxSeconds > 0)) throw new Error(`predict: maxSeconds must be > 0, got ${maxSeconds}`);
    let audio;
    try {
      audio = await loadAudio(file, { sr: null, mono: true });
    } catch (e) {
      if (e instanceof AudioError) throw new PredictError(file, e.reason, e.message.slice(e.message.indexOf(': ') + 2));
      throw e;
    }
    const { y, sr: srIn, channels } = audio;
    const durationS = y.length / srIn;
    if (!y.length) throw new PredictError(file, 'empty', 'no audio samples in the file');
    if (durationS < MIN_SECONDS)
      throw new PredictError(file, 'too-short', `only ${y.length} sample${y.length === 1 ? '' : 's'} (${(durationS * 1000).toFixed(1)} ms) of audio: too short to classify (at least ${MIN_SECONDS * 1000} ms needed)`);
    const p = peak(y);
    if (p < SILENCE_PEAK)
      throw new PredictError(file, 'silent', `silent (${fmtS(durationS)}, peak ${p === 0 ? '−∞' : (20 * Math.log10(p)).toFixed(1)} dBFS, below −80 dBFS): there is no music to classify`);

    const warnings: string[] = [];
    const n = resampledLength(y.length, srIn, sr);
    const plan = planWindows(n, this.window, (maxSeconds * sr) / this.window.length);
    const winS = this.window.length / sr;
    if (plan.padded) {
      warnings.push(s.frames === null
        ? `${fmtS(durationS)} is shorter than the ${fmtS(winS)} clips the model was trained on; predicted on what there is`
        : `${fmtS(durationS)} is shorter than the model's ${fmtS(winS)} window; padded with silence to fill it${durationS < winS / 2 ? ` (the padding is ${Math.round(100 * (1 - durationS / winS))}% of the window: the prediction says more about silence than about this clip)` : ''}`);
    }
    if (plan.total > plan.starts.length)
      warnings.push(`long file (${fmtS(durationS)}): ${plan.starts.length} of its ${plan.total} windows of ${fmtS(winS)} analysed, spread evenly (maxSeconds ${maxSeconds})`);

    const examples: ModelInputs['examples'] = [];
    let silentWindows = 0;
    let analysedS = 0;
    const featuresOf = (sig: Float32Array) => {
      let m;
      try {
        m = extractFeatures(sig, s.features);
      } catch (e) {
        throw new PredictError(file, 'features', `cannot compute the ${s.features.kind} features: ${(e as Error).message}`);
      }
      for (let i = 0; i < m.data.length; i++)
        if (!Number.isFinite(m.data[i])) throw new PredictError(file, 'features', `the ${s.features.kind} features of this audio are not finite numbers (NaN/Infinity)`);
      return m;
    };
    for (const start of plan.starts) {
      const len = s.frames === null ? Math.min(this.window.length, n - start) : this.window.length;
      const sig = readWindow(y, srIn, sr, start, len);
      if (peak(sig) < SILENCE_PEAK) {
        silentWindows++;
        continue;
      }
      analysedS += Math.min(len, n - start) / sr;
      const m = featuresOf(sig);
      if (s.frames !== null) {
        examples.push({ start: start / sr, ...layoutExample(m, s.layout, s.frames) });
        continue;
      }
      // Variable-length models (seed 002): features of the whole clip (its ref=max dB scale
      // spans the clip, as in training), then consecutive crops of the longest training crop;
      // a sequence shorter than that is predicted whole, as lib/metrics predictWithTta does.
      const seq = layoutExample(m, 'time-major', null);
      const [T, F] = seq.shape;
      const crop = Math.min(s.crop!.max, T);
      for (const c of planWindows(T, { length: crop, stride: crop }).starts)
        examples.push({ start: start / sr, data: seq.data.slice(c * F, (c + crop) * F), shape: [crop, F] });
    }
    if (!examples.length)
      throw new PredictError(file, 'silent', `every analysed window is silent (below −80 dBFS) in ${fmtS(durationS)} of audio: there is no music to classify`);
    if (silentWindows) warnings.push(`${silentWindows} silent window(s) skipped`);
    return { examples, durationS, sampleRate: srIn, channels, analysedS, warnings };
  }

  /** Predicts one file; bad input throws PredictError naming the file. */
  async predict(file: string, opts: PredictOptions = {}): Promise<Prediction> {
    const s = this.spec;
    const C = s.classNames.length;
    const topOpt = opts.top ?? 5;
    if (!(Number.isInteger(topOpt) || topOpt === Infinity) || topOpt < 0) throw new Error(`predict: top must be a whole number ≥ 0, got ${opts.top}`);
    const k = topOpt === 0 ? C : Math.min(topOpt, C);
    const inp = await this.inputs(file, opts);
    // Batches of equally shaped examples (variable-length clips give crops of different lengths).
    const preds: Float32Array[] = [];
    for (let i = 0; i < inp.examples.length; ) {
      const shape = inp.examples[i].shape;
      let j = i + 1;
      while (j < inp.examples.length && j - i < BATCH && inp.examples[j].shape.join() === shape.join()) j++;
      preds.push(...this.predictBatch(inp.examples.slice(i, j).map((e) => e.data), shape));
      i = j;
    }
    const mean = averagePredictions(preds);
    const probabilities: Record<string, number> = {};
    s.classNames.forEach((c, i) => (probabilities[c] = mean[i]));
    const top = s.classNames
      .map((genre, i) => ({ genre, probability: mean[i] }))
      .sort((a, b) => b.probability - a.probability)
      .slice(0, k);
    return {
      file, ok: true, top, probabilities, multiLabel: s.multiLabel, durationS: inp.durationS, sampleRate: inp.sampleRate,
      channels: inp.channels, windows: preds.length, analysedS: inp.analysedS, warnings: inp.warnings,
    };
  }

  /** Predicts every file; a bad file becomes a PredictionFailure and the others go on. */
  async predictMany(files: string[], opts: PredictOptions = {}): Promise<PredictResult[]> {
    const out: PredictResult[] = [];
    for (const file of files) {
      try {
        out.push(await this.predict(file, opts));
      } catch (e) {
        if (!(e instanceof PredictError)) throw e;
        out.push({ file, ok: false, reason: e.reason, error: e.message });
      }
    }
    return out;
  }

  /** Probabilities [classes] for each example of one equally shaped batch. */
  private predictBatch(examples: Float32Array[], shape: number[]): Float32Array[] {
    const per = examples[0].length;
    const x = new Float32Array(examples.length * per);
    examples.forEach((e, i) => x.set(e, i * per));
    const probs = tf.tidy(() => toProbabilities(this.model.predict(tf.tensor(x, [examples.length, ...shape])) as TF.Tensor, this.spec.output));
    const v = probs.dataSync() as Float32Array;
    probs.dispose();
    const C = this.spec.classNames.length;
    return examples.map((_, i) => Float32Array.from(v.subarray(i * C, (i + 1) * C)));
  }

  dispose(): void {
    this.model.dispose();
  }
}
