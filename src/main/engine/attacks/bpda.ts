/**
 * BPDA — Backward Pass Differentiable Approximation. Athalye, Carlini, Wagner, "Obfuscated
 * Gradients Give a False Sense of Security", ICML 2018, https://arxiv.org/abs/1802.00420 (§4.1).
 *
 * An input transformation g (JPEG, bit-depth reduction, TV minimisation, bilateral filter) has
 * no useful gradient: it is piecewise constant or computed outside the tape. Since g(x) ≈ x,
 * BPDA runs the REAL g in the forward pass and uses ∂g/∂x ≈ I in the backward pass, which is
 * what every defense here declares (`estimateGradient: 'identity'`, ART's Preprocessor
 * default). Wrapped as a classifier, any gradient attack (PGD, APGD) becomes an adaptive
 * attack on the defended model.
 */
import { tf } from '../tf'
import type { Tensor2D, Tensor4D } from '../tf'
import type { Classifier } from '../models/types'
import { getDefense } from '../defenses'

/** `transform` in the forward pass, the identity in the backward pass. */
export function withIdentityGradient(
  transform: (x: Tensor4D) => Tensor4D
): (x: Tensor4D) => Tensor4D {
  const op = tf.customGrad(((x: tf.Tensor) => ({
    value: transform(x as Tensor4D),
    gradFunc: (dy: tf.Tensor) => dy.clone()
  })) as unknown as Parameters<typeof tf.customGrad>[0])
  return (x) => op(x) as Tensor4D
}

/**
 * `model` behind defense `defenseId` with parameter `value`: predictions see the defended
 * input, gradients pass through the defense as its declared estimate (the identity).
 */
export function defendedClassifier(
  model: Classifier,
  defenseId: string,
  value: number
): Classifier {
  const defense = getDefense(defenseId)
  if (defense.estimateGradient !== 'identity') {
    throw new Error(`Defense "${defenseId}" declares no gradient estimate BPDA can use`)
  }
  // Check the parameter now, not at the first forward pass inside an attack.
  tf.tidy(() => void defense.apply(tf.zeros([1, ...model.inputShape]) as Tensor4D, value))
  const defended = withIdentityGradient((x) => defense.apply(x, value))
  return {
    id: `${model.id}+${defenseId}=${value}`,
    name: `${model.name} behind ${defense.label(value)}`,
    inputShape: model.inputShape,
    numClasses: model.numClasses,
    predictLogits: (x: Tensor4D) => tf.tidy(() => model.predictLogits(defended(x)) as Tensor2D)
  }
}
