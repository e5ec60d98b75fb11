/**
 * The filter of a convolution's input gradient: W flipped in both spatial axes with its
 * input and output channels swapped, F[a][b][o][c] = W[kh-1-a][kw-1-b][c][o]. As tfjs ops
 * that is a Reverse and a Transpose, which on the cpu backend are JavaScript index loops
 * (17 ms for a 3x3x32x64 filter); on wasm and cpu it is one copy on the tensor's memory
 * (the FlipFilter kernel, own/FlipFilter.ts). The map is a permutation that is its own
 * inverse, so its gradient is itself (gradients/FlipFilter_grad), at any order.
 */
import { tf } from '../tf'
import { FlipFilter } from './nativeKernelNames'
import { NATIVE_BACKENDS } from './nativeKernels'

export function flipFilter(filter: tf.Tensor4D): tf.Tensor4D {
  if (
    filter.dtype === 'float32' &&
    (NATIVE_BACKENDS as readonly string[]).includes(tf.getBackend())
  ) {
    return tf.engine().runKernel(FlipFilter, { filter }) as tf.Tensor4D
  }
  return tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2])
}
