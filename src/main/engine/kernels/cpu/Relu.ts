/** Relu on the `cpu` backend, native-first (the stock one is a JavaScript loop; see cpu/Binary.ts). */
import { tf } from '../../tf'
import { compute, rowsDims } from '../nativeKernels'
import { stockOrMissing, type KernelFn, type OurKernelConfig, type TensorInfo } from '../registry'
import { BACKEND, ready, sizeOf } from './shared'

/** max(x, 0) as x * 1 + 0 under the affine kernel's ReLU (NaN stays NaN, as in the stock kernel). */
function reluKernel(stock: KernelFn): KernelFn {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo }
    const native = ready(args, [x])
    if (!native || sizeOf(x) === 0) return stock(args)
    const dims = rowsDims(x)
    const c = dims[1]!
    return compute(BACKEND, args.backend, [x], x.shape, ([xv], out) =>
      native.channelAffine(xv!, new Float32Array(c).fill(1), new Float32Array(c), out, dims, true)
    )
  }
}

export const reluKernelConfigs: OurKernelConfig[] = [
  {
    kernelName: tf.Relu,
    backendName: BACKEND,
    make: (stock) => reluKernel(stockOrMissing(stock, tf.Relu, BACKEND))
  }
]
