import { tf } from '../tf'
import type { Tensor3D } from '../tf'

/**
 * Min-max normalises each map of a batch [N, H, W] to [0, 1]. A map whose range is zero (or
 * float noise relative to its magnitude, e.g. a constant image) becomes all zeros instead of
 * NaN: "no evidence anywhere" is the honest answer, and dividing by ~0 would amplify noise.
 */
export function normaliseMaps(maps: Tensor3D): Tensor3D {
  return tf.tidy(() => {
    const min = tf.min(maps, [1, 2], true)
    const max = tf.max(maps, [1, 2], true)
    const range = tf.sub(max, min)
    const scale = tf.maximum(tf.abs(max), tf.abs(min))
    // Relative threshold: float32 round-off in a flat map is ~1e-7 of its magnitude.
    const usable = tf.logicalAnd(tf.greater(range, 0), tf.greater(range, tf.mul(scale, 1e-5)))
    const safeRange = tf.where(usable, range, tf.onesLike(range))
    const scaled = tf.div(tf.sub(maps, min), safeRange)
    const out = tf.where(tf.broadcastTo(usable, maps.shape), scaled, tf.zerosLike(maps))
    return tf.clipByValue(out, 0, 1) as Tensor3D
  })
}
