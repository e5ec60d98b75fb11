/**
 * The filter of a convolution's input gradient: W flipped in both spatial axes with its
 * input and output channels swapped, F[a][b][o][c] = W[kh-1-a][kw-1-b][c][o]. As tfjs ops
 * that is a Reverse and a Transpose, which on the cpu backend are JavaScript index loops
 * (17 ms for a 3x3x32x64 filter); here it is one copy on the tensor's memory, on wasm and cpu.
 * The map is a permutation that is its own inverse, so its gradient is itself
 * (gradients/FlipFilter_grad), at any order.
 */
import { tf } from '../tf'
import { FlipFilter } from './nativeKernelNames'
import { compute, type KernelFn, type TensorInfo } from './nativeKernels'
import { withoutReregistrationWarnings } from '../quietRegistration'

const BACKENDS = ['wasm', 'cpu'] as const

export function flipFilter(filter: tf.Tensor4D): tf.Tensor4D {
  if (filter.dtype === 'float32' && (BACKENDS as readonly string[]).includes(tf.getBackend())) {
    return tf.engine().runKernel(FlipFilter, { filter }) as tf.Tensor4D
  }
  return tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2])
}

function flipKernel(backendName: (typeof BACKENDS)[number]): KernelFn {
  return ({ inputs, backend }) => {
    const { filter } = inputs as { filter: TensorInfo }
    const [kh, kw, ci, co] = filter.shape as [number, number, number, number]
    return compute(backendName, backend, [filter], [kh, kw, co, ci], ([w], out) => {
      const src = w!
      for (let a = 0; a < kh; a++)
        for (let b = 0; b < kw; b++) {
          const from = (a * kw + b) * ci * co
          const to = ((kh - 1 - a) * kw + (kw - 1 - b)) * co * ci
          for (let c = 0; c < ci; c++) for (let o = 0; o < co; o++) out[to + o * ci + c] = src[from + c * co + o]!
        }
    })
  }
}

withoutReregistrationWarnings(() => {
  for (const backendName of BACKENDS) {
    if (tf.getKernel(FlipFilter, backendName)) tf.unregisterKernel(FlipFilter, backendName)
    tf.registerKernel({ kernelName: FlipFilter, backendName, kernelFunc: flipKernel(backendName) as unknown as tf.KernelFunc })
  }
})
