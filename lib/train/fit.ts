/**
 * The training loop: batches streamed from a `BatchSource`, validation after every epoch, a
 * learning-rate scheduler, early stopping that restores the best weights, gradient clipping,
 * L2, and a progress line per epoch.
 *
 * Each batch goes through lib/train/rawStep.ts where it covers the model and settings (a chain of CNN /
 * MLP layers, cross-entropy from logits, FusedAdam, on the native CPU backend: the step as raw
 * TensorFlow ops, without tfjs-layers' executor and tfjs' tape), else through `model.trainOnBatch`, the
 * only public tfjs entry that runs the layers in training mode (dropout on, batch norm updating its
 * statistics); `model.apply(x, {training: true})` does not reach the layers of a compiled graph in tfjs 4.22.
 */
import { tf, type TF } from '../backend';
import { installNativeKernels } from '../layers/nativeKernels';
import { installTapeRelease } from './tapeRelease';
import { l2Weights, rawStep } from './rawStep';
import type { OutputKind } from '../models/summary';
import type { BatchSource } from './data';
import { evaluate } from './evaluate';
import { type EpochLog, type History, type Monitor, formatEpoch } from './history';
import { type LossFn, defaultLoss } from './losses';
import { type OptimizerSpec, getLearningRate, makeOptimizer, setLearningRate, withGradientClipping } from './optimizers';
import { withSeed } from './random';
import { type SchedulerSpec, makeScheduler } from './schedulers';
import { logLine } from '../log';

export interface EarlyStoppingSpec {
  monitor: Monitor;
  /** Default: 'min' for losses, 'max' otherwise. */
  mode?: 'min' | 'max';
  /** Stop after this many epochs in a row without improvement (seed 000: 20). */
  patience: number;
  /** Improvement smaller than this does not count (default 0: any strict improvement). */
  minDelta?: number;
  /**
   * Reset the weights to the best epoch's: true (default) at the end, stopped early or not (seed
   * 002 evaluates its best ModelCheckpoint); 'on-stop' only when training stops early (seed 000
   * reloads its model.pt on stopping and keeps the last weights at the epoch limit); false never.
   */
  restoreBestWeights?: boolean | 'on-stop';
}

export interface FitOptions {
  epochs: number;
  train: BatchSource;
  validation?: BatchSource;
  /** What the model emits: picks the default loss and the metrics. */
  output: OutputKind;
  optimizer: OptimizerSpec | TF.Optimizer;
  /** Default: `defaultLoss(output)`. */
  loss?: LossFn;
  /** Stepped once per epoch, after validation; a plateau scheduler reads `spec.monitor`. */
  scheduler?: SchedulerSpec & { monitor?: string };
  earlyStopping?: EarlyStoppingSpec;
  /** Clip each update's gradients to this global L2 norm (torch `clip_grad_norm_`). */
  clipNorm?: number;
  /** Adds l2·Σw² over every weight named `kernel` to the loss (Keras `regularizers.l2` semantics). */
  l2?: number;
  /** Seeds dropout masks and any other `Math.random` draw during the fit. */
  seed?: number;
  /** Called after each epoch with its log (await-ed). */
  onEpoch?: (log: EpochLog) => void | Promise<void>;
  /** Progress lines: true → lib/log.ts (stderr; stdout in a notebook), a function → that, false → silent. Default true. */
  verbose?: boolean | ((line: string) => void);
}

const lowerIsBetter = (m: Monitor) => m === 'loss' || m === 'valLoss';

/**
 * The network to train: for a softmax model whose last layer is a separate softmax `Activation`
 * (lib/models' Keras-style heads) and no custom loss, the same layers up to the logits, trained
 * with cross-entropy from logits, as Keras does for softmax + crossentropy. Clipped probabilities
 * would otherwise give zero gradient once the softmax saturates (unscaled MFCCs do that at once).
 * The weights are shared, so training the view trains `model`.
 */
export function trainingView(model: TF.LayersModel, output: OutputKind, customLoss: boolean): { net: TF.LayersModel; output: OutputKind } {
  const last = model.layers[model.layers.length - 1];
  const isSoftmax = last?.getClassName() === 'Activation' && (last.getConfig() as { activation?: string }).activation === 'softmax';
  if (output !== 'softmax' || customLoss || !isSoftmax || model.layers.length < 2) return { net: model, output };
  const logits = model.layers[model.layers.length - 2].output as TF.SymbolicTensor;
  return { net: tf.model({ inputs: model.inputs, outputs: logits, name: `${model.name}_logits` }), output: 'logits' };
}

/** Trains `model` in place and returns its history. Input/target shapes come from the batches. */
export async function fit(model: TF.LayersModel, opts: FitOptions): Promise<History> {
  const run = () => fitLoop(model, opts);
  return opts.seed === undefined ? run() : withSeed(opts.seed, run);
}

async function fitLoop(model: TF.LayersModel, opts: FitOptions): Promise<History> {
  const { epochs } = opts;
  installNativeKernels();
  installTapeRelease();
  const view = trainingView(model, opts.output, opts.loss !== undefined);
  const net = view.net;
  const output = view.output;
  if (!(epochs >= 1)) throw new Error(`fit: epochs must be ≥ 1, got ${epochs}`);
  const needsVal = (m?: string) => m !== undefined && m.startsWith('val');
  if (!opts.validation && (needsVal(opts.earlyStopping?.monitor) || needsVal(opts.scheduler?.monitor)))
    throw new Error('fit: early stopping or the scheduler watch a validation metric but no validation source was given');
  const log = opts.verbose === false ? () => {} : typeof opts.verbose === 'function' ? opts.verbose : logLine;

  let optimizer = opts.optimizer instanceof tf.Optimizer ? opts.optimizer : makeOptimizer(opts.optimizer);
  if (opts.clipNorm) optimizer = withGradientClipping(optimizer, opts.clipNorm);
  const baseLoss = opts.loss ?? defaultLoss(output);
  const l2 = opts.l2 ?? 0;
  const kernels = l2 > 0 ? l2Weights(net) : [];
  const loss: LossFn = l2 > 0 ? (yt, yp) => tf.add(baseLoss(yt, yp), tf.mul(l2, tf.addN(kernels.map((w) => tf.sum(tf.square(w.read())))))) : baseLoss;
  // Multi-label runs log no train accuracy: thresholded binary accuracy says nothing there (most
  // labels are 0); their per-epoch metric is the validation AP (valApMicro / valApWeighted).
  const singleLabel = output === 'softmax' || output === 'logits';
  const metrics = singleLabel ? [tf.metrics.categoricalAccuracy] : [];
  net.compile({ optimizer, loss, metrics });
  // The step as raw TensorFlow ops where it covers the model and settings (lib/train/rawStep.ts), else trainOnBatch.
  const { step, reason: stepReason } = rawStep(net, { output, optimizer, customLoss: opts.loss !== undefined, l2, clipNorm: opts.clipNorm });
  let rawBatches = 0;
  let layerBatches = 0;

  const scheduler = opts.scheduler ? makeScheduler(opts.scheduler, getLearningRate(optimizer)) : undefined;
  const es = opts.earlyStopping;
  const esMode = es ? (es.mode ?? (lowerIsBetter(es.monitor) ? 'min' : 'max')) : 'min';
  let best = esMode === 'min' ? Infinity : -Infinity;
  let bestEpoch: number | undefined;
  let bestWeights: TF.Tensor[] | null = null;
  let wait = 0;
  let stoppedEarly = false;
  const history: EpochLog[] = [];
  const t0 = Date.now();

  for (let epoch = 1; epoch <= epochs; epoch++) {
    const start = Date.now();
    const lr = getLearningRate(optimizer);
    let seen = 0;
    let lossSum = 0;
    let accSum = 0;
    for await (const b of opts.train(epoch)) {
      const rawOut = step?.run(b.x, b.y);
      if (rawOut) rawBatches++;
      else layerBatches++;
      const out = rawOut ?? (await net.trainOnBatch(b.x, b.y));
      const [l, a] = Array.isArray(out) ? out : [out];
      const rows = b.x.shape[0];
      if (!Number.isFinite(l)) throw new Error(`fit: loss became ${l} in epoch ${epoch} (lr ${lr}); lower the learning rate or clip gradients`);
      lossSum += l * rows;
      accSum += (a ?? 0) * rows;
      seen += rows;
      tf.dispose([b.x, b.y]);
    }
    if (seen === 0) throw new Error(`fit: the training source yielded no batches in epoch ${epoch}`);
    const trainSeconds = (Date.now() - start) / 1000;
    const e: EpochLog = { epoch, loss: lossSum / seen, lr, seconds: 0, samplesPerSecond: seen / Math.max(trainSeconds, 1e-9) };
    if (singleLabel) e.accuracy = accSum / seen;
    if (opts.validation) {
      const v = await evaluate(net, opts.validation, output, baseLoss);
      e.valLoss = v.loss;
      if (v.accuracy !== undefined) e.valAccuracy = v.accuracy;
      if (v.apMicro !== undefined) e.valApMicro = v.apMicro;
      if (v.apWeighted !== undefined) e.valApWeighted = v.apWeighted;
    }
    e.seconds = (Date.now() - start) / 1000;
    history.push(e);
    log(formatEpoch(e, epochs));
    if (opts.onEpoch) await opts.onEpoch(e);

    if (scheduler) {
      const monitor = opts.scheduler?.monitor as Monitor | undefined;
      const next = scheduler.step(monitor ? (e[monitor] as number) : undefined);
      if (next !== getLearningRate(optimizer)) setLearningRate(optimizer, next);
    }
    if (es) {
      const v = e[es.monitor];
      if (v === undefined) throw new Error(`fit: early stopping monitors '${es.monitor}', which epoch ${epoch} did not record`);
      const delta = es.minDelta ?? 0;
      const improved = esMode === 'min' ? v < best - delta : v > best + delta;
      if (improved) {
        best = v;
        bestEpoch = epoch;
        wait = 0;
        if (es.restoreBestWeights !== false) {
          if (bestWeights) tf.dispose(bestWeights);
          bestWeights = model.getWeights().map((w) => tf.keep(w.clone()));
        }
      } else if (++wait >= es.patience) {
        stoppedEarly = true;
        log(`early stopping after epoch ${epoch}: ${es.monitor} did not improve for ${es.patience} epochs (best ${best.toFixed(4)} at epoch ${bestEpoch})`);
        break;
      }
    }
  }

  let restoredBest = false;
  if (bestWeights) {
    if (bestEpoch !== history.length && (es?.restoreBestWeights !== 'on-stop' || stoppedEarly)) {
      model.setWeights(bestWeights);
      restoredBest = true;
    }
    tf.dispose(bestWeights);
  }
  const stepLog: History['step'] =
    rawBatches && !layerBatches
      ? { kind: 'raw', reason: 'lib/train/rawStep.ts covers the model and settings' }
      : { kind: 'trainOnBatch', reason: step ? `${layerBatches} of ${rawBatches + layerBatches} batches were not float32 one-hot` : stepReason };
  return { epochs: history, bestEpoch, monitor: es?.monitor, stoppedEarly, restoredBest, wallSeconds: (Date.now() - t0) / 1000, step: stepLog };
}
