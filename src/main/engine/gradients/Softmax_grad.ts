/**
 * Softmax Jacobian-vector product y*dy - y*sum(y*dy), with y = softmax(logits) recomputed
 * from the saved input: the stock gradient uses the saved output, which is disconnected at
 * second order (tfjs issue #3252).
 */
import { tf } from '../tf'

export const softmaxGradConfig: tf.GradConfig = {
  kernelName: tf.Softmax,
  inputsToSave: ['logits'],
  gradFunc: (dy, saved, attrs) => {
    const [logits] = saved
    const { dim } = attrs as unknown as tf.SoftmaxAttrs
    return {
      logits: () => {
        const y = tf.softmax(logits, dim)
        const dyTimesY = tf.mul(dy as tf.Tensor, y)
        return tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [dim], true), y))
      }
    }
  }
}
