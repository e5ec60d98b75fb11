/**
 * y = conv2d(x, filter) * scale + shift per output channel, then ReLU when asked: a convolution
 * with the inference-mode batch norm (or the bias) and the ReLU after it. With the native
 * kernels the convolution applies the map to its output as it stores it (kernels/conv/
 * ConvAffine), one pass instead of two; otherwise it is conv2d then ops/channelAffine. Both
 * routes have the same gradients (gradients/ConvAffine_grad).
 */
import { tf, type Tensor, type Tensor4D } from '../tf'
import { ConvAffine, nativeKernelsActive } from '../kernels/nativeKernels'
import type { ConvAffineAttrs } from '../kernels/conv/ConvAffine'
import { channelAffine } from './channelAffine'

export function convAffine(
  x: Tensor4D,
  filter: Tensor4D,
  strides: number,
  pad: 'same' | 'valid',
  scale: Tensor,
  shift: Tensor,
  relu: boolean
): Tensor4D {
  if (nativeKernelsActive() && [x, filter, scale, shift].every((t) => t.dtype === 'float32')) {
    const attrs: ConvAffineAttrs = { strides, pad, relu }
    return tf
      .engine()
      .runKernel(
        ConvAffine,
        { x, filter, scale, shift },
        attrs as unknown as tf.NamedAttrMap
      ) as Tensor4D
  }
  return channelAffine(tf.conv2d(x, filter, strides, pad), scale, shift, relu) as Tensor4D
}
