import { tf } from '../tf'
import type { Tensor4D } from '../tf'

/** L∞ steepest ascent: the sign of the gradient. Zero gradients stay zero (tf.sign(0) = 0). */
export function sign(grad: Tensor4D): Tensor4D {
  return tf.sign(grad)
}

/**
 * MI-FGSM accumulation (Dong et al. 2018, Eq. 6): g ← μ·g + ∇ / ‖∇‖₁, with the L1 norm taken
 * per sample BEFORE accumulation, so samples with large gradients do not swamp the momentum of
 * the others. Returns a stateful direction function and its disposer.
 */
export function momentum(decay: number): { direction(grad: Tensor4D): Tensor4D; dispose(): void } {
  let accumulated: Tensor4D | undefined
  return {
    direction(grad) {
      const l1 = tf.maximum(tf.sum(tf.abs(grad), [1, 2, 3], true), 1e-12)
      const normalised = tf.div(grad, l1) as Tensor4D
      const next = accumulated ? (tf.add(tf.mul(accumulated, decay), normalised) as Tensor4D) : normalised
      accumulated?.dispose()
      accumulated = tf.keep(next)
      return tf.sign(next)
    },
    dispose() {
      accumulated?.dispose()
      accumulated = undefined
    }
  }
}
