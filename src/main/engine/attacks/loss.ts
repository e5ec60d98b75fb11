/**
 * The losses attacks ascend (or, for Square, descend), per sample and summed over the batch.
 *
 * Summed, not averaged, so that a sample's gradient does not depend on how many other samples
 * share its batch (with 'mean' it would be scaled by 1/n: harmless for the sign, not for float
 * underflow of tiny gradients, and it would break "attacking a sample in a batch equals
 * attacking it alone").
 */
import { tf } from '../tf'
import type { Tensor, Tensor1D, Tensor2D, Tensor4D } from '../tf'
import type { Classifier } from '../models/types'
import { softmaxCrossEntropy, stopGradient } from '../ops/crossEntropy'

/** Per-sample cross-entropy (the project's op; first-order gradients are all attacks need). */
export function perSampleCrossEntropy(logits: Tensor2D, labels: Tensor1D): Tensor1D {
  return softmaxCrossEntropy(logits, tf.cast(labels, 'int32') as Tensor1D, 'none') as Tensor1D
}

/** Sum over the batch of the per-sample cross-entropy (see the module comment for why sum). */
export function attackLoss(logits: Tensor2D, labels: Tensor1D): Tensor {
  return tf.tidy(() => tf.sum(perSampleCrossEntropy(logits, labels)))
}

/** Per-sample logit of the true class, z_y, and the largest other logit, max_{i≠y} z_i. */
function trueAndBestOther(
  logits: Tensor2D,
  labels: Tensor1D
): { trueLogit: Tensor1D; bestOther: Tensor1D } {
  const k = logits.shape[1]
  const isTrue = tf.cast(tf.oneHot(tf.cast(labels, 'int32') as Tensor1D, k), 'bool')
  const trueLogit = tf.sum(tf.mul(logits, tf.cast(isTrue, 'float32')), 1) as Tensor1D
  const bestOther = tf.max(
    tf.where(isTrue, tf.fill(logits.shape, -Infinity), logits),
    1
  ) as Tensor1D
  return { trueLogit, bestOther }
}

/**
 * The margin z_y − max_{i≠y} z_i per sample (Carlini & Wagner 2017, the loss Square
 * minimises, Andriushchenko et al. 2020 §3): positive while the image is classified
 * correctly, ≤ 0 once it is fooled.
 */
export function marginLoss(logits: Tensor2D, labels: Tensor1D): Tensor1D {
  return tf.tidy(() => {
    const { trueLogit, bestOther } = trueAndBestOther(logits, labels)
    return tf.sub(trueLogit, bestOther) as Tensor1D
  })
}

/**
 * The Difference of Logits Ratio loss of Croce & Hein 2020 (Eq. 6),
 * https://arxiv.org/abs/2003.01690, per sample:
 *   DLR(z, y) = −(z_y − max_{i≠y} z_i) / (z_π1 − z_π3 + 1e−12), π sorting z in decreasing order.
 * Invariant to shifting and scaling the logits, so an attack on it is not fooled by a model
 * that merely inflates its logits. Needs at least three classes (z_π3).
 *
 * z_π1 and z_π3 come from max after masking the top one and two entries: tf.topk has no
 * gradient, and a sorted value's gradient is the gradient of the logit at that position, which
 * is what Max's gradient gives. The masks are built on stop-gradient logits (constants).
 */
export function dlrLoss(logits: Tensor2D, labels: Tensor1D): Tensor1D {
  const k = logits.shape[1]
  if (k < 3) throw new Error(`The DLR loss needs at least 3 classes (z_π3), the model has ${k}`)
  return tf.tidy(() => {
    const { trueLogit, bestOther } = trueAndBestOther(logits, labels)
    const fixed = stopGradient(logits)
    const first = tf.cast(tf.oneHot(tf.argMax(fixed, 1), k), 'bool')
    const withoutFirst = tf.where(first, tf.fill(fixed.shape, -Infinity), fixed)
    const second = tf.cast(tf.oneHot(tf.argMax(withoutFirst, 1), k), 'bool')
    // Masks by arithmetic and comparison (zero gradients), not logicalOr (no gradient in tfjs).
    const topTwo = tf.greater(tf.add(tf.cast(first, 'float32'), tf.cast(second, 'float32')), 0.5)
    const z1 = tf.max(tf.where(first, logits, tf.fill(logits.shape, -Infinity)), 1)
    const z3 = tf.max(tf.where(topTwo, tf.fill(logits.shape, -Infinity), logits), 1)
    const spread = tf.add(tf.sub(z1, z3), 1e-12)
    return tf.neg(tf.div(tf.sub(trueLogit, bestOther), spread)) as Tensor1D
  })
}

/**
 * A classifier whose attack loss is the MEAN of the per-sample losses of several logit sets:
 * the members of an ensemble (ensemble transfer) or the random draws of a randomised defense
 * (EOT, Athalye et al. 2018). Its `predictLogits` is what a prediction sees.
 */
export interface LossAveragingClassifier extends Classifier {
  /** The logit sets whose per-sample losses are averaged, each [N, K]. */
  lossLogits(x: Tensor4D): Tensor2D[]
}

export function averagesLosses(model: Classifier): model is LossAveragingClassifier {
  return typeof (model as Partial<LossAveragingClassifier>).lossLogits === 'function'
}

/** A per-sample loss of logits and labels. */
export type PerSampleLoss = (logits: Tensor2D, labels: Tensor1D) => Tensor1D

/**
 * The per-sample loss of `model` at `x`: `loss` of its logits, or for a loss-averaging
 * classifier the mean over its logit sets (so EOT's gradient is the mean of the draws').
 */
export function perSampleClassifierLoss(
  model: Classifier,
  x: Tensor4D,
  labels: Tensor1D,
  loss: PerSampleLoss = perSampleCrossEntropy
): Tensor1D {
  return tf.tidy(() => {
    if (!averagesLosses(model)) return loss(model.predictLogits(x), labels)
    const sets = model.lossLogits(x)
    const summed = sets.map((z) => loss(z, labels)).reduce((a, b) => tf.add(a, b) as Tensor1D)
    return tf.div(summed, sets.length) as Tensor1D
  })
}

/** The batch loss every gradient-step attack ascends: summed per-sample cross-entropy. */
export function classifierLoss(model: Classifier, x: Tensor4D, labels: Tensor1D): Tensor {
  return tf.tidy(() => tf.sum(perSampleClassifierLoss(model, x, labels)))
}
