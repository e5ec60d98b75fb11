/**
 * Gradient of Conv2DBackpropFilter, which tfjs lacks: the engine runs that kernel (natively,
 * kernels/conv/Conv2DBackpropFilter) inside the gradient of Conv2D, so orthogonal training's double
 * backprop differentiates through it. dW = sum_p x[p + tap] dy[p] is bilinear, and
 * <g, dW(x, dy)> = <conv2d(x, g), dy>, so for an upstream gradient g (filter-shaped):
 *   d/d dy = conv2d(x, g)            d/dx = input gradient of conv2d(x, g) at dy.
 * Both are ops, so they are differentiable again.
 */
import { tf } from '../tf'
import { conv2dBackpropInputOps } from '../kernels/convGradOps'
import type { FilterGradAttrs } from '../kernels/nativeKernels'

export const conv2DBackpropFilterGradConfig: tf.GradConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  inputsToSave: ['x', 'dy'],
  gradFunc: (g, saved, attrs) => {
    const [x, dy] = saved as [tf.Tensor4D, tf.Tensor4D]
    const a = attrs as unknown as FilterGradAttrs
    if (a.dataFormat === 'NCHW' || a.dimRoundingMode != null) {
      throw new Error(
        'Second-order gradient of Conv2DBackpropFilter needs NHWC without a rounding mode'
      )
    }
    const dilations = a.dilations ?? 1
    const filter = g as tf.Tensor4D
    return {
      x: () => conv2dBackpropInputOps(x.shape, dy, filter, a.strides, a.pad, dilations),
      dy: () => tf.conv2d(x, filter, a.strides, a.pad as 'same', 'NHWC', dilations)
    }
  }
}
