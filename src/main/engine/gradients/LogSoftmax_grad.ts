/**
 * d logSoftmax = dy - softmax(logits) * sum(dy), with softmax recomputed from the saved
 * input (the stock gradient exponentiates the saved output: disconnected at second order,
 * tfjs issue #3252).
 */
import { tf } from '../tf'

export const logSoftmaxGradConfig: tf.GradConfig = {
  kernelName: tf.LogSoftmax,
  inputsToSave: ['logits'],
  gradFunc: (dy, saved, attrs) => {
    const [logits] = saved
    const { axis } = attrs as unknown as tf.LogSoftmaxAttrs
    return {
      logits: () => {
        const d = dy as tf.Tensor
        const softmax = tf.softmax(logits, axis)
        return tf.sub(d, tf.mul(tf.sum(d, axis, true), softmax))
      }
    }
  }
}
