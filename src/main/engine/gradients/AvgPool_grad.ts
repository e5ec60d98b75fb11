/**
 * Gradient of AvgPool as differentiable ops (kernels/poolGradOps): tfjs's AvgPoolGrad kernel
 * has no gradient (double backprop stops), and divides by the full window at 'same' borders
 * where the forward pass divides by the real element count.
 */
import { tf } from '../tf'
import { avgPoolGradOps } from '../kernels/poolGradOps'

export const avgPoolGradConfig: tf.GradConfig = {
  kernelName: tf.AvgPool,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [tf.Tensor4D]
    const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.AvgPoolAttrs
    return {
      x: () => avgPoolGradOps(dy as tf.Tensor4D, x, filterSize, strides, pad, dimRoundingMode)
    }
  }
}
