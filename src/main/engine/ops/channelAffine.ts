/**
 * y = x * scale + shift per channel (the last axis), then ReLU when asked: inference-mode
 * batch norm, folded, and the ReLU that usually follows it. The native kernel does it in one
 * pass (and its input gradient in one more) where ops take three each way; with the native
 * kernels off it is those ops. Both routes have the same gradients (gradients/ChannelAffine_grad).
 */
import { tf, type Tensor } from '../tf'
import { ChannelAffine, nativeKernelsActive } from '../kernels/nativeKernels'

export function channelAffine(x: Tensor, scale: Tensor, shift: Tensor, relu: boolean): Tensor {
  if (nativeKernelsActive() && x.dtype === 'float32') {
    return tf.engine().runKernel(ChannelAffine, { x, scale, shift }, { relu }) as Tensor
  }
  const y = tf.add(tf.mul(x, scale), shift)
  return relu ? tf.relu(y) : y
}
