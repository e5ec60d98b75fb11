/**
 * d tanh(x) = (1 - tanh(x)^2) dx, with tanh recomputed from the saved input: the stock
 * gradient's saved output is disconnected at second order (tfjs issue #3252; measured 0.887
 * against a finite-difference 0.678).
 */
import { tf } from '../tf'

export const tanhGradConfig: tf.GradConfig = {
  kernelName: tf.Tanh,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved
    return { x: () => tf.mul(dy as tf.Tensor, tf.sub(1, tf.square(tf.tanh(x)))) }
  }
}
