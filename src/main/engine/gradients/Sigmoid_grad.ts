/**
 * d sigmoid(x) = s(1 - s) dx, with s recomputed from the saved input (the stock gradient's
 * saved output is disconnected at second order, tfjs issue #3252).
 */
import { tf } from '../tf'

export const sigmoidGradConfig: tf.GradConfig = {
  kernelName: tf.Sigmoid,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved
    return {
      x: () => {
        const s = tf.sigmoid(x)
        return tf.mul(dy as tf.Tensor, tf.mul(s, tf.sub(1, s)))
      }
    }
  }
}
