/**
 * Comparisons (Equal, Greater, …) are piecewise constant, so their gradient is zero almost
 * everywhere. tfjs registers none, which is harmless at first order (nothing differentiates
 * through a mask) but fatal at second order: the stock Max/Min/Maximum gradients build an
 * `equal(x, y)` mask, and differentiating that backward pass again throws "gradient function
 * not found for Equal". Declaring the zero gradient makes those paths differentiable.
 */
import { tf } from '../tf'

function zeroGradient(kernelName: string): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: [],
    gradFunc: (dy) => ({
      a: () => tf.zerosLike(dy as tf.Tensor),
      b: () => tf.zerosLike(dy as tf.Tensor)
    })
  }
}

export const comparisonGradConfigs: tf.GradConfig[] = [
  tf.Equal,
  tf.NotEqual,
  tf.Greater,
  tf.GreaterEqual,
  tf.Less,
  tf.LessEqual
].map(zeroGradient)
