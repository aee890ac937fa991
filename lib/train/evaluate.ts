/**
 * Scores a model on a batch source without training (dropout off, batch norm on its moving
 * statistics): the loss, accuracy for single-label outputs, average precision for multi-label.
 */
import { tf, type TF } from '../backend';
import type { OutputKind } from '../models/summary';
import { argmaxRows } from '../metrics/classification';
import { multilabelAveragePrecision } from '../metrics/average_precision';
import type { BatchSource } from './data';
import { type LossFn, defaultLoss, toProbabilities } from './losses';

export interface Predictions {
  /** Row-major [n, outputs]: probabilities (softmax applied to logits), or the regression output. */
  scores: Float32Array;
  /** Row-major [n, outputs]: the batches' y (one-hot, multi-hot or regression targets). */
  targets: Float32Array;
  n: number;
  outputs: number;
  /** Example-weighted mean loss over the batches. */
  loss: number;
}

/** Runs `model.predict` over every batch of `source(0)` and gathers scores, targets and loss. */
export async function predictBatches(model: TF.LayersModel, source: BatchSource, output: OutputKind, loss: LossFn = defaultLoss(output)): Promise<Predictions> {
  const scores: number[] = [];
  const targets: number[] = [];
  let n = 0;
  let outputs = 0;
  let lossSum = 0;
  for await (const b of source(0)) {
    const raw = model.predict(b.x) as TF.Tensor;
    const l = tf.tidy(() => loss(b.y, raw));
    const p = toProbabilities(raw, output);
    const [pv, yv, lv] = await Promise.all([p.data(), b.y.data(), l.data()]);
    const rows = b.x.shape[0];
    outputs = raw.shape[raw.shape.length - 1] ?? 1;
    for (let i = 0; i < pv.length; i++) scores.push(pv[i]);
    for (let i = 0; i < yv.length; i++) targets.push(yv[i]);
    lossSum += lv[0] * rows;
    n += rows;
    tf.dispose([raw, l, p, b.x, b.y]);
  }
  if (n === 0) throw new Error('predictBatches: the batch source yielded no examples');
  return { scores: Float32Array.from(scores), targets: Float32Array.from(targets), n, outputs, loss: lossSum / n };
}

export interface Evaluation {
  loss: number;
  /** Single-label: fraction of argmax hits. */
  accuracy?: number;
  /** Multi-label: pooled (true micro) average precision. */
  apMicro?: number;
  /** Multi-label: support-weighted AP (seed 002's "micro-average"). */
  apWeighted?: number;
  apMacro?: number;
  predictions: Predictions;
}

export async function evaluate(model: TF.LayersModel, source: BatchSource, output: OutputKind, loss?: LossFn): Promise<Evaluation> {
  const pred = await predictBatches(model, source, output, loss);
  const ev: Evaluation = { loss: pred.loss, predictions: pred };
  if (output === 'logits' || output === 'softmax') {
    const yTrue = argmaxRows(pred.targets, pred.outputs);
    const yPred = argmaxRows(pred.scores, pred.outputs);
    ev.accuracy = yTrue.filter((t, i) => t === yPred[i]).length / pred.n;
  } else if (output === 'sigmoid') {
    const ap = multilabelAveragePrecision(pred.targets, pred.scores, pred.outputs);
    Object.assign(ev, { apMicro: ap.micro, apWeighted: ap.weighted, apMacro: ap.macro });
  }
  return ev;
}
