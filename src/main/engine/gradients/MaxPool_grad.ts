/**
 * Gradient of MaxPool as differentiable ops (kernels/poolGradOps): tfjs's MaxPoolGrad kernel
 * has no gradient, which breaks double backprop through pooled CNNs. At tied maxima the first
 * in scan order takes all of dy, as in TensorFlow and PyTorch (setMaxPoolTieRule('split')
 * shares it instead).
 */
import { tf } from '../tf'
import { maxPoolGradOps } from '../kernels/poolGradOps'

export const maxPoolGradConfig: tf.GradConfig = {
  kernelName: tf.MaxPool,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [tf.Tensor4D]
    const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolAttrs
    return {
      x: () => maxPoolGradOps(dy as tf.Tensor4D, x, filterSize, strides, pad, dimRoundingMode)
    }
  }
}
