/**
 * Gradient of FlipFilter (kernels/flipFilter): the flip is a permutation that is its own
 * inverse, so the gradient of a flipped filter is the flipped upstream gradient.
 */
import { tf } from '../tf'
import { FlipFilter } from '../kernels/nativeKernelNames'
import { flipFilter } from '../kernels/flipFilter'

export const flipFilterGradConfig: tf.GradConfig = {
  kernelName: FlipFilter,
  gradFunc: (dy) => ({ filter: () => flipFilter(dy as tf.Tensor4D) })
}
