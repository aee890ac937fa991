/**
 * Learning-rate schedulers with PyTorch's semantics (torch.optim.lr_scheduler), stepped once per
 * epoch after validation, as seed 001 does. Each returns the learning rate for the next epoch.
 * Golden sequences: test/fixtures/models/schedulers.py (torch).
 */

export interface LrScheduler {
  /** Learning rate in force now. */
  readonly lr: number;
  /** Ends an epoch; `metric` is needed by ReduceLROnPlateau. Returns the new learning rate. */
  step(metric?: number): number;
  describe(): string;
}

/** `StepLR(step_size, gamma=0.1)`: lr₀·γ^⌊epoch/stepSize⌋. */
export class StepLR implements LrScheduler {
  private epoch = 0;
  lr: number;
  constructor(readonly initialLr: number, readonly stepSize: number, readonly gamma = 0.1) {
    if (!(stepSize >= 1)) throw new Error(`StepLR: stepSize must be ≥ 1, got ${stepSize}`);
    this.lr = initialLr;
  }
  step(): number {
    this.epoch++;
    // torch's chainable form: multiply by gamma when the epoch count hits a multiple of step_size
    if (this.epoch % this.stepSize === 0) this.lr *= this.gamma;
    return this.lr;
  }
  describe(): string {
    return `StepLR(stepSize=${this.stepSize}, gamma=${this.gamma})`;
  }
}

/**
 * `CosineAnnealingLR(T_max, eta_min=0)` in torch's recursive form (it keeps following the cosine
 * after T_max, rising again), which is what torch prints, not the closed form that differs in the
 * last bits.
 */
export class CosineAnnealingLR implements LrScheduler {
  private epoch = 0;
  lr: number;
  constructor(readonly initialLr: number, readonly tMax: number, readonly etaMin = 0) {
    if (!(tMax >= 1)) throw new Error(`CosineAnnealingLR: tMax must be ≥ 1, got ${tMax}`);
    this.lr = initialLr;
  }
  step(): number {
    this.epoch++;
    const e = this.epoch;
    const T = this.tMax;
    if ((e - 1 - T) % (2 * T) === 0) this.lr = this.lr + ((this.initialLr - this.etaMin) * (1 - Math.cos(Math.PI / T))) / 2;
    else this.lr = ((1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T))) * (this.lr - this.etaMin) + this.etaMin;
    return this.lr;
  }
  describe(): string {
    return `CosineAnnealingLR(tMax=${this.tMax}, etaMin=${this.etaMin})`;
  }
}

export interface PlateauConfig {
  /** 'min' for a loss, 'max' for an accuracy (seed 001 watches accuracy). */
  mode?: 'min' | 'max';
  factor?: number;
  patience?: number;
  /** Improvement needed to count as better (torch default 1e-4, relative). */
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting bad epochs again. */
  cooldown?: number;
  minLr?: number;
  /** Reductions smaller than this are skipped (torch `eps=1e-8`). */
  eps?: number;
  /**
   * 'torch' (default): torch.optim.lr_scheduler.ReduceLROnPlateau. 'keras': the Keras callback
   * (seed 002): improvement means beating best by `threshold` absolute (Keras `min_delta`), the
   * learning rate drops after `patience` bad epochs (torch: after more than `patience`), and bad
   * epochs are not counted during cooldown.
   */
  style?: 'torch' | 'keras';
}

/**
 * `ReduceLROnPlateau`: after more than `patience` epochs without improvement, lr ← max(lr·factor, minLr).
 * Note Keras' callback of the same name (seed 002) reduces after `patience` bad epochs, one
 * epoch earlier than torch.
 */
export class ReduceLROnPlateau implements LrScheduler {
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly minLr: number;
  readonly eps: number;
  readonly style: 'torch' | 'keras';
  lr: number;
  best: number;
  numBadEpochs = 0;
  private cooldownCounter = 0;

  constructor(initialLr: number, cfg: PlateauConfig = {}) {
    this.mode = cfg.mode ?? 'min';
    this.factor = cfg.factor ?? 0.1;
    if (!(this.factor < 1)) throw new Error(`ReduceLROnPlateau: factor must be < 1, got ${this.factor}`);
    this.patience = cfg.patience ?? 10;
    this.threshold = cfg.threshold ?? 1e-4;
    this.thresholdMode = cfg.thresholdMode ?? 'rel';
    this.cooldown = cfg.cooldown ?? 0;
    this.minLr = cfg.minLr ?? 0;
    this.eps = cfg.eps ?? 1e-8;
    this.style = cfg.style ?? 'torch';
    if (this.style === 'keras' && cfg.thresholdMode === 'rel') throw new Error("ReduceLROnPlateau: Keras' min_delta is absolute; use thresholdMode 'abs' with style 'keras'");
    if (this.style === 'keras') this.thresholdMode = 'abs';
    this.lr = initialLr;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  private isBetter(a: number): boolean {
    const { best, threshold } = this;
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < best * (1 - threshold) : a < best - threshold;
    return this.thresholdMode === 'rel' ? a > best * (threshold + 1) : a > best + threshold;
  }

  step(metric?: number): number {
    if (metric === undefined || !Number.isFinite(metric)) throw new Error(`ReduceLROnPlateau.step needs the monitored metric, got ${metric}`);
    if (this.style === 'keras') return this.stepKeras(metric);
    if (this.isBetter(metric)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else this.numBadEpochs++;
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      const next = Math.max(this.lr * this.factor, this.minLr);
      if (this.lr - next > this.eps) this.lr = next;
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    return this.lr;
  }

  /** tf.keras.callbacks.ReduceLROnPlateau.on_epoch_end (TF 2.x). */
  private stepKeras(metric: number): number {
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0;
    }
    if (this.isBetter(metric)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else if (this.cooldownCounter === 0) {
      this.numBadEpochs++;
      if (this.numBadEpochs >= this.patience && this.lr > this.minLr) {
        this.lr = Math.max(this.lr * this.factor, this.minLr);
        this.cooldownCounter = this.cooldown;
        this.numBadEpochs = 0;
      }
    }
    return this.lr;
  }

  describe(): string {
    return `ReduceLROnPlateau(style=${this.style}, mode=${this.mode}, factor=${this.factor}, patience=${this.patience}, threshold=${this.threshold} ${this.thresholdMode}, cooldown=${this.cooldown}, minLr=${this.minLr})`;
  }
}

/** A scheduler described as data, so experiment configs and meta.json can carry it. */
export type SchedulerSpec =
  | { kind: 'step'; stepSize: number; gamma?: number }
  | { kind: 'cosine'; tMax: number; etaMin?: number }
  | ({ kind: 'plateau'; monitor: string } & PlateauConfig);

export function makeScheduler(spec: SchedulerSpec, initialLr: number): LrScheduler {
  switch (spec.kind) {
    case 'step':
      return new StepLR(initialLr, spec.stepSize, spec.gamma);
    case 'cosine':
      return new CosineAnnealingLR(initialLr, spec.tMax, spec.etaMin);
    case 'plateau':
      return new ReduceLROnPlateau(initialLr, spec);
  }
}
