/**
 * lib/predict: the genre of any WAV or MP3, from a model saved by an experiment run.
 *
 *   const r = await predictFile('my-song.mp3', { modelDir: 'results/seed000-lstm/model', top: 3 });
 *   r.top;                                  // [{ genre: 'rock', probability: 0.61 }, …]
 *   console.log(formatPredictions(await predictFiles(['a.wav', 'b.mp3'], { modelDir })));
 *
 * A model is loaded once per folder and kept (notebooks call predictFile in a loop); `modelDir`
 * may also be an experiment id (`seed000-lstm` → results/seed000-lstm/model) and defaults to the
 * most recently saved model under results/.
 */
import * as fs from 'fs';
import * as path from 'path';
import { RESULTS_DIR, ROOT, resultsDir } from '../paths';
import { Predictor, type Prediction, type PredictOptions, type PredictResult } from './predictor';

export { Predictor, PredictError, SILENCE_PEAK, MIN_SECONDS, DEFAULT_MAX_SECONDS, type Prediction, type PredictionFailure, type PredictResult, type PredictOptions, type PredictFailReason, type GenreScore, type ModelInfo, type ModelInputs } from './predictor';
export { ModelSettingsError, parsePredictSpec, readPredictSpec, expectedInputShape, SUPPORTED_META_VERSIONS, DEFAULT_CLIP_SECONDS, type PredictSpec } from './spec';
export { planWindows, readWindow, trainingWindow, type WindowShape, type WindowPlan } from './windows';
export { formatPredictions, predictionRows, predictionsJson, type PredictJson, type PredictionRow } from './format';

export interface PredictFileOptions extends PredictOptions {
  /** A model folder (`results/<experiment>/model`) or an experiment id; default: the newest saved model. */
  modelDir?: string;
}

/** Model folders under results/ (`<experiment>/model/meta.json`), newest first. */
export function savedModels(root = RESULTS_DIR): string[] {
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => path.join(root, e.name, 'model'))
    .filter((d) => fs.existsSync(path.join(d, 'meta.json')))
    .map((d) => ({ d, t: fs.statSync(path.join(d, 'meta.json')).mtimeMs }))
    .sort((a, b) => b.t - a.t)
    .map((x) => x.d);
}

/** A folder as given (relative to the cwd, else to the repository root), else `results/<id>/model` for an experiment id, else the newest saved model. */
export function resolveModelDir(modelDir?: string): string {
  if (modelDir !== undefined) {
    if (fs.existsSync(modelDir)) return path.resolve(modelDir);
    // `results/<experiment>/model` typed from outside the repository: relative to its root
    const fromRoot = path.resolve(ROOT, modelDir);
    if (!path.isAbsolute(modelDir) && fs.existsSync(fromRoot)) return fromRoot;
    const byId = path.join(resultsDir(modelDir), 'model');
    if (!modelDir.includes('/') && fs.existsSync(byId)) return byId;
    const known = savedModels().map((d) => path.basename(path.dirname(d)));
    throw new Error(`model ${modelDir}: no such folder${known.length ? ` (saved models: ${known.join(', ')})` : ''}`);
  }
  const found = savedModels();
  if (!found.length) throw new Error(`no saved model under ${RESULTS_DIR}: train one first (runExperiment / genre-lab run) or pass a model folder`);
  return found[0];
}

const cache = new Map<string, { stamp: string; predictor: Promise<Predictor> }>();

function stamp(dir: string): string {
  return ['meta.json', 'model.json', 'weights.bin'].map((f) => {
    try {
      return String(fs.statSync(path.join(dir, f)).mtimeMs);
    } catch {
      return '-';
    }
  }).join('/');
}

/** The Predictor for a model folder, loaded once and reused until its files change. */
export async function getPredictor(modelDir?: string): Promise<Predictor> {
  const dir = resolveModelDir(modelDir);
  const st = stamp(dir);
  const hit = cache.get(dir);
  if (hit && hit.stamp === st) return hit.predictor;
  if (hit) (await hit.predictor.catch(() => null))?.dispose();
  const predictor = Predictor.load(dir);
  cache.set(dir, { stamp: st, predictor });
  predictor.catch(() => cache.delete(dir));
  return predictor;
}

/** Top genres of one file; throws PredictError (bad audio) or ModelSettingsError (model refused). */
export async function predictFile(file: string, opts: PredictFileOptions = {}): Promise<Prediction> {
  return (await getPredictor(opts.modelDir)).predict(file, opts);
}

/** Every file's prediction in order; a bad file is a `{ ok: false, reason, error }` entry, never fatal. */
export async function predictFiles(files: string[], opts: PredictFileOptions = {}): Promise<PredictResult[]> {
  return (await getPredictor(opts.modelDir)).predictMany(files, opts);
}
