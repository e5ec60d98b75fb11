/**
 * The sign every attack and defense takes: −1, +1, and 0 only where the value is exactly 0,
 * the same on every backend (NaN stays NaN, as in PyTorch's torch.sign).
 *
 * Why not tf.sign: tfjs-backend-wasm's Sign kernel returns 0 for |x| < FLT_EPSILON
 * (1.19e-7), while the cpu backend, TensorFlow and PyTorch return ±1. Attacks take the sign of
 * raw summed-loss gradients, which on confident images are that small: on wasm those pixels
 * never moved (3,042 pixels of the demo's 1,000 FGSM images differed from PyTorch's for that
 * reason alone). Comparisons with 0 are exact on every backend, so this sign is too.
 */
import { tf, type Tensor } from '../tf'

/** sign(x) with 0 only at exactly ±0, identical on wasm, cpu and tensorflow. */
export function strictSign<T extends Tensor>(x: T): T {
  return tf.tidy(() => {
    const sign = tf.sub(tf.cast(tf.greater(x, 0), 'float32'), tf.cast(tf.less(x, 0), 'float32'))
    return tf.where(tf.isNaN(x), x, sign) as T
  })
}
