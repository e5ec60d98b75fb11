/**
 * Gradient of Max (reduction): dy flows to the elements equal to the maximum. The stock
 * gradient builds its mask with `equal`, which has no gradient, so any double backprop
 * through a max (e.g. a logsumexp shift) throws; and it uses the saved output (#3252).
 * Here the max is recomputed from the saved input and the mask is 1 - step(y - x), whose
 * gradient is zero (the mask is piecewise constant). Ties all receive dy, as in tfjs.
 */
import { tf } from '../tf'
import { isMax } from '../kernels/poolGradOps'

export const maxGradConfig: tf.GradConfig = {
  kernelName: tf.Max,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved
    const { reductionIndices } = attrs as unknown as tf.MaxAttrs
    return {
      x: () => {
        const axes = tf.util.parseAxisParam(reductionIndices, x.shape)
        const keptShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
        const y = tf.max(x, axes, true)
        const mask = isMax(x, y)
        return tf.mul(mask, tf.reshape(dy as tf.Tensor, keptShape))
      }
    }
  }
}
