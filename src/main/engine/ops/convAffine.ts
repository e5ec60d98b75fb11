/**
 * y = conv2d(x, filter) * scale + shift per output channel, plus a residual of y's shape if
 * given, then ReLU when asked: a convolution with the inference-mode batch norm (or the bias),
 * a ResNet block's shortcut, and the ReLU after them. With the native kernels the convolution
 * applies all of it to its output as it stores it (kernels/conv/ConvAffine), one pass instead
 * of up to four; otherwise it is conv2d, ops/channelAffine, add and relu. Both routes have the
 * same gradients (gradients/ConvAffine_grad).
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
  relu: boolean,
  residual?: Tensor
): Tensor4D {
  const inputs = [x, filter, scale, shift, ...(residual ? [residual] : [])]
  if (nativeKernelsActive() && inputs.every((t) => t.dtype === 'float32')) {
    const attrs: ConvAffineAttrs = { strides, pad, relu }
    return tf
      .engine()
      .runKernel(
        ConvAffine,
        { x, filter, scale, shift, ...(residual ? { residual } : {}) },
        attrs as unknown as tf.NamedAttrMap
      ) as Tensor4D
  }
  const z = tf.conv2d(x, filter, strides, pad)
  if (!residual) return channelAffine(z, scale, shift, relu) as Tensor4D
  const sum = tf.add(channelAffine(z, scale, shift, false), residual)
  return (relu ? tf.relu(sum) : sum) as Tensor4D
}
