/**
 * Gradient of Conv2D as forward convolutions (kernels/convGradOps): fast on wasm (XNNPACK)
 * and, being ops, differentiable again, which double backprop through a CNN needs. Falls
 * back to the stock backprop kernels on native TensorFlow, for NCHW, rounding modes, or when
 * the fast path is switched off (kernels/fastConvSwitch).
 */
import { tf } from '../tf'
import {
  conv2dBackpropFilterOps,
  conv2dBackpropInputOps,
  decomposable
} from '../kernels/convGradOps'
import { fastConvGradientsActive } from '../kernels/fastConvSwitch'

export const conv2DGradConfig: tf.GradConfig = {
  kernelName: tf.Conv2D,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D]
    const a = attrs as unknown as tf.Conv2DAttrs
    const dy4 = dy as tf.Tensor4D
    const fast =
      fastConvGradientsActive() &&
      a.dataFormat !== 'NCHW' &&
      a.dimRoundingMode == null &&
      decomposable(a.strides, a.dilations)
    if (fast) {
      return {
        x: () => conv2dBackpropInputOps(x.shape, dy4, filter, a.strides, a.pad, a.dilations),
        filter: () => conv2dBackpropFilterOps(x, dy4, filter.shape, a.strides, a.pad, a.dilations)
      }
    }
    const common = {
      strides: a.strides,
      pad: a.pad,
      dataFormat: a.dataFormat,
      dimRoundingMode: a.dimRoundingMode
    }
    return {
      x: () =>
        tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: dy4, filter }, {
          ...common,
          inputShape: x.shape
        } as unknown as tf.NamedAttrMap) as tf.Tensor4D,
      filter: () =>
        tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy: dy4 }, {
          ...common,
          filterShape: filter.shape
        } as unknown as tf.NamedAttrMap) as tf.Tensor4D
    }
  }
}
