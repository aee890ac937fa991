/**
 * Saved models: `<dir>/model.json` + `weights.bin` (tfjs `file://` format) and `<dir>/meta.json`,
 * which says how to feed the model (feature settings, input shape, class names, output kind) and
 * how it was trained. `results/<experiment>/model` is the usual `<dir>`; the predict CLI reads it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { tf, type TF } from '../backend';
import type { OutputKind } from '../models/summary';
// Registers the custom layers (Transformer attention/positions, fused LSTM/GRU) so
// `tf.loadLayersModel` can rebuild every model lib/models builds.
import '../models/attention';
import '../layers/fusedRecurrent';

/** meta.json format version written by saveModel; lib/predict/spec.ts refuses versions it does not know. */
export const META_VERSION = 1;

export interface ModelMeta {
  /** meta.json format version (META_VERSION). */
  version: number;
  /** Experiment id, e.g. `seed000-lstm`. */
  experiment: string;
  /** The tfjs model's name (e.g. `audio_lstm`). */
  model: string;
  output: OutputKind;
  /** One example's shape, batch axis excluded, null for any length: e.g. [331, 80]. */
  inputShape: (number | null)[];
  /** Class names in output order. */
  classNames: string[];
  /** The feature settings the inputs were computed with (kind, sampleRate, nFft, hopLength, nMels, …). */
  features: Record<string, unknown>;
  /** How it was trained: optimizer, epochs, best epoch, seed, backend, split, profile, wall time… */
  training: Record<string, unknown>;
  /** ISO date of the save. */
  savedAt: string;
}

export async function saveModel(model: TF.LayersModel, dir: string, meta: Omit<ModelMeta, 'savedAt' | 'version'>): Promise<ModelMeta> {
  fs.mkdirSync(dir, { recursive: true });
  await model.save(`file://${path.resolve(dir)}`);
  const full: ModelMeta = { version: META_VERSION, ...meta, savedAt: new Date().toISOString() };
  fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify(full, null, 2) + '\n');
  return full;
}

export function readMeta(dir: string): ModelMeta {
  const file = path.join(dir, 'meta.json');
  if (!fs.existsSync(file)) throw new Error(`${file}: no meta.json (is ${dir} a genre-lab model folder written by saveModel?)`);
  const meta = JSON.parse(fs.readFileSync(file, 'utf8')) as ModelMeta;
  for (const k of ['output', 'inputShape', 'classNames'] as const)
    if (meta[k] === undefined) throw new Error(`${file}: missing '${k}'`);
  return meta;
}

/** Loads a model saved by `saveModel`, with its metadata. */
export async function loadModel(dir: string): Promise<{ model: TF.LayersModel; meta: ModelMeta }> {
  const json = path.join(dir, 'model.json');
  if (!fs.existsSync(json)) throw new Error(`${json}: no saved model here`);
  const meta = readMeta(dir);
  const model = await tf.loadLayersModel(`file://${path.resolve(json)}`);
  return { model, meta };
}
