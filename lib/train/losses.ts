/**
 * Losses as `(yTrue, yPred) => scalar` for `model.compile`, each averaged over the batch.
 * Targets are one-hot [batch, classes] for single-label, multi-hot for multi-label.
 */
import { tf, type TF } from '../backend';
import { rawOps, nativeOpsAvailable } from '../layers/tfRaw';
import type { OutputKind } from '../models/summary';

export type LossFn = (yTrue: TF.Tensor, yPred: TF.Tensor) => TF.Tensor;

/**
 * Categorical cross-entropy: from logits (PyTorch `CrossEntropyLoss`) or from softmax
 * probabilities clipped to [1e-7, 1 − 1e-7] (Keras `categorical_crossentropy`).
 */
export function categoricalCrossentropy(fromLogits: boolean): LossFn {
  return (yTrue, yPred) =>
    tf.tidy(() => {
      if (fromLogits && nativeOpsAvailable() && yPred.rank === 2 && yPred.dtype === 'float32' && yTrue.dtype === 'float32') return softmaxCrossEntropyTF(yTrue, yPred);
      const logp = fromLogits ? tf.logSoftmax(yPred) : tf.log(tf.clipByValue(yPred, 1e-7, 1 - 1e-7));
      return tf.mean(tf.neg(tf.sum(tf.mul(yTrue, logp), -1)));
    });
}

/**
 * mean(−Σ y·log softmax(z)) on the native backends as TensorFlow's `SoftmaxCrossEntropyWithLogits` (what
 * Keras runs): one op for the per-row losses and their gradient softmax(z) − y, where tfjs composes
 * ~10 ops forward and as many backward. That gradient assumes each target row sums to 1 (one-hot, or a
 * distribution), as every single-label target here does.
 */
function softmaxCrossEntropyTF(yTrue: TF.Tensor, logits: TF.Tensor): TF.Scalar {
  const r = rawOps();
  const rows = logits.shape[0];
  const f = tf.customGrad(((z: TF.Tensor, save: TF.GradSaveFunc) => {
    const [loss, backprop] = r.run('SoftmaxCrossEntropyWithLogits', [r.tFloat], r.ids([z, yTrue]), 2).map((h) => r.toTensor(h));
    save([backprop]);
    return { value: tf.mean(loss), gradFunc: (dy: TF.Tensor, saved: TF.Tensor[]) => tf.mul(saved[0], tf.div(dy, rows)) };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(logits) as TF.Scalar;
}

/**
 * Seed 002's `custom_binary_crossentropy`: −Σ_classes [w·y·log(p+ε) + (1−y)·log(1−p+ε)] with
 * p clipped to [ε, 1−ε], ε = 1e-7 (Keras `K.epsilon()`), positives weighted w = 4, summed over
 * classes, then averaged over the batch.
 */
export function weightedBinaryCrossentropy(positiveWeight = 4): LossFn {
  const eps = 1e-7;
  return (yTrue, yPred) =>
    tf.tidy(() => {
      const p = tf.clipByValue(yPred, eps, 1 - eps);
      const pos = tf.mul(tf.mul(yTrue, positiveWeight), tf.log(tf.add(p, eps)));
      const neg = tf.mul(tf.sub(1, yTrue), tf.log(tf.add(tf.sub(1, p), eps)));
      return tf.mean(tf.neg(tf.sum(tf.add(pos, neg), -1)));
    });
}

/** Mean squared error (the lecture's first network, Keras `"MSE"`). */
export function meanSquaredError(): LossFn {
  return (yTrue, yPred) => tf.tidy(() => tf.mean(tf.square(tf.sub(yTrue, yPred))));
}

/** The loss each output kind trains with by default. */
export function defaultLoss(output: OutputKind): LossFn {
  switch (output) {
    case 'logits':
      return categoricalCrossentropy(true);
    case 'softmax':
      return categoricalCrossentropy(false);
    case 'sigmoid':
      return weightedBinaryCrossentropy(4);
    case 'regression':
      return meanSquaredError();
  }
}

/** Model output → probabilities: softmax for logits, as is otherwise. [batch, classes] → same. */
export function toProbabilities(output: TF.Tensor, kind: OutputKind): TF.Tensor {
  return kind === 'logits' ? tf.softmax(output) : output;
}
