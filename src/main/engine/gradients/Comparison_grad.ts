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
    // Zeros shaped like each INPUT, not like dy: with broadcasting (a [N,1] max against an
    // [N,K] tensor) dy has the broadcast shape and the tape rejects a mis-shaped gradient.
    inputsToSave: ['a', 'b'],
    gradFunc: (_dy, saved) => ({
      a: () => tf.zerosLike(saved[0]!),
      b: () => tf.zerosLike(saved[1]!)
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
