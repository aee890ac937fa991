/** What `fit` records: one row per epoch, plus how it ended. The notebooks plot it. */

export interface EpochLog {
  epoch: number;
  loss: number;
  /** Train accuracy (single-label; multi-label runs have none). */
  accuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
  valApMicro?: number;
  valApWeighted?: number;
  /** Learning rate this epoch trained with. */
  lr: number;
  seconds: number;
  samplesPerSecond: number;
}

/** The EpochLog fields a scheduler or early stopping can watch. */
export type Monitor = 'loss' | 'accuracy' | 'valLoss' | 'valAccuracy' | 'valApMicro' | 'valApWeighted';

export interface History {
  epochs: EpochLog[];
  /** Epoch (1-based) with the best monitored value, when early stopping watched one. */
  bestEpoch?: number;
  monitor?: Monitor;
  stoppedEarly: boolean;
  /** True when the weights were reset to those of `bestEpoch` at the end. */
  restoredBest: boolean;
  wallSeconds: number;
  /** How each batch trained: lib/train/rawStep.ts ('raw') or tfjs-layers' `trainOnBatch`, and why. */
  step?: { kind: 'raw' | 'trainOnBatch'; reason: string };
}

/** One line per epoch: loss, accuracy, validation, learning rate, time and throughput. */
export function formatEpoch(e: EpochLog, epochs: number): string {
  const parts = [`epoch ${String(e.epoch).padStart(String(epochs).length)}/${epochs}`, `loss ${e.loss.toFixed(4)}`];
  if (e.accuracy !== undefined) parts.push(`acc ${e.accuracy.toFixed(3)}`);
  if (e.valLoss !== undefined) parts.push(`val_loss ${e.valLoss.toFixed(4)}`);
  if (e.valAccuracy !== undefined) parts.push(`val_acc ${e.valAccuracy.toFixed(3)}`);
  if (e.valApMicro !== undefined) parts.push(`val_ap_micro ${e.valApMicro.toFixed(3)}`);
  if (e.valApWeighted !== undefined) parts.push(`val_ap_weighted ${e.valApWeighted.toFixed(3)}`);
  parts.push(`lr ${e.lr.toExponential(1)}`, `${e.seconds.toFixed(1)} s`, `${Math.round(e.samplesPerSecond)} samples/s`);
  return parts.join('  ');
}
