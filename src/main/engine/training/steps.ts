/**
 * One optimisation step, ordinary (λ = 0) or orthogonal (thesis Algorithm 7, lines 4–8).
 *
 * The orthogonal step differentiates M's input gradient with respect to M's weights (double
 * backprop): tf.valueAndGrad runs inside tf.variableGrads, so the inner backward pass is
 * recorded on the outer tape. That is only correct because engine/gradients replaces every
 * kernel gradient that tfjs computes from saved outputs (see the finite-difference tests).
 */
import { tf, type Scalar, type Tensor, type Tensor1D, type Tensor4D } from '../tf'
import type { Classifier } from '../models/types'
import type { BatchNormUpdate, Network } from '../models/network'
import { softmaxCrossEntropy } from '../ops/crossEntropy'
import { cosinePerSample, penaltyOf, type PenaltyForm } from './penalty'

export interface StepMetrics {
  /** Total objective: CE + λ·P. */
  loss: number
  crossEntropy: number
  /** Mean signed cosine δ to the reference on this batch (NaN without a reference). */
  delta: number
  /** Mean |δ| on this batch (NaN without a reference). */
  absDelta: number
  penalty: number
  /** Share of the batch classified correctly (training mode). */
  accuracy: number
  /** Mean L2 norm of M's per-sample input gradients (NaN when not computed). */
  inputGradNorm: number
}

export interface OrthogonalSettings {
  reference: Classifier
  lambda: number
  form: PenaltyForm
}

/** ∇x CE(K(x), y) for a frozen model in inference mode. */
export function inputGradient(model: Classifier, x: Tensor4D, labels: Tensor1D): Tensor4D {
  return tf.tidy(
    () => tf.grad((xx: Tensor) => softmaxCrossEntropy(model.predictLogits(xx as Tensor4D), labels, 'mean'))(x) as Tensor4D
  )
}

/**
 * Runs one step on (x, labels) and updates `net` in place. With `ortho` and λ > 0 the
 * objective is CE(M(x), y) + λ·P(δ); without it, plain cross-entropy.
 */
export function trainStep(
  net: Network,
  optimizer: tf.Optimizer,
  x: Tensor4D,
  labels: Tensor1D,
  ortho?: OrthogonalSettings
): StepMetrics {
  const bnUpdates: BatchNormUpdate[] = []
  const useOrtho = ortho !== undefined && ortho.lambda > 0
  const g1 = useOrtho ? inputGradient(ortho.reference, x, labels) : undefined
  const kept: Record<string, Tensor> = {}
  const keep = (name: string, t: Tensor) => {
    kept[name] = tf.keep(t)
  }

  const { value, grads } = tf.variableGrads(() => {
    const forward = (xx: Tensor) => {
      const logits = net.apply(xx as Tensor4D, { training: true, bnUpdates })
      keep('predictions', tf.argMax(logits, 1))
      return softmaxCrossEntropy(logits, labels, 'mean')
    }
    if (!useOrtho) {
      const ce = forward(x)
      keep('ce', ce)
      return ce as Scalar
    }
    // Per-sample input gradients of M: the gradient of the batch-mean CE is the per-sample
    // gradient scaled by 1/N, and the cosine is scale-invariant.
    const { value: ce, grad: g2 } = tf.valueAndGrad(forward)(x)
    const delta = cosinePerSample(g1!, g2)
    const penalty = penaltyOf(delta, ortho.form)
    keep('ce', ce)
    keep('delta', tf.mean(delta))
    keep('absDelta', tf.mean(tf.abs(delta)))
    keep('penalty', penalty)
    keep('gradNorm', tf.mean(tf.norm(tf.reshape(g2, [g2.shape[0], -1]), 2, 1)).mul(g2.shape[0]))
    return tf.add(ce, tf.mul(penalty, ortho.lambda)) as Scalar
  }, net.trainableVariables())

  optimizer.applyGradients(grads)
  net.applyBatchNormUpdates(bnUpdates)

  const read = (name: string) => (kept[name] ? (kept[name].dataSync()[0] as number) : NaN)
  const correct = tf.tidy(() => tf.sum(tf.cast(tf.equal(kept.predictions, labels), 'float32')).dataSync()[0])
  const metrics: StepMetrics = {
    loss: value.dataSync()[0],
    crossEntropy: read('ce'),
    delta: read('delta'),
    absDelta: read('absDelta'),
    penalty: read('penalty'),
    accuracy: correct / labels.shape[0],
    inputGradNorm: read('gradNorm')
  }
  tf.dispose([value, g1, ...Object.values(grads), ...Object.values(kept)])
  return metrics
}
