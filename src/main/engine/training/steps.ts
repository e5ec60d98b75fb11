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
import type { GradientApplier } from './optimizers'

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
    () =>
      tf.grad((xx: Tensor) =>
        softmaxCrossEntropy(model.predictLogits(xx as Tensor4D), labels, 'mean')
      )(x) as Tensor4D
  )
}

export interface ObjectiveTerms {
  /** CE + λ·P: what the optimiser minimises. */
  total: Scalar
  crossEntropy: Scalar
  /** P(δ) (undefined for ordinary training). */
  penalty?: Scalar
  /** δ_i per sample (undefined for ordinary training). */
  delta?: Tensor1D
  /** M's input gradient of the batch-mean CE (undefined for ordinary training). */
  inputGradient?: Tensor4D
  predictions: Tensor1D
}

/**
 * The per-batch objective of Eq. 6.3 as a function of M's weights, for use inside
 * tf.variableGrads. `g1` is the reference's input gradient (a constant); omit `ortho` (or
 * give λ = 0) for ordinary training. Training-mode batch statistics go to `bnUpdates`.
 */
export function objective(
  net: Network,
  x: Tensor4D,
  labels: Tensor1D,
  bnUpdates: BatchNormUpdate[],
  ortho?: OrthogonalSettings & { g1: Tensor4D }
): ObjectiveTerms {
  let predictions: Tensor1D | undefined
  const plain = !ortho || ortho.lambda === 0
  const forward = (xx: Tensor) => {
    const logits = net.apply(xx as Tensor4D, { training: true, bnUpdates })
    const p = tf.argMax(logits, 1) as Tensor1D
    // Inside valueAndGrad the forward runs in its own tidy, which would dispose p: keep it
    // and hand a clone tracked by the caller's scope back below.
    predictions = plain ? p : tf.keep(p)
    return softmaxCrossEntropy(logits, labels, 'mean') as Scalar
  }
  if (plain) {
    const ce = forward(x)
    return { total: ce, crossEntropy: ce, predictions: predictions! }
  }
  // Per-sample input gradients of M: the gradient of the batch-mean CE is the per-sample
  // gradient scaled by 1/N, and the cosine is scale-invariant.
  const { value: ce, grad: g2 } = tf.valueAndGrad(forward)(x)
  const keptPredictions = predictions!
  predictions = tf.clone(keptPredictions)
  keptPredictions.dispose()
  const delta = cosinePerSample(ortho.g1, g2)
  const penalty = penaltyOf(delta, ortho.form) as Scalar
  return {
    total: tf.add(ce, tf.mul(penalty, ortho.lambda)) as Scalar,
    crossEntropy: ce as Scalar,
    penalty,
    delta,
    inputGradient: g2 as Tensor4D,
    predictions: predictions!
  }
}

/**
 * Runs one step on (x, labels) and updates `net` in place. With `ortho` and λ > 0 the
 * objective is CE(M(x), y) + λ·P(δ); without it, plain cross-entropy.
 */
export function trainStep(
  net: Network,
  optimizer: GradientApplier,
  x: Tensor4D,
  labels: Tensor1D,
  ortho?: OrthogonalSettings
): StepMetrics {
  const bnUpdates: BatchNormUpdate[] = []
  const useOrtho = ortho !== undefined && ortho.lambda > 0
  const g1 = useOrtho ? inputGradient(ortho.reference, x, labels) : undefined
  const kept: Tensor[] = []
  let read: () => Omit<StepMetrics, 'loss'> = () => {
    throw new Error('objective did not run')
  }

  const { value, grads } = tf.variableGrads(() => {
    const t = objective(net, x, labels, bnUpdates, useOrtho ? { ...ortho, g1: g1! } : undefined)
    const n = x.shape[0]
    // Figures for progress, kept past the gradient scope and read after the update.
    const ce = tf.keep(t.crossEntropy)
    const correct = tf.keep(tf.sum(tf.cast(tf.equal(t.predictions, labels), 'float32')))
    const delta = t.delta ? tf.keep(tf.mean(t.delta)) : undefined
    const absDelta = t.delta ? tf.keep(tf.mean(tf.abs(t.delta))) : undefined
    const penalty = t.penalty ? tf.keep(t.penalty) : undefined
    // Row norms as sqrt(sum(x²)): tf.norm's pow(|x|, 2) is two slow passes more on cpu.
    const gradNorm = t.inputGradient
      ? tf.keep(
          tf.mul(tf.mean(tf.sqrt(tf.sum(tf.square(tf.reshape(t.inputGradient, [n, -1])), 1))), n)
        )
      : undefined
    kept.push(
      ...[ce, correct, delta, absDelta, penalty, gradNorm].filter(
        (k): k is Tensor => k !== undefined
      )
    )
    const scalar = (k: Tensor | undefined) => (k ? (k.dataSync()[0] as number) : NaN)
    read = () => ({
      crossEntropy: scalar(ce),
      accuracy: scalar(correct) / n,
      delta: scalar(delta),
      absDelta: scalar(absDelta),
      penalty: scalar(penalty),
      inputGradNorm: scalar(gradNorm)
    })
    return t.total
  }, net.trainableVariables())

  optimizer.applyGradients(grads)
  net.applyBatchNormUpdates(bnUpdates)
  const metrics: StepMetrics = { loss: value.dataSync()[0], ...read() }
  tf.dispose([value, g1, ...Object.values(grads), ...kept])
  return metrics
}
