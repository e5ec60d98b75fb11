/**
 * Gradients of Sum and Mean: dy spread back over the reduced axes. The stock ones build a
 * full-size tensor of ones in JavaScript (makeOnesTypedArray, then a copy into the wasm
 * heap) and multiply by it; batch norm takes a Mean or Sum of every activation map, so that
 * JS fill was 11 % of a ResNet-20 training step on wasm. Here the constant comes from the
 * backend's Fill kernel, with Mean's 1/n folded into it. The maths, and hence the second-
 * order gradient (a broadcasting Mul, whose own gradient sums over the broadcast axes), are
 * the stock ones.
 */
import { tf } from '../tf'

function spreadGrad(kernelName: string, mean: boolean): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as tf.Tensor[]
      const axes = tf.util.parseAxisParam((attrs as { axis: number | number[] }).axis, x!.shape)
      const kept = x!.shape.slice()
      let n = 1
      for (const a of axes) {
        n *= kept[a]!
        kept[a] = 1
      }
      return {
        x: () =>
          tf.mul(tf.reshape(dy as tf.Tensor, kept), tf.fill(x!.shape, mean ? 1 / n : 1, 'float32'))
      }
    }
  }
}

export const sumGradConfig = spreadGrad(tf.Sum, false)
export const meanGradConfig = spreadGrad(tf.Mean, true)
