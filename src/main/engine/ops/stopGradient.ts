/** stopGradient: the identity with a zero gradient, for shifts that do not change a result. */
import { tf } from '../tf'

const zeroGradientIdentity = tf.customGrad(((x: tf.Tensor) => ({
  value: tf.clone(x),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy)
})) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as <T extends tf.Tensor>(
  x: T
) => T

/**
 * Identity in the forward pass, zero gradient. A customGrad is safe here: the gradient it
 * returns is a constant zero, so there is nothing to lose at second order. It runs in a scope
 * named 'stopGradient', the name under which gradients/tapeAudit recognises it on the tape.
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return tf.tidy('stopGradient', () => zeroGradientIdentity(x))
}
