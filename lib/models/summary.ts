/** Parameter counts of a tfjs model, split as Keras' `model.summary()` splits them. */
import type { TF } from '../backend';

export interface ParamCount {
  trainable: number;
  /** Moving statistics of batch norm and other weights the optimizer never touches. */
  nonTrainable: number;
  total: number;
}

export function countParams(model: TF.LayersModel): ParamCount {
  const size = (ws: TF.LayerVariable[]) => ws.reduce((s, w) => s + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
  const trainable = size(model.trainableWeights);
  const nonTrainable = size(model.nonTrainableWeights);
  return { trainable, nonTrainable, total: trainable + nonTrainable };
}

/** What a model's last layer emits; the loss and `toProbabilities` depend on it. */
export type OutputKind =
  /** Class probabilities from a softmax layer (the Keras seeds). */
  | 'softmax'
  /** Unnormalised scores (the PyTorch seeds: `nn.Linear` head + `CrossEntropyLoss`). */
  | 'logits'
  /** Independent per-class probabilities (multi-label, seed 002). */
  | 'sigmoid'
  /** A regression output read as is (the lecture's first network, trained on squared error). */
  | 'regression';
